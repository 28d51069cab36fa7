"""The conversation engine: any published XLSForm answered question by question by SMS or USSD.

Module-level functions implement `sms_flows.types.ConversationEngine` (the app imports this
module). Commands (keywords.py words, in every language, plus the project's) come before
answers; after BACK and a new answer the walk goes on to the first question without a
(still valid) answer. After `max_attempts` invalid answers an optional question is skipped
(saying so); a required one keeps being asked, with the reason and a HELP hint. `tick` gives an idle
survey one reminder after `remind_after` seconds, then marks it "expired" `expire_after`
seconds after the person's last message; `resume` (or any text) picks it up again. A keyword
of another form (StartContext.form_keywords) mid-survey asks "leave this one? 1 Yes 2 No";
on yes the state keeps status "active" and names the form in `switch_to`: the app keeps this
survey as an expired partial and starts that form. A survey that came in one compact message
has `submission_channel == "compact"`.

The form's settings (forms.settings, on the model) shape the conversation: a declined consent
question ends it at once with status "declined", its answers dropped (nothing kept); a
sensitive form gets no reminders. A finished survey closes with the form's own last note when
it has one, else ours. On WhatsApp, photo, voice-note and video questions are asked and
answered with the media the person sends (kept in `state.media` for the app to download),
and no reminder is sent once the provider's 24-hour session window has closed. A USSD
session redialled after a drop offers "1. Continue 2. Start again".
"""
from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from forms.model import FormModel, parse_xform
from forms.settings import ConversationSettings
from forms.walker import Event, Walk, language_code
from forms.xpath import to_string
from sms_flows import compact, hints, keywords, prompts
from sms_flows.answers import AnswerError, ascii_digits, parse_answer, plain_reply
from sms_flows.messages import CATALOGUE, command_word, message
from sms_flows.state import State, engine_settings, utc
from sms_flows.types import ConversationStatus, InboundMedia, StartContext

Replies = tuple[State, list[str]]
# WhatsApp lets a business send free text only within 24 hours of the person's last message;
# a reminder is not worth a refused send, so none goes out in the last few minutes either.
WHATSAPP_SESSION = 24 * 3600 - 300


def parse_form(xml: str | bytes,
               settings: ConversationSettings | Mapping[str, Any] | None = None) -> FormModel:
    """The form model of a published version's XForm, with its conversation settings (as
    stored: `ConversationSettings.to_json()`)."""
    model = parse_xform(xml.encode("utf-8") if isinstance(xml, str) else xml)
    if settings:
        model = model.with_settings(settings if isinstance(settings, ConversationSettings)
                                    else ConversationSettings.from_json(settings))
    return model


def load(data: Mapping[str, Any], form_model: FormModel) -> State:
    """A state back from `to_json()` output."""
    return State.from_json(data, form_model)


def start(form_model: FormModel, context: StartContext, now: datetime) -> Replies:
    """A new survey: fill the metadata, then ask the first question (or take a compact one)."""
    state = State(model=form_model, medium=context.medium,
                  settings=engine_settings(context.settings),
                  commands=dict(context.commands) if context.commands else None,
                  instance_id=f"uuid:{uuid.uuid4()}",
                  keyword=keywords.fold(context.text).partition(" ")[0],
                  form_keywords={keywords.fold(k): v for k, v in
                                 (getattr(context, "form_keywords", None) or {}).items()})
    state.language = _initial_language(form_model, context.language)
    state.started = utc(now).isoformat()
    state.touch(now)
    walk = _walk(state, now)
    _preload(state, walk, context.phone, now)
    _, _, rest = keywords.fold(context.text).partition(" ")
    if rest and _compact_allowed(state):
        return _compact(state, walk, context.text, now)
    return _advance(state, walk, None, now, [])


def step(state: State, inbound_text: str, now: datetime,
         media: Sequence[InboundMedia] = ()) -> Replies:
    """One answer or command in (with the photos or notes it carried, on WhatsApp), the new
    state and the replies out."""
    if state.status in (ConversationStatus.COMPLETED, ConversationStatus.DECLINED):
        return state, []
    state.status = ConversationStatus.ACTIVE
    state.touch(now)
    walk = _walk(state, now)
    text = plain_reply(inbound_text)
    match = keywords.match_command(text, _table(state))
    if state.pending == "switch" and (match is None or match.command != keywords.STOP):
        return _answer_switch(state, walk, text, now)
    if match is not None:
        return _command(state, walk, match, now)
    if state.pending == "language":
        return _pick_language(state, walk, text, now)
    if state.pending == "resume":
        return _answer_resume(state, walk, text, now)
    first, _, rest = keywords.fold(text).partition(" ")
    if first in state.form_keywords and first != state.keyword:
        return offer_switch(state, text, now)
    if state.keyword and first == state.keyword and not rest:
        return _ask(state, walk, [])  # the keyword again: ask where they are
    if state.keyword and first == state.keyword and _compact_allowed(state) and (
            state.at is None or f" {compact.SEPARATOR}" in text):
        return _compact(state, walk, text, now)
    event = _current(state, walk) if state.at is not None else None
    if event is None:  # nothing asked yet (a compact message failed): ask the first question
        return _advance(state, walk, None, now, [])
    if hints.media_kind(event) is not None:
        return _answer_media(state, walk, event, text, media, now)
    return _answer(state, walk, event, text, now)


def resume(state: State, now: datetime) -> Replies:
    """Ask again where the person stopped (START, a text after expiry); a redialled USSD
    session that had answers is offered "1. Continue 2. Start again" first."""
    if state.status in (ConversationStatus.COMPLETED, ConversationStatus.DECLINED):
        return state, []
    state.status = ConversationStatus.ACTIVE
    state.pending = state.switch_to = state.switch_form = None
    state.touch(now)
    walk = _walk(state, now)
    if state.at is None:
        return _advance(state, walk, None, now, [])
    lang = prompts.catalogue_language(state)
    if state.medium == "ussd" and _answered_any(state, walk):
        state.pending = "resume"
        return _answer_resume(state, walk, "", now)
    return _ask(state, walk, [message("welcome_back", lang)])


def resumable(state: State, now: datetime) -> bool:
    """Whether a survey left open may be picked up again now: always over SMS and WhatsApp,
    within the `resume_window` setting over USSD (a redial after it starts a new survey)."""
    return state.medium != "ussd" or state.idle(now) <= state.settings["resume_window"]


def current(state: State, now: datetime) -> tuple[Walk, Event | None]:
    """The walk of a state and the event it waits on (None before the first or after the
    last), for callers that answer for the person (sms_flows.cost)."""
    walk = _walk(state, now)
    return walk, (_current(state, walk) if state.at is not None else None)


def tick(state: State, now: datetime) -> Replies:
    """An idle survey: one reminder after remind_after, then "expired" after expire_after.

    A sensitive form is never reminded (a reminder could reveal taking part), nor a WhatsApp
    survey outside its 24-hour session; both still expire."""
    if state.status != ConversationStatus.ACTIVE:
        return state, []
    idle = state.idle(now)
    if not state.reminded and idle >= state.settings["remind_after"]:
        state.reminded = True
        if state.model.settings.sensitive or (
                state.medium == "whatsapp" and idle >= WHATSAPP_SESSION):
            return state, []
        walk = _walk(state, now)
        return _ask(state, walk, [message("reminder", prompts.catalogue_language(state))])
    if state.reminded and idle >= state.settings["expire_after"]:
        state.status = ConversationStatus.EXPIRED
    return state, []


def offer_switch(state: State, text: str, now: datetime) -> Replies:
    """Another form's keyword (or xmlFormId) arrived mid-survey: ask before leaving this one."""
    state.touch(now)
    first = keywords.fold(text).partition(" ")[0]
    state.pending = "switch"
    state.switch_form = state.form_keywords.get(first, state.switch_form or text.strip())
    lang = prompts.catalogue_language(state)
    header = message("switch", lang)
    body, _ = prompts.paged(state, header, [message("yes", lang), message("no", lang)])
    return state, prompts.reply(state, [body])


class Engine:
    """The engine as an object, for callers that want one (the app may use the module)."""

    parse_form = staticmethod(parse_form)
    start = staticmethod(start)
    step = staticmethod(step)
    resume = staticmethod(resume)
    tick = staticmethod(tick)
    load = staticmethod(load)
    offer_switch = staticmethod(offer_switch)
    resumable = staticmethod(resumable)


# --- walking --------------------------------------------------------------------------------


def _walk(state: State, now: datetime) -> Walk:
    return Walk(state.model, state.answers, state.repeats, now=utc(now),
                language=prompts.itext_language(state))


def _sync(state: State, walk: Walk) -> None:
    state.answers = walk.answers
    state.repeats = walk.repeats


def _current(state: State, walk: Walk) -> Event | None:
    events = walk.events()
    for event in events:
        if event.key == state.at:
            return event if event.relevant else _next(state, events, events.index(event), [])
    # The question asked is gone (no longer relevant, or its repeat shrank): find the first
    # relevant question without an answer.
    for event in events:
        if event.relevant and event.kind == "question" and event.key not in state.answers:
            return event
    return None


def _next(state: State, events: list[Event], index: int, notes: list[Event],
          skip: Callable[[Event], bool] | None = None) -> Event | None:
    for event in events[index + 1:]:
        if event.relevant and event.kind == "note":
            notes.append(event)
        elif prompts.askable(state, event):
            if skip is None or not skip(event):
                return event
            notes.clear()  # notes before an answer kept were seen already
    return None


def _still_valid(walk: Walk) -> Callable[[Event], bool]:
    """Answers kept from before a BACK: passed over while they are still accepted."""
    return lambda e: e.kind == "question" and e.key in walk.answers and \
        walk.check(e, walk.answers[e.key]) is None


def _advance(state: State, walk: Walk, after: str | None, now: datetime,
             before: list[str], skip: Callable[[Event], bool] | None = None) -> Replies:
    events = walk.events()
    index = next((i for i, e in enumerate(events) if e.key == after), -1)
    notes: list[Event] = []
    event = _next(state, events, index, notes, skip)
    said = before + [walk.label(n) for n in notes]
    state.page = state.attempts = 0
    if event is None:
        return _finish(state, walk, now, said, closing=bool(notes))
    state.at = event.key
    _sync(state, walk)
    return _ask(state, walk, said)


def _ask(state: State, walk: Walk, before: list[str], hint: bool = True) -> Replies:
    event = _current(state, walk)
    if event is None:
        return state, prompts.reply(state, before)
    state.at = event.key
    body, _ = prompts.question(state, walk, event, hint)
    return state, prompts.reply(state, [*before, body])


def _finish(state: State, walk: Walk, now: datetime, said: list[str],
            closing: bool = False) -> Replies:
    """The survey is done: its instance built; one closing message, the form's own last
    note(s) when `closing` (they are in `said`), else ours."""
    if _declines(state, walk):
        return _decline(state)
    stamp = _timestamp(now)
    for path, (kind, param) in walk.info.preloads.items():
        if kind == "timestamp" and param == "end":
            walk.answers[path] = stamp
    walk.refresh()
    _sync(state, walk)
    state.instance_xml = walk.instance_xml(state.instance_id).decode("utf-8")
    state.status = ConversationStatus.COMPLETED
    state.at = None
    thanks = [] if closing else [message("thanks", prompts.catalogue_language(state))]
    return state, prompts.reply(state, [*said, *thanks])


def _declines(state: State, walk: Walk) -> bool:
    """Whether a consent question the person was asked got anything but its agreeing
    answer (a skipped one included)."""
    settings = state.model.settings
    if not settings.consent:
        return False
    relevant = {e.key for e in walk.events() if e.relevant}
    return any(c.path in relevant and c.path in walk.answers  # asked, answered or skipped
               and walk.answers[c.path] != c.agree for c in settings.consent)


def _decline(state: State) -> Replies:
    """A declined consent: the survey ends here and nothing the person sent is kept."""
    state.status = ConversationStatus.DECLINED
    state.answers, state.repeats, state.media = {}, {}, {}
    state.instance_xml = None
    state.at = state.pending = None
    return state, prompts.reply(state, [message("declined", prompts.catalogue_language(state))])


# --- answers ----------------------------------------------------------------------------------


def _answer(state: State, walk: Walk, event: Event, text: str, now: datetime) -> Replies:
    lang = prompts.catalogue_language(state)
    if event.kind == "prompt":
        return _answer_prompt(state, walk, event, text, now)
    if ascii_digits(text) == "0":
        # "0 More": a list's next page (round again after the last), or the next screen of a
        # long label; on a question's last screen without choices, 0 is an answer.
        _, pages = prompts.question(state, walk, event)
        choices = prompts.has_choices(event)
        if pages > 1 and (choices or state.page % pages < pages - 1):
            state.page = (state.page + 1) % pages
            return _ask(state, walk, [])
    said_how = False  # the reason is the type's own hint: the question need not repeat it
    try:
        value = parse_answer(event.field, text, walk.choices(event))
        problem = walk.check(event, value)
        reason = None if problem is None else (
            message(problem, lang) if problem in ("required", "constraint") else problem)
    except AnswerError as error:
        reason, said_how = error.text(lang), True
    if reason is None:
        return _accept(state, walk, event, value, now)
    return _retry(state, walk, event, reason, now, hint=not said_how)


def _accept(state: State, walk: Walk, event: Event, value: str, now: datetime,
            before: Sequence[str] = ()) -> Replies:
    walk.answer(event, value)
    if _declines(state, walk):
        return _decline(state)
    # After BACK, carry on from the first question without a (valid) answer.
    return _advance(state, walk, event.key, now, list(before), _still_valid(walk))


def _retry(state: State, walk: Walk, event: Event, reason: str, now: datetime,
           hint: bool = True) -> Replies:
    """An answer refused: say why and ask again; skip an optional question after too many."""
    lang = prompts.catalogue_language(state)
    state.attempts += 1
    # On USSD the reason goes above the screen it speaks of: the one with the choices or with
    # how to answer, not a long label's first screen.
    lead = prompts.ussd_lead_screens(state, walk, event)
    if state.page < lead:
        state.page = lead
    if state.attempts >= state.settings["max_attempts"]:
        if not event.required:
            return _accept(state, walk, event, "", now,
                           [message("skipped", lang, n=state.attempts)])
        help_hint = message("help_hint", lang,
                            help=command_word(keywords.HELP, lang, _table(state)))
        return _ask(state, walk, [f"{reason} {help_hint}"], hint)
    return _ask(state, walk, [reason], hint)


def _answer_media(state: State, walk: Walk, event: Event, text: str,
                  media: Sequence[InboundMedia], now: datetime) -> Replies:
    """A photo, voice-note or video question (WhatsApp): the first fitting media answers it;
    the instance holds its file name, `state.media` where to fetch it."""
    kind = hints.media_kind(event)
    fitting = [m for m in media if m.content_type.partition("/")[0] == kind]
    if not fitting:
        return _retry(state, walk, event, message(f"send_{kind}", prompts.catalogue_language(
            state)), now, hint=False)
    chosen = fitting[0]
    state.media[chosen.filename] = {"url": chosen.url, "contentType": chosen.content_type}
    return _accept(state, walk, event, chosen.filename, now)


def _yes_no(text: str) -> bool | None:
    folded = keywords.fold(ascii_digits(text))
    if folded == "1" or folded in _YES:
        return True
    if folded == "2" or folded in _NO:
        return False
    return None


def _answer_prompt(state: State, walk: Walk, event: Event, text: str, now: datetime) -> Replies:
    choice = _yes_no(text)
    if choice is None:
        return _ask(state, walk, [message("reply_number", prompts.catalogue_language(state))])
    if not choice:
        return _advance(state, walk, event.key, now, [])
    new = walk.add_repeat(event.key[1:])
    events = walk.events()
    inside = next((i for i, e in enumerate(events) if e.key.startswith(new + "/")), None)
    _sync(state, walk)
    return _advance(state, walk, events[inside - 1].key if inside else event.key, now, [])


def _answer_switch(state: State, walk: Walk, text: str, now: datetime) -> Replies:
    choice = _yes_no(text)
    if choice is None:
        return offer_switch(state, text, now)
    state.pending = None
    if choice:
        state.switch_to = state.switch_form  # the app keeps this survey and starts that form
        return state, []
    state.switch_form = None
    return _ask(state, walk, [])


# --- commands -------------------------------------------------------------------------------


def _table(state: State) -> dict[str, str]:
    return keywords.word_table(state.commands)


def _command(state: State, walk: Walk, match: keywords.CommandMatch, now: datetime) -> Replies:
    lang = prompts.catalogue_language(state)
    table = _table(state)
    command = match.command
    if command == keywords.STOP:
        state.status = ConversationStatus.OPTED_OUT
        state.pending = None
        return state, [message("stopped", lang, start=command_word(keywords.START, lang, table))]
    if command == keywords.START:
        return resume(state, now)
    if command in keywords.RIGHTS:  # the app answers these before the engine: ask again
        return _ask(state, walk, [])
    if command == keywords.RESTART:
        return _restart(state, walk, now)
    if command == keywords.LANGUAGE:
        if match.argument and _set_language(state, match.argument):
            return _ask(state, _walk(state, now), [])
        if len(state.model.languages) < 2:  # nothing to choose from: carry on
            return _ask(state, walk, [])
        state.pending = "language"
        header = message("choose_language", lang)
        return state, prompts.reply(state, [prompts.paged(
            state, header, prompts.language_names(state))[0]])
    event = _current(state, walk)
    if command == keywords.HELP:
        words = {c: command_word(c, lang, table) for c in
                 (keywords.BACK, keywords.SKIP, keywords.LANGUAGE, keywords.STOP,
                  keywords.MYDATA)}
        return _ask(state, walk, [message("help", lang, **words)])
    if event is None:
        return _advance(state, walk, None, now, [])
    if command == keywords.BACK:
        events = walk.events()
        index = events.index(event)
        previous = next((e for e in reversed(events[:index]) if prompts.askable(state, e)),
                        None)
        if previous is None:
            return _ask(state, walk, [message("first_question", lang)])
        state.at, state.page, state.attempts = previous.key, 0, 0
        return _ask(state, walk, [])
    # SKIP
    if event.kind == "prompt":
        return _advance(state, walk, event.key, now, [])
    if event.required:
        return _ask(state, walk, [message("cannot_skip", lang)])
    return _accept(state, walk, event, "", now)


def _restart(state: State, walk: Walk, now: datetime) -> Replies:
    """A new, empty instance of the same form (the phone number metadata kept)."""
    phone = next((state.answers.get(p, "") for p, (kind, param) in
                  walk.info.preloads.items() if param == "phonenumber"), "")
    state.answers, state.repeats, state.media, state.at = {}, {}, {}, None
    state.pending = None
    state.instance_id = f"uuid:{uuid.uuid4()}"
    walk = _walk(state, now)
    _preload(state, walk, phone, now)
    return _advance(state, walk, None, now,
                    [message("restarted", prompts.catalogue_language(state))])


def _answered_any(state: State, walk: Walk) -> bool:
    return any(e.key in state.answers for e in walk.events()
               if e.kind in ("question", "unanswerable"))


def _answer_resume(state: State, walk: Walk, text: str, now: datetime) -> Replies:
    choice = _yes_no(text)  # 1 continues, 2 starts again
    lang = prompts.catalogue_language(state)
    if choice is None:  # the offer itself (text ""), or again after a reply that is neither
        body, _ = prompts.paged(state, message("resume_offer", lang),
                                [message("continue", lang), message("start_again", lang)])
        return state, prompts.reply(state, [message("reply_number", lang) if text else "", body])
    state.pending = None
    if choice:
        return _ask(state, walk, [])
    return _restart(state, walk, now)


def _pick_language(state: State, walk: Walk, text: str, now: datetime) -> Replies:
    if _set_language(state, text):
        state.pending = None
        return _ask(state, _walk(state, now), [])
    header = message("choose_language", prompts.catalogue_language(state))
    return state, prompts.reply(state, [message("reply_number", prompts.catalogue_language(
        state)), prompts.paged(state, header, prompts.language_names(state))[0]])


def _set_language(state: State, text: str) -> bool:
    names = state.model.languages
    wanted = keywords.fold(ascii_digits(text))
    readable = prompts.language_names(state)
    for i, name in enumerate(names):
        if wanted in (str(i + 1), keywords.fold(name), keywords.fold(readable[i]),
                      keywords.fold(language_code(name))):
            state.language = language_code(name)
            state.pending = None
            return True
    return False


def _initial_language(model: FormModel, wanted: str | None) -> str | None:
    for name in model.languages:
        if wanted and wanted in (name, language_code(name)):
            return language_code(name)
    return language_code(model.default_language) if model.default_language else None


# --- metadata and compact mode ------------------------------------------------------------------


def _timestamp(now: datetime) -> str:
    return utc(now).isoformat(timespec="milliseconds")


def _preload(state: State, walk: Walk, phone: str, now: datetime) -> None:
    """start, today, deviceid, phonenumber... as Collect fills them; first-load defaults."""
    for path, (kind, param) in walk.info.preloads.items():
        if kind == "timestamp" and param == "start":
            walk.answers[path] = _timestamp(now)
        elif kind == "date" and param == "today":
            walk.answers[path] = utc(now).date().isoformat()
        elif kind == "property" and param == "deviceid":
            walk.answers[path] = f"datashift:{state.medium}"
        elif kind == "property" and param == "phonenumber":
            walk.answers[path] = phone or ""
        elif kind == "uid":
            walk.answers[path] = state.instance_id
    for path, expr in walk.info.first_load.items():
        element = walk.element(path)
        if element is not None:
            try:
                walk.answers[path] = to_string(walk.eval(expr, element, path))
            except Exception:  # noqa: BLE001 - a bad default must not stop the survey
                continue
    walk.refresh()
    _sync(state, walk)


def _compact_allowed(state: State) -> bool:
    return bool(state.settings["compact"]) and state.medium == "sms"


def _compact(state: State, walk: Walk, text: str, now: datetime) -> Replies:
    lang = prompts.catalogue_language(state)
    errors = compact.fill(walk, text, lang)
    if errors:
        _sync(state, walk)
        state.at = None
        return state, prompts.reply(state, [message("compact_errors", lang), *errors])
    state.submission_channel = "compact"
    return _finish(state, walk, now, [])


_YES = {keywords.fold(t) for t in CATALOGUE["yes"].values()} | {"y"}
_NO = {keywords.fold(t) for t in CATALOGUE["no"].values()} | {"n"}
