"""The SDG catalogue: loading, code parsing and descriptions."""

import re

import pytest

from forms.sdg import catalogue
from forms.sdg.catalogue import (
    UnknownSdgCode,
    describe,
    goals,
    indicators,
    is_known_code,
    parse_codes,
    split_code,
    targets,
)


def test_catalogue_has_17_goals_169_targets_and_both_indicator_lists():
    assert sorted(goals()) == list(range(1, 18))
    assert len(targets()) == 169
    # 252 pre-2025 keys plus the two indicators the 2025 review added
    assert len(indicators()) == 254


def test_every_goal_has_a_title_in_every_language():
    for titles in goals().values():
        assert set(titles) == {"en", "es", "sw", "ne"}
        assert all(t.strip() for t in titles.values())


def test_multiline_yaml_titles_are_joined_into_one_line():
    title = indicators()["1.1.1"]["en"]
    assert title.startswith("Proportion of the population living below")
    assert "\n" not in title and "geographic location (urban/rural)" in title


@pytest.mark.parametrize("code", ["5", "5.2", "5.2.1", "5.b.1", "17.19.2"])
def test_current_codes_are_known(code):
    assert is_known_code(code)


@pytest.mark.parametrize("code", ["2.2.4", "11.5.3"])
def test_codes_added_in_2025_review_are_known(code):
    assert is_known_code(code)
    assert describe(code)  # English text comes from the framework CSV


@pytest.mark.parametrize("code", ["1.a.3", "13.3.2", "17.6.2"])
def test_codes_removed_in_2025_review_are_still_accepted(code):
    assert is_known_code(code)


@pytest.mark.parametrize("code", ["18", "0", "5.9", "5.2.9", "5.z.1", "five", "5..2", ""])
def test_unknown_or_malformed_codes_are_not_known(code):
    assert not is_known_code(code)


def test_parse_codes_normalises_and_tolerates_commas_and_duplicates():
    assert parse_codes(" 5.B.1, 6  06.1.1,5.b.1 ") == ("5.b.1", "6", "6.1.1")
    assert parse_codes("") == ()
    assert parse_codes(None) == ()


def test_split_code_returns_goal_target_and_indicator():
    assert split_code("5.B.1") == (5, "5.b", "5.b.1")
    assert split_code("5.2") == (5, "5.2", None)
    assert split_code("5") == (5, None, None)
    with pytest.raises(UnknownSdgCode):
        split_code("5-2")


def test_describe_uses_the_language_and_falls_back_to_english():
    assert describe("5", "es").startswith("Lograr la igualdad")
    assert describe("5.2.1", "en").startswith("Proportion of ever-partnered women")
    # 2.2.4 exists only in the (English) 2025 framework
    assert describe("2.2.4", "sw") == describe("2.2.4", "en")


def test_describe_unknown_code_raises():
    with pytest.raises(UnknownSdgCode):
        describe("18.1")


def test_catalogue_is_loaded_once():
    catalogue._load.cache_clear()
    goals(), targets(), indicators()
    assert catalogue._load.cache_info().misses == 1


def test_the_framework_s_footnote_markers_are_not_part_of_a_title():
    # The UN spreadsheet glues footnote numbers to the words they annotate.
    assert describe("13") == "Take urgent action to combat climate change and its impacts"
    assert describe("14.6").endswith("World Trade Organization fisheries subsidies "
                                      "negotiation")
    assert describe("17.6.1") == "Fixed broadband subscriptions per 100 inhabitants, by speed"
    for table in (goals(), targets(), indicators()):
        for titles in table.values():
            assert not re.search(r"[a-z]\d$", titles["en"]), titles["en"]
