"""A citizen's rights over what we hold about their number, by text and USSD: MYDATA says what
we hold (surveys, dates, channels), DELETE asks for confirmation and then erases it all.

Pure words: the app finds the holdings, stores the pending confirmation and erases; this
module says it in the person's language (Kenya's Data Protection Act 2019, Tanzania's
Personal Data Protection Act 2022, Nepal's Privacy Act 2018 and Argentina's Law 25.326 give
the right to know and to erase). A DELETE is done only on an explicit "1"/yes; anything else
keeps everything. A survey of a sensitive form is listed without its title ("a confidential
survey"): whoever holds the phone may not be the person who answered.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sms_flows import keywords
from sms_flows.answers import ascii_digits
from sms_flows.messages import CATALOGUE, command_word, message

CHANNEL_NAMES = {"sms": "SMS", "compact": "SMS", "ussd": "USSD", "whatsapp": "WhatsApp"}
_DATE_FORMAT = {"ne": "%Y-%m-%d"}  # year first in Nepal; day first elsewhere

@dataclass(frozen=True)
class Holding:
    """One survey held from a number: the form's title, when it came, by which channel."""

    title: str
    received: datetime
    channel: str
    sensitive: bool = False


def mydata(holdings: Sequence[Holding], lang: str | None,
           commands: Mapping[str, object] | None = None, limit: int = 10,
           unfinished: int = 0) -> str:
    """What we hold about a number: the surveys stored, newest first (at most `limit` lines,
    then "and N more"), and how many are unfinished (answers kept on a survey not sent yet).
    Never "nothing": the number and the messages are held from the first text."""
    delete = command_word(keywords.DELETE, lang, keywords.word_table(commands))
    if not holdings and not unfinished:
        return "\n".join([message("nothing_held", lang),
                          message("how_to_delete", lang, delete=delete)])
    date_format = _DATE_FORMAT.get(lang or "en", "%d/%m/%Y")
    newest = sorted(holdings, key=lambda h: h.received, reverse=True)
    lines = [message("held", lang, n=len(holdings) + unfinished)]
    lines += [f"- {message('confidential_survey', lang) if h.sensitive else h.title}, "
              f"{h.received.strftime(date_format)}, "
              f"{CHANNEL_NAMES.get(h.channel, h.channel)}" for h in newest[:limit]]
    if len(newest) > limit:
        lines.append(message("held_more", lang, n=len(newest) - limit))
    if unfinished:
        lines.append("- " + message("held_unfinished", lang, n=unfinished))
    lines.append(message("how_to_delete", lang, delete=delete))
    return "\n".join(lines)


def confirm_delete(count: int, lang: str | None) -> str:
    """The question a DELETE gets: erase (1) or keep (2)."""
    return "\n".join([message("confirm_delete", lang, n=count), f"1. {message('erase', lang)}",
                      f"2. {message('keep', lang)}"])


def confirmed(text: str) -> bool:
    """Whether a reply to `confirm_delete` asks to erase: "1" or yes, in any language."""
    folded = keywords.fold(ascii_digits(text))
    yes = {keywords.fold(word) for word in CATALOGUE["yes"].values()} | {"1", "y"}
    erase = {keywords.fold(word) for word in CATALOGUE["erase"].values()}
    return folded in yes | erase | {keywords.fold(w) for ws in
                                    keywords.DEFAULT_WORDS[keywords.DELETE].values()
                                    for w in ws}


def ussd_entries(lang: str | None) -> list[str]:
    """The two USSD menu entries, after the surveys."""
    return [message("menu_mydata", lang), message("menu_delete", lang)]
