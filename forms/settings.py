"""A form's conversation settings: our settings-sheet columns `consent`, `sensitive`,
`sms_progress`.

- `consent` names one or more select_one questions (space-separated, asked in that order),
  e.g. `consent safe_now`. Each is agreed to by its choice named `yes` (any case), or by its
  first choice when none is named so. Any other answer, or skipping it, declines: the
  conversation ends politely and nothing the person sent is kept.
- `sensitive = yes`: no reminder that could reveal taking part is ever sent, and the
  conversation and its message texts are purged once it ends.
- `sms_progress = yes`: each question over SMS, USSD or WhatsApp starts with "3/12".

They come from the XLSForm (an XForm upload has none), are stored with the form version and
handed to the engine with the form model (`FormModel.settings`).
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from forms.errors import XLSFormError

_TRUE = {"yes", "true", "1", "y"}
_FALSE = {"no", "false", "0", "n", ""}


@dataclass(frozen=True)
class Consent:
    """One consent question: its absolute path and the choice that means "I agree"."""

    path: str
    agree: str


@dataclass(frozen=True)
class ConversationSettings:
    """What a form asks of a conversation over it, beyond the XForm itself."""

    consent: tuple[Consent, ...] = ()
    sensitive: bool = False
    progress: bool = False

    def to_json(self) -> dict[str, Any]:
        """Plain JSON (stored with the form version)."""
        return {"consent": [{"path": c.path, "agree": c.agree} for c in self.consent],
                "sensitive": self.sensitive, "smsProgress": self.progress}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> ConversationSettings:
        """Inverse of to_json; None or {} gives the defaults."""
        data = data or {}
        return cls(consent=tuple(Consent(str(c["path"]), str(c["agree"]))
                                 for c in data.get("consent") or ()),
                   sensitive=bool(data.get("sensitive")),
                   progress=bool(data.get("smsProgress")))

    def consent_for(self, path: str) -> Consent | None:
        """The consent entry of a question (a plain, unindexed path), if it is one."""
        return next((c for c in self.consent if c.path == path), None)


def read_settings(settings: Mapping[str, str], survey: Mapping[str, Any]) -> ConversationSettings:
    """The conversation settings of an XLSForm's settings row, checked against its survey
    (pyxform's JSON); XLSFormError naming the settings cell when one is wrong."""
    return ConversationSettings(
        consent=_consent(settings.get("consent") or "", survey),
        sensitive=_flag(settings, "sensitive"),
        progress=_flag(settings, "sms_progress"),
    )


def _flag(settings: Mapping[str, str], column: str) -> bool:
    value = (settings.get(column) or "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise XLSFormError(
        f"[row : 2] On the 'settings' sheet, the '{column}' value '{settings[column]}' must be "
        "yes or no.", sheet="settings", row=2, column=column)


def _consent(cell: str, survey: Mapping[str, Any]) -> tuple[Consent, ...]:
    found = []
    for name in cell.replace(",", " ").split():
        where = f"[row : 2] On the 'settings' sheet, the 'consent' value '{name}'"
        matches = [(path, node, in_repeat) for path, node, in_repeat in _nodes(survey)
                   if node.get("name") == name]
        if not matches:
            raise XLSFormError(f"{where} names no question of the survey.",
                               sheet="settings", row=2, column="consent")
        path, node, in_repeat = matches[0]
        choices = _choice_names(node, survey)
        if node.get("type") != "select one" or len(choices) < 2 or in_repeat:
            raise XLSFormError(
                f"{where} must name a select_one question outside any repeat, with a choice "
                "that agrees (named 'yes', or the first) and one that does not.",
                sheet="settings", row=2, column="consent")
        agree = next((c for c in choices if c.lower() == "yes"), choices[0])
        found.append(Consent(path, agree))
    return tuple(found)


def _nodes(survey: Mapping[str, Any], path: str | None = None,
           in_repeat: bool = False) -> Iterator[tuple[str, Mapping[str, Any], bool]]:
    base = path if path is not None else f"/{survey.get('name', 'data')}"
    for node in survey.get("children", []) or []:
        node_path = f"{base}/{node['name']}"
        yield node_path, node, in_repeat
        yield from _nodes(node, node_path, in_repeat or node.get("type") == "repeat")


def _choice_names(node: Mapping[str, Any], survey: Mapping[str, Any]) -> list[str]:
    listed = node.get("choices")
    if not listed:
        list_name = node.get("list_name") or node.get("itemset")
        listed = (survey.get("choices") or {}).get(list_name, []) if list_name else []
    return [str(choice["name"]) for choice in listed or ()]
