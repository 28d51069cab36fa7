"""What the engine shows for a question, a repeat prompt or a menu, fitted to the medium."""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from forms.walker import Event, Walk, language_code
from sms_flows import render
from sms_flows.messages import message
from sms_flows.state import State

USSD_RESERVE = 48  # room kept on a USSD list page for a short reason above it


def fits_for(state: State, reserve: int = 0) -> Callable[[str], bool]:
    """The fit test of the state's medium: one USSD screen, or the SMS segment budget."""
    if state.medium == "ussd":
        return lambda text: render.ussd_fits(text + " " * reserve)
    return render.sms_fits(int(state.settings["segments"]), bool(state.settings["lookalikes"]))


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


def paged(state: State, header: str, options: Sequence[str]) -> tuple[str, int]:
    """The current page of a numbered list and how many pages there are."""
    fits = fits_for(state, USSD_RESERVE)
    if state.medium == "ussd":  # one screen is all there is; an SMS is split instead
        header = render.truncate(header, lambda h: fits("\n".join([h, *options[:1],
                                                                    message("more", "en")])))
    pages = render.pages(header, numbered(options), message("more", catalogue_language(state)),
                         fits)
    return pages[state.page % len(pages)], len(pages)


def question(state: State, walk: Walk, event: Event) -> tuple[str, int]:
    """The text asking an event (with its page of choices) and the number of pages."""
    lang = catalogue_language(state)
    if event.kind == "prompt":
        label = walk.label(event)
        exists = event.key[1:] in walk.repeats and walk.repeats[event.key[1:]] > 0
        header = message("add_another" if exists else "add_first", lang, label=label)
        return paged(state, header, [message("yes", lang), message("no", lang)])
    label = walk.label(event)
    f = event.field
    if f.control in ("select1", "select"):
        options = [walk.text(c.labels) or c.name for c in walk.choices(event)]
        return paged(state, label, options)
    return (render.truncate(label, fits_for(state)) if state.medium == "ussd" else label), 1


def reply(state: State, parts: Sequence[str]) -> list[str]:
    """Replies for the medium: one USSD screen (notes cut first), or as few SMS as fit."""
    parts = [p for p in parts if p]
    fits = fits_for(state)
    if state.medium == "ussd":
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
    if state.settings.get("lookalikes"):
        out = [render.gsm_lookalike(text) for text in out]
    return out
