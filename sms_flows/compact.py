"""Compact mode: a whole form in one message, in onadata's sms_support syntax, checked fully.

`KEYWORD answers... +code answers... +code answers...`: each `+code` section holds the
answers to one top-level group's questions, in body order, separated by spaces; the last
answer of a section takes the rest of the text (so it may hold spaces). A group's code is
its `sms_field` (onadata's column; pyxform keeps it only as `bind::sms_field`) or else its
name. Answers before the first `+` go to the questions outside any group (onadata has none
there). A choice answers to its `sms_option` (kept by pyxform in the itemset), its number,
name or label. `-` leaves an answer empty. Unlike onadata, relevance, required and
constraints are checked, and every error comes back in one reply.
"""
from __future__ import annotations

from forms.walker import Event, Walk
from sms_flows.answers import AnswerError, parse_answer
from sms_flows.keywords import fold
from sms_flows.messages import message

SEPARATOR = "+"
EMPTY = ("-", "n/a")


def section_codes(walk: Walk) -> dict[str, str]:
    """Folded section code -> top-level group path ("" for ungrouped questions)."""
    codes = {"": ""}
    for path in walk.info.top_groups:
        f = walk.model.field(path)
        codes[fold(f.bind_attributes.get("sms_field") or f.name)] = path
    return codes


def _owner(walk: Walk, path: str) -> str:
    return next((g for g in walk.info.top_groups if path.startswith(g + "/")), "")


def _questions(walk: Walk, events: list[Event]) -> dict[str, list[str]]:
    by_section: dict[str, list[str]] = {}
    for event in events:
        if event.kind == "question" and "[" not in event.key:
            by_section.setdefault(_owner(walk, event.key), []).append(event.key)
    return by_section


def fill(walk: Walk, text: str, lang: str | None) -> list[str]:
    """Put a compact message's answers into the walk; the errors (empty when it is valid)."""
    body = text.strip().split(None, 1)[1] if len(text.split(None, 1)) > 1 else ""
    chunks = body.split(SEPARATOR)
    codes = section_codes(walk)
    sections: dict[str, list[str]] = {}
    errors: list[str] = []
    for n, chunk in enumerate(chunks):
        tokens = chunk.split()
        if n == 0:
            if tokens:
                sections[""] = tokens
            continue
        if not tokens:
            continue
        code = fold(tokens[0])
        if code not in codes or not code:
            errors.append(message("compact_unknown", lang, code=tokens[0]))
            continue
        sections[codes[code]] = tokens[1:]
    layout = _questions(walk, walk.events())
    raw: dict[str, str] = {}
    for section, tokens in sections.items():
        keys = layout.get(section, [])
        if len(tokens) > len(keys) and not keys:
            errors.append(message("compact_extra", lang, code=section.rsplit("/", 1)[-1]))
            continue
        for i, key in enumerate(keys):
            if i >= len(tokens):
                break
            raw[key] = " ".join(tokens[i:]) if i == len(keys) - 1 else tokens[i]
    walk.answers = {k: v for k, v in walk.answers.items() if k not in raw}
    for event in list(walk.events()):
        errors.extend(_take(walk, event, raw, lang))
    return errors + repeat_errors(walk, lang)


def _take(walk: Walk, event: Event, raw: dict[str, str], lang: str | None) -> list[str]:
    current = next((e for e in walk.events() if e.key == event.key), None)
    if current is None or not current.relevant:
        return []
    if current.kind == "prompt" or "[" in current.key:
        return []
    if current.kind != "question":
        return []
    typed = raw.get(current.key, "")
    typed = "" if typed.lower() in EMPTY else typed
    name = current.field.name
    try:
        value = parse_answer(current.field, typed, walk.choices(current))
    except AnswerError as error:
        return [f"{name}: {error.text(lang)}"]
    problem = walk.check(current, value)
    if problem is not None:
        reason = message(problem, lang) if problem in ("required", "constraint") else problem
        return [f"{name}: {reason}"]
    walk.answer(current, value)
    return []


def repeat_errors(walk: Walk, lang: str | None) -> list[str]:
    """Repeats that would need answers, which one message cannot carry."""
    return [message("compact_repeat", lang, name=e.field.name) for e in walk.events()
            if e.relevant and e.kind == "question" and "[" in e.key and e.required][:1]
