"""The catalogues: every string translated in sw, es and ne, the .mo files compiled from the
.po files as committed, and placeholders kept."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parents[4] / "app" / "web" / "ui" / "translations"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@pytest.mark.parametrize("lang", ["sw", "es", "ne"])
def test_every_string_is_translated_and_compiled(lang):
    folder = TRANSLATIONS / lang / "LC_MESSAGES"
    with (folder / "messages.po").open("rb") as f:
        po = read_po(f, locale=lang)
    with (folder / "messages.mo").open("rb") as f:
        mo = read_mo(f)
    with (TRANSLATIONS / "messages.pot").open("rb") as f:
        pot = read_po(f)
    wanted = {_key(m.id) for m in pot if m.id}
    have = {_key(m.id): m.string for m in po if m.id}
    assert wanted <= set(have), f"run `make translations`: {sorted(wanted - set(have))[:5]}"
    untranslated = sorted(str(i) for i in wanted
                          if not have[i] or (isinstance(have[i], tuple) and not all(have[i])))
    assert not untranslated, f"{lang} lacks {untranslated[:10]}"
    compiled = {_key(m.id): _key(m.string) for m in mo if m.id}
    assert {i: have[i] for i in wanted} == {i: compiled.get(i) for i in wanted}, \
        "the .mo is older than its .po: run `make translations`"
    for msgid in wanted:
        source = " ".join(msgid) if isinstance(msgid, tuple) else msgid
        for text in have[msgid] if isinstance(have[msgid], tuple) else [have[msgid]]:
            assert set(PLACEHOLDER.findall(text)) <= set(PLACEHOLDER.findall(source)), msgid
            assert set(PLACEHOLDER.findall(source)) <= set(PLACEHOLDER.findall(text)) or \
                isinstance(msgid, tuple), msgid


def _key(msgid):
    """Plural messages are keyed by (singular, plural)."""
    return tuple(msgid) if isinstance(msgid, (list, tuple)) else msgid


def test_the_template_is_up_to_date_with_the_code():
    """Every _("...") in the web app is in messages.pot (run `make translations`)."""
    from babel.messages.extract import extract_from_dir

    root = TRANSLATIONS.parents[3]
    found = {message for _file, _line, message, _comments, _context in extract_from_dir(
        str(root / "app" / "web" / "ui"), method_map=[("**.py", "python"),
                                                      ("templates/**.html", "jinja2")],
        keywords={"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None})
        if isinstance(message, str) or isinstance(message, tuple)}
    with (TRANSLATIONS / "messages.pot").open("rb") as f:
        pot = {_key(m.id) for m in read_po(f) if m.id}
    assert found <= pot, f"not extracted: {sorted(found - pot)[:5]}"
