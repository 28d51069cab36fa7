"""Fitting replies to SMS segments and USSD screens."""
from __future__ import annotations

from sms_flows import render
from tests.sms_flows.engine_support import md_model, model


def test_plain_english_is_gsm7_with_160_then_153_per_part():
    assert render.segments("a" * 160) == render.Segments("GSM-7", 1, 160)
    assert render.segments("a" * 161) == render.Segments("GSM-7", 2, 153)
    assert render.segments("a" * 306).count == 2 and render.segments("a" * 307).count == 3


def test_extension_characters_count_twice():
    assert render.segments("€" * 80).count == 1
    assert render.segments("€" * 81).count == 2


def test_one_spanish_accent_makes_the_whole_message_ucs2():
    text = "¿Cuántos alumnos tiene la escuela?"
    assert not render.is_gsm7(text)
    assert render.segments(text + "x" * 40).encoding == "UCS-2"
    assert render.segments("x" * 70 + "á") == render.Segments("UCS-2", 2, 67)


def test_nepali_is_always_ucs2():
    assert render.segments("भ्रमण मिति").encoding == "UCS-2"


def test_lookalikes_turn_accents_and_curly_quotes_into_gsm7():
    text = "¿Cuántos “alumnos” tiene – la escuela? ñ é ü"
    assert render.gsm_lookalike(text) == "¿Cuantos \"alumnos\" tiene - la escuela? ñ é ü"
    assert render.is_gsm7(render.gsm_lookalike(text))
    assert not render.is_gsm7(render.gsm_lookalike("नेपाली"))


def test_a_long_list_is_paged_so_each_page_fits():
    options = [f"{n}. Option number {n} with a fairly long label" for n in range(1, 21)]
    fits = render.sms_fits(1)
    pages = render.pages("Pick one", options, "0 More", fits)
    assert len(pages) > 1
    assert all(fits(p) for p in pages)
    assert all(p.endswith("0 More") for p in pages[:-1]) and not pages[-1].endswith("0 More")
    shown = [line for p in pages for line in p.splitlines() if line[0].isdigit()
             and not line.startswith("0 ")]
    assert shown == options


def test_a_list_that_fits_is_one_page():
    assert render.pages("Q", ["1. Yes", "2. No"], "0 More", render.sms_fits(2)) == \
        ["Q\n1. Yes\n2. No"]


def test_ussd_screen_is_182_with_the_prefix():
    assert render.ussd_fits("x" * 178) and not render.ussd_fits("x" * 179)


def test_truncate_keeps_the_longest_prefix_that_fits():
    cut = render.truncate("word " * 60, render.ussd_fits)
    assert render.ussd_fits(cut) and cut.endswith("…") and len(cut) > 170


def test_ussd_fit_warnings_name_the_question_and_language():
    long_label = "Tell us " + "very " * 40 + "much"
    form = md_model(f"""
| survey |      |       |                   |
|        | type | name  | label::English (en) |
|        | text | short | Name?             |
|        | text | essay | {long_label} |
""")
    warnings = render.ussd_fit_warnings(form)
    assert len(warnings) == 1 and "'essay'" in warnings[0] and "English (en)" in warnings[0]


def test_fixture_forms_fit_ussd_screens():
    for name in ("water_point", "health_post", "escuela"):
        assert render.ussd_fit_warnings(model(name)) == [], name


def test_sdg5_v4_consent_question_is_flagged_as_too_long_for_a_ussd_screen():
    # Version 4's informed-consent text is longer than one USSD screen in both languages; the
    # coordinator is warned (USSD shows it over two screens, "0 More": test_ussd_long_labels).
    # Every other question fits.
    assert render.ussd_fit_warnings(model("sdg5_safety")) == [
        "Question 'consent' in English (en) needs 220 characters; a USSD screen holds 178 "
        "after 'CON ', so it is shown over several screens ('0 More').",
        "Question 'consent' in Kiswahili (sw) needs 228 characters; a USSD screen holds 178 "
        "after 'CON ', so it is shown over several screens ('0 More').",
    ]


def test_split_cuts_a_long_text_at_spaces_into_pieces_that_fit():
    text = "भ्रमण मिति " * 30
    fits = render.sms_fits(1)
    pieces = render.split(text.strip(), fits)
    assert len(pieces) > 1 and all(fits(p) for p in pieces)
    assert " ".join(pieces) == text.strip()
    assert render.split("short", fits) == ["short"]


def test_split_cuts_a_word_longer_than_a_message():
    pieces = render.split("x" * 400, render.sms_fits(1))
    assert "".join(pieces) == "x" * 400 and all(len(p) <= 160 for p in pieces)


def test_a_cut_never_splits_an_emoji_a_flag_or_a_letter_from_its_marks():
    for unit in ("👩🏽‍👧", "🇰🇪", "क्षे", "1️⃣", "e\u0301"):
        text = unit * (2000 // len(unit))
        pieces = render.split(text, render.whatsapp_fits)
        assert len(pieces) > 1 and "".join(pieces) == text
        assert all(render.whatsapp_fits(p) for p in pieces)
        assert all(len(p) % len(unit) == 0 for p in pieces)  # whole units only
        cut = render.truncate(text, lambda t: len(t) <= 101)
        assert (len(cut) - 1) % len(unit) == 0 and cut.endswith("…")


def test_whatsapp_counts_utf16_units_like_twilio():
    assert render.whatsapp_fits("a" * 1600) and not render.whatsapp_fits("a" * 1601)
    assert render.whatsapp_fits("😀" * 800) and not render.whatsapp_fits("😀" * 801)
