"""What the engine shows for a question, a repeat prompt or a menu, fitted to the medium.

A question is its label, with "3/12" before it when the form asks for progress
(`sms_progress`) and a hint after it saying how to answer (hints.py). The hint is added in
full when that costs no more SMS parts (or USSD pages) than the label alone, else in its
short form; the type's own hint (how to write a date, "e.g. 1 3") is never left out.
On USSD a label too long for one screen (an informed-consent text, a long question) is shown
whole over several screens, each ending "0 More": the last holds the rest of the label and the
choices, or for a question without choices its hint ("0" there is an answer, not "More").
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from forms.walker import Event, Walk, language_code
from sms_flows import hints, keywords, render
from sms_flows.messages import message
from sms_flows.state import State, engine_settings

USSD_RESERVE = 48  # room kept on a USSD list page for a short reason above it


def fits_for(state: State, reserve: int = 0) -> Callable[[str], bool]:
    """The fit test of the state's medium: one USSD screen, one WhatsApp message, or the SMS
    segment budget."""
    return _fits(state.medium, state.settings, reserve)


def _fits(medium: str, settings: Mapping[str, Any], reserve: int = 0) -> Callable[[str], bool]:
    if medium == "ussd":
        return lambda text: render.ussd_fits(text + " " * reserve)
    if medium == "whatsapp":
        return render.whatsapp_fits
    return render.sms_fits(int(settings["segments"]), bool(settings["lookalikes"]))


def askable(state: State, event: Event) -> bool:
    """Whether the engine asks this event: a relevant question or repeat prompt, and on
    WhatsApp a photo, voice note or video question too."""
    if not event.relevant:
        return False
    if event.kind == "unanswerable":
        return state.medium == "whatsapp" and hints.media_kind(event) is not None
    return event.kind in ("question", "prompt")


def catalogue_language(state: State) -> str:
    """The state's language as a catalogue code (English when the catalogue lacks it)."""
    return state.language if state.language in ("en", "sw", "es", "ne") else "en"


def itext_language(state: State) -> str | None:
    """The form's itext language name for the state's language code."""
    for name in state.model.languages:
        if state.language in (name, language_code(name)):
            return name
    return state.model.default_language


def language_names(state: State) -> list[str]:
    """The form's languages as people read them ("Kiswahili", not "Kiswahili (sw)")."""
    return [re.sub(r"\s*\([^)]*\)\s*$", "", n) or n for n in state.model.languages]


def numbered(options: Sequence[str]) -> list[str]:
    """ "1. Yes", "2. No" ..."""
    return [f"{n}. {text}" for n, text in enumerate(options, 1)]


def paged(state: State, header: str, options: Sequence[str],
          intro: str = "") -> tuple[str, int]:
    """The current page of a numbered list and how many pages there are (`intro`, how to
    answer, on the first page only)."""
    pages = _pages(state, header, options, intro)
    return pages[state.page % len(pages)], len(pages)


def _pages(state: State, header: str, options: Sequence[str], intro: str = "") -> list[str]:
    fits = fits_for(state, USSD_RESERVE)
    more = message("more", catalogue_language(state))
    lead: list[str] = []
    if state.medium == "ussd":  # one screen is all there is; an SMS is split instead
        lead, header = _ussd_header(header, [*numbered(options)[:1], more], more, fits)
    if intro and not _intro_fits(state, header, intro, options):
        intro = ""  # no page could hold it beside a choice: the budget is the limit
    return [f"{page}\n{more}" for page in lead] + render.pages(
        header, numbered(options), more, fits, intro)


def ussd_lead_screens(state: State, walk: Walk, event: Event) -> int:
    """How many USSD screens of a question's label come before the one with its choices or
    hint (each read with "0 More"); 0 when the label fits beside them, or off USSD."""
    if state.medium != "ussd" or event.kind != "question":
        return 0
    if not has_choices(event):
        return question(state, walk, event)[1] - 1
    label = walk.label(event)
    count = progress(state, walk, event)
    options = [walk.text(c.labels) or c.name for c in walk.choices(event)]
    more = message("more", catalogue_language(state))
    return len(_ussd_header(f"{count} {label}" if count else label,
                            [*numbered(options)[:1], more], more,
                            fits_for(state, USSD_RESERVE))[0])


def has_choices(event: Event) -> bool:
    """A select_one or select_multiple question (its choices are numbered)."""
    return event.field.control in ("select1", "select")


def _ussd_header(header: str, below: Sequence[str], more: str,
                 fits: Callable[[str], bool]) -> tuple[list[str], str]:
    """A header too long to stand on a USSD screen above the lines `below` it (the first
    choice and "0 More", or a question's hint): its leading screens (each read with "0 More")
    and the part left to stand above them. Nothing is cut (an informed-consent text must be
    read whole), unless one word fills a screen."""
    def fits_above(text: str) -> bool:
        return fits("\n".join([text, *below]))

    if fits_above(header):
        return [], header
    pieces = render.split(header, lambda h: fits(f"{h}\n{more}"))
    last = pieces.pop()
    if not fits_above(last):  # the last piece again, leaving room
        tail = render.split(last, fits_above)
        pieces, last = pieces + tail[:-1], tail[-1]
    return pieces, render.truncate(last, fits_above)


def _ussd_screens(state: State, label: str, hint: str) -> list[str]:
    """A question without choices on USSD: its label and hint on one screen, or the label over
    several, each but the last ending "0 More", the last with the hint."""
    whole = f"{label}\n{hint}" if hint else label
    if render.ussd_fits(whole):
        return [whole]
    more = message("more", catalogue_language(state))
    lead, last = _ussd_header(label, [hint] if hint else [], more,
                              fits_for(state, USSD_RESERVE))
    return [f"{piece}\n{more}" for piece in lead] + [f"{last}\n{hint}" if hint else last]


def question(state: State, walk: Walk, event: Event, hint: bool = True) -> tuple[str, int]:
    """The text asking an event (with its page of choices) and the number of pages;
    `hint=False` when the reason just given already says how to answer."""
    lang = catalogue_language(state)
    if event.kind == "prompt":
        label = walk.label(event)
        exists = event.key[1:] in walk.repeats and walk.repeats[event.key[1:]] > 0
        header = message("add_another" if exists else "add_first", lang, label=label)
        return paged(state, header, [message("yes", lang), message("no", lang)])
    label = walk.label(event)
    count = progress(state, walk, event)
    if count:
        label = f"{count} {label}"
    options = None
    if has_choices(event):
        options = [walk.text(c.labels) or c.name for c in walk.choices(event)]
    said = hints.answer_hints(event, lang, keywords.word_table(state.commands)) \
        if hint else hints.Hints()
    hint = _hint(state, label, said, options)
    if options is not None:
        return paged(state, label, options, hint)
    if state.medium == "ussd":
        screens = _ussd_screens(state, label, hint)
        return screens[state.page % len(screens)], len(screens)
    return (f"{label}\n{hint}" if hint else label), 1


def progress(state: State, walk: Walk, event: Event) -> str:
    """ "3/12" for a question when the form asks for it: its place among the questions the
    person is now on course to be asked (consent questions not counted)."""
    settings = state.model.settings
    if not settings.progress or event.kind == "prompt":
        return ""
    consent = {c.path for c in settings.consent}
    if event.field.path in consent:
        return ""
    keys = [e.key for e in walk.events() if askable(state, e) and e.kind != "prompt"
            and e.field.path not in consent]
    if event.key not in keys:
        return ""
    return f"{keys.index(event.key) + 1}/{len(keys)}"


def _hint(state: State, label: str, said: hints.Hints, options: list[str] | None) -> str:
    """The hint the channel affords after the label: in full, or short, when that costs no
    more; else the type's short hint whatever it costs (the person cannot answer without
    it); else the short optional hint when it costs one SMS part more at most."""
    def cost(hint: str) -> tuple[int, int]:
        return _cost(state, label, hint, options)

    bare = cost("")
    for hint in (_join(said.how, said.skip), _join(said.how_short, said.skip_short)):
        if hint and cost(hint) <= bare:
            return hint
    if said.how and cost(said.how_short)[0] < 10**6:
        return said.how_short
    if said.skip and cost(said.skip_short) <= (bare[0], bare[1] + 1):
        return said.skip_short
    return ""


def _join(*texts: str) -> str:
    return " ".join(t for t in texts if t)


def _intro_fits(state: State, header: str, intro: str, options: Sequence[str]) -> bool:
    """Whether a page can hold the header (on USSD: the part of it above the choices), the
    intro, one choice and "0 More"."""
    more = message("more", catalogue_language(state))
    fits = fits_for(state, USSD_RESERVE)
    if state.medium == "ussd":
        header = _ussd_header(header, [*numbered(options)[:1], more], more, fits)[1]
    return fits("\n".join([header, intro, *numbered(options)[:1], more]))


def _cost(state: State, label: str, hint: str,
          options: list[str] | None) -> tuple[int, int]:
    """(pages, SMS parts over all pages; or pages cut short on USSD, messages on WhatsApp);
    a hint no page can hold beside a choice costs too much."""
    if options is not None and hint and not _intro_fits(state, label, hint, options):
        return 10**6, 10**6
    if options is None:
        pages = _ussd_screens(state, label, hint) if state.medium == "ussd" else \
            [f"{label}\n{hint}" if hint else label]
    else:
        pages = _pages(state, label, options, hint)
    if state.medium == "ussd":
        return len(pages), sum(not render.ussd_fits(page) for page in pages)
    if state.medium == "whatsapp":
        return len(pages), sum(len(render.split(page, render.whatsapp_fits)) for page in pages)
    lookalikes = bool(state.settings["lookalikes"])
    return len(pages), sum(render.segments(render.prepare_sms(page, lookalikes)).count
                           for page in pages)


def reply(state: State, parts: Sequence[str]) -> list[str]:
    """Replies for the medium: one USSD screen (notes cut first), or as few SMS as fit."""
    return _fit(state.medium, state.settings, parts)


def fit(medium: str, settings: Mapping[str, Any] | None, parts: Sequence[str]) -> list[str]:
    """Texts said outside a survey (MYDATA, DELETE...) fitted like the engine's replies, for a
    channel's medium and settings."""
    return _fit(medium, engine_settings(settings), parts)


def _fit(medium: str, settings: Mapping[str, Any], parts: Sequence[str]) -> list[str]:
    parts = [p for p in parts if p]
    fits = _fits(medium, settings)
    if medium == "ussd":
        while len(parts) > 1 and not fits("\n".join(parts)):
            # Shorten what comes before the question (notes, reasons), dropping it at last.
            room = render.USSD_LIMIT - 4 - len("\n".join(parts[1:])) - 1
            if room >= 16:
                parts = [render.truncate(parts[0], lambda t, r=room: len(t) <= r), *parts[1:]]
            else:
                parts = parts[1:]
        return [render.truncate("\n".join(parts), fits)] if parts else []
    out: list[str] = []
    for part in (piece for p in parts for piece in render.split(p, fits)):
        if out and fits(out[-1] + "\n" + part):
            out[-1] += "\n" + part
        else:
            out.append(part)
    if settings.get("lookalikes") and medium == "sms":
        out = [render.gsm_lookalike(text) for text in out]
    return out
