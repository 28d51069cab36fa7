"""What a survey costs before it goes live: messages and SMS parts of its shortest and longest
path, per language, computed by answering the form with the real engine.

The search walks every path that can change what is asked. At a question whose answer
another expression reads (relevance, calculations, constraints, choice filters, repeat
counts, labels) it branches over the answers that can make a difference: each choice (for a
select_multiple: each choice alone, and as many together as are accepted), the smallest and
largest accepted number (probed, with the numbers the constraint names), skipping it when
optional. Every other question gets one accepted answer; a repeat's "add another?" is
answered yes once and no. Replies are the engine's own, fitted to the channel's settings,
so hints, paging and the closing message are counted as a person would receive them; on USSD a
label shown over several screens costs the "0" hops a person sends to read it whole.

A path ends when the survey completes (shortest and longest are over these) or is declined
by a consent question (reported apart). The search stops after `max_steps` engine steps;
`exhaustive` says whether it saw every path.
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from forms.model import FormModel
from forms.walker import Event, Walk, language_code
from forms.xpath import XPathError, referenced_paths
from sms_flows import engine, hints, keywords, prompts, render
from sms_flows.answers import AnswerError, parse_answer
from sms_flows.state import State
from sms_flows.types import ConversationStatus, InboundMedia, StartContext

MAX_STEPS = 20_000
_NUMBERS = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?")
_PROBES = [0, 1, 2, 3, 5, 10, 12, 15, 20, 50, 100, 365, 1000, 5000, 100_000]
_TEXTS = ["Safi kabisa", "Hakuna shida kubwa hapa", "x" * 40]
_GEOPOINT = "-1.28 36.82"
_MEDIA = {"image": "image/jpeg", "audio": "audio/ogg", "video": "video/mp4"}


@dataclass(frozen=True)
class PathCost:
    """One path through the survey: what the person sends and what we send back."""

    questions: int  # answers the person gave (commands such as SKIP included)
    messages_in: int  # texts (or USSD hops) the person sends, the opening keyword included
    messages_out: int  # texts (or USSD screens) we send
    segments: int  # SMS parts we send (0 on USSD and WhatsApp)
    gsm7: int  # of which GSM-7 parts
    ucs2: int  # of which UCS-2 parts

    def to_json(self) -> dict[str, int]:
        """camelCase, as the API answers."""
        return {"questions": self.questions, "messagesIn": self.messages_in,
                "messagesOut": self.messages_out, "segments": self.segments,
                "gsm7Segments": self.gsm7, "ucs2Segments": self.ucs2}


@dataclass(frozen=True)
class SurveyCost:
    """The shortest and longest completed path in one language (and a declined one's)."""

    language: str | None  # the form's language name, None for an untranslated form
    shortest: PathCost | None
    longest: PathCost | None
    declined: PathCost | None
    paths: int
    exhaustive: bool

    def to_json(self) -> dict[str, Any]:
        """camelCase, as the API answers."""
        return {"language": self.language,
                "shortest": self.shortest.to_json() if self.shortest else None,
                "longest": self.longest.to_json() if self.longest else None,
                "declined": self.declined.to_json() if self.declined else None,
                "paths": self.paths, "exhaustive": self.exhaustive}


def survey_cost(model: FormModel, medium: str = "sms",
                settings: Mapping[str, Any] | None = None, keyword: str = "KEY",
                max_steps: int = MAX_STEPS, now: datetime | None = None) -> list[SurveyCost]:
    """The cost of the survey in each of the form's languages on a channel (`medium` and
    the channel's engine settings: segment budget, look-alikes...)."""
    now = now or datetime.now(UTC)
    languages = list(model.languages) or [None]
    return [_one_language(model, medium, dict(settings or {}), keyword, language, max_steps,
                          now) for language in languages]


def _one_language(model: FormModel, medium: str, settings: dict[str, Any], keyword: str,
                  language: str | None, max_steps: int, now: datetime) -> SurveyCost:
    search = _Search(model, medium, now, max_steps)
    # The keyword alone opens the question-by-question survey (compact mode is another path).
    context = StartContext(medium=medium, text=keyword, phone="",
                           settings={**settings, "compact": False},
                           language=language_code(language) if language else None)
    state, replies = engine.start(model, context, now)
    search.run(state, _Tally(search.count(replies), 0, 1 if medium != "ussd" else 0)
               .reading(search.lead_screens(state)))
    completed = search.done[ConversationStatus.COMPLETED]
    declined = search.done[ConversationStatus.DECLINED]
    return SurveyCost(
        language=language,
        shortest=min(completed, key=_order) if completed else None,
        longest=max(completed, key=_order) if completed else None,
        declined=min(declined, key=_order) if declined else None,
        paths=len(completed) + len(declined), exhaustive=search.steps <= max_steps)


def _order(cost: PathCost) -> tuple[int, int, int]:
    return cost.segments, cost.messages_out, cost.messages_in


@dataclass(frozen=True)
class _Tally:
    out: tuple[int, int, int, int]  # messages, segments, GSM-7 parts, UCS-2 parts
    questions: int
    inbound: int

    def plus(self, out: tuple[int, int, int, int]) -> _Tally:
        return _Tally(tuple(a + b for a, b in zip(self.out, out, strict=True)),  # type: ignore[arg-type]
                      self.questions + 1, self.inbound + 1)

    def reading(self, screens: int) -> _Tally:
        """USSD screens of a long label the person reads with "0" before answering: one hop
        in and one screen out each."""
        if not screens:
            return self
        messages, segments, gsm7, ucs2 = self.out
        return _Tally((messages + screens, segments, gsm7, ucs2), self.questions,
                      self.inbound + screens)

    def cost(self) -> PathCost:
        messages, segments, gsm7, ucs2 = self.out
        return PathCost(self.questions, self.inbound, messages, segments, gsm7, ucs2)


class _Search:
    """Depth first over the answers that matter, sharing each path's prefix."""

    def __init__(self, model: FormModel, medium: str, now: datetime, max_steps: int) -> None:
        self.model, self.medium, self.max_steps = model, medium, max_steps
        self.now = now
        self.steps = 0
        self.done: dict[str, list[PathCost]] = {ConversationStatus.COMPLETED: [],
                                                 ConversationStatus.DECLINED: []}
        self.drivers = _drivers(model)

    def count(self, replies: list[str]) -> tuple[int, int, int, int]:
        if self.medium != "sms":
            return len(replies), 0, 0, 0
        parts = [render.segments(text) for text in replies]
        return (len(replies), sum(p.count for p in parts),
                sum(p.count for p in parts if p.encoding == "GSM-7"),
                sum(p.count for p in parts if p.encoding == "UCS-2"))

    def lead_screens(self, state: State) -> int:
        """The screens before the choices of the question this state waits on (USSD)."""
        if self.medium != "ussd" or state.status != ConversationStatus.ACTIVE:
            return 0
        walk, event = engine.current(state, self.now)
        return 0 if event is None else prompts.ussd_lead_screens(state, walk, event)

    def run(self, state: State, tally: _Tally) -> None:
        stack = [(state.to_json(), tally)]
        while stack and self.steps <= self.max_steps:
            data, tally = stack.pop()
            state = engine.load(data, self.model)
            if state.status in self.done:
                self.done[state.status].append(tally.cost())
                continue
            walk, event = engine.current(state, self.now)
            if state.status != ConversationStatus.ACTIVE or event is None:
                continue  # a path the engine cannot finish (no accepted answer): not counted
            for text, media in reversed(list(self._answers(state, walk, event))):
                self.steps += 1
                nxt, replies = engine.step(engine.load(data, self.model), text, self.now,
                                           media)
                after = nxt.to_json()
                if all(after[k] == data[k] for k in ("at", "answers", "repeats", "status")):
                    continue  # taken as something else (a keyword): no step forward
                stack.append((after, tally.plus(self.count(replies)).reading(
                    self.lead_screens(nxt))))

    def _answers(self, state: State, walk: Walk, event: Event
                 ) -> Iterator[tuple[str, list[InboundMedia]]]:
        if event.kind == "prompt":
            if walk.repeats.get(event.key[1:], 0) < 1:
                yield "1", []
            yield "2", []
            return
        kind = hints.media_kind(event)
        if kind is not None:
            yield "", [InboundMedia(f"https://media.invalid/ME{kind}", _MEDIA[kind])]
            if not event.required:
                yield _skip(state), []
            return
        driver = event.field.path in self.drivers
        accepted = [text for text in _accepted(walk, event, driver, self.now)
                    if keywords.fold(text).partition(" ")[0] != state.keyword
                    and keywords.match_command(text) is None]
        if not event.required and (driver or not accepted):
            accepted.append(_skip(state))
        yield from ((text, []) for text in dict.fromkeys(accepted))


def _skip(state: State) -> str:
    return keywords.DEFAULT_WORDS[keywords.SKIP]["en"][0]


def _accepted(walk: Walk, event: Event, driver: bool, now: datetime) -> Iterator[str]:
    """Texts the question accepts: all that can matter for a driver, else the first."""
    found = [text for text in _candidates(walk, event, driver, now)
             if _accepts(walk, event, text)]
    if not found:
        return
    f = event.field
    if not driver:
        yield found[0]
    elif f.type in ("int", "decimal") and f.control not in ("select1", "select"):
        numbers = sorted(found, key=float)
        yield from dict.fromkeys([numbers[0], numbers[-1]])
    elif f.control == "select":
        yield from found[:-1]  # each choice alone
        together = []
        for text in found[:-1]:
            if _accepts(walk, event, " ".join([*together, text])):
                together.append(text)
        if len(together) > 1:
            yield " ".join(together)
    else:
        yield from found


def _candidates(walk: Walk, event: Event, driver: bool, now: datetime) -> list[str]:
    f = event.field
    if f.control in ("select1", "select"):
        numbers = [str(n) for n in range(1, len(walk.choices(event)) + 1)]
        return numbers + (["0"] if f.control == "select" else [])  # sentinel, never accepted
    if f.control == "trigger":
        return ["OK"]
    if f.type in ("int", "decimal"):
        named = {float(n) for n in _NUMBERS.findall(f.constraint or "")}
        probes = set(_PROBES) | {n + d for n in named for d in (-1, 0, 1)}
        return [str(int(n)) if float(n).is_integer() else str(n) for n in sorted(probes)]
    if f.type in ("date", "dateTime"):
        days = [now.date() - timedelta(days=d) for d in (1, 0, 30, 365)] + [
            datetime(2020, 6, 15).date(), datetime(2030, 6, 15).date()]
        suffix = " 12:00" if f.type == "dateTime" else ""
        return [day.isoformat() + suffix for day in days]
    if f.type == "time":
        return ["12:00"]
    if f.type == "geopoint":
        return [_GEOPOINT]
    return _TEXTS


def _accepts(walk: Walk, event: Event, text: str) -> bool:
    try:
        value = parse_answer(event.field, text, walk.choices(event))
    except AnswerError:
        return False
    return value != "" and walk.check(event, value) is None


def _drivers(model: FormModel) -> set[str]:
    """Questions whose answer some expression reads: what is asked can depend on them."""
    read: set[str] = set()
    for f in model.fields:
        expressions = [f.relevant, f.calculate, f.constraint, f.required, f.repeat_count,
                       f.itemset.nodeset if f.itemset else None]
        for expr in filter(None, expressions):
            try:
                read |= {p for p in referenced_paths(expr, f.path) if p != f.path}
            except XPathError:
                continue
        read |= set(f.label_refs)
    return {re.sub(r"\[\d+\]", "", p) for p in read}
