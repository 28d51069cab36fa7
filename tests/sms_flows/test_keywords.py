"""Command words in four languages, folded for case and accents, overridable per project."""
from __future__ import annotations

import pytest

from sms_flows import keywords
from sms_flows.keywords import CommandMatch, fold, match_command, word_table


@pytest.mark.parametrize("text, command", [
    ("STOP", "stop"), ("stop", "stop"), (" Stop! ", "stop"), ("STOPALL", "stop"),
    ("unsubscribe", "stop"), ("Cancel", "stop"), ("END", "stop"), ("quit", "stop"),
    ("acha", "stop"), ("SITISHA", "stop"), ("Alto", "stop"), ("baja", "stop"),
    ("CANCELAR", "stop"), ("रोक", "stop"), ("बन्द", "stop"),
    ("START", "start"), ("anza", "start"), ("सुरु", "start"),
    ("help", "help"), ("Msaada", "help"), ("AYUDA", "help"), ("मद्दत", "help"),
    ("back", "back"), ("RUDI", "back"), ("atrás", "back"), ("ATRAS", "back"),
    ("पछाडि", "back"), ("skip", "skip"), ("ruka", "skip"), ("Saltar", "skip"), ("छोड", "skip"),
    ("restart", "restart"), ("anza  upya", "restart"), ("reiniciar", "restart"),
    ("language", "language"), ("LUGHA", "language"), ("idioma", "language"),
])
def test_command_words_match_in_every_language(text, command):
    assert match_command(text) == CommandMatch(command)


@pytest.mark.parametrize("text", ["stop sign", "3", "", "  ", "MAJI", "बन", "Alto Paraná"])
def test_answers_are_not_commands(text):
    assert match_command(text) is None


def test_a_language_word_can_name_the_language():
    assert match_command("LANG sw") == CommandMatch("language", "sw")
    assert match_command("idioma Español") == CommandMatch("language", "espanol")


def test_folding_strips_latin_accents_but_keeps_devanagari_signs():
    assert fold("  ÁTRÁS  ") == "atras"
    assert fold("बन्द") != fold("बनद")  # the virama is part of the word


def test_a_project_can_replace_one_languages_words():
    table = word_table({"stop": {"sw": ["SIMAMA"]}})
    assert match_command("simama", table) == CommandMatch("stop")
    assert match_command("acha", table) is None
    assert match_command("STOP", table) == CommandMatch("stop")


def test_a_project_can_replace_a_commands_words_entirely():
    table = word_table({"help": ["JE?", "??"]})
    assert match_command("je", table) == CommandMatch("help")
    assert match_command("help", table) is None


def test_every_command_has_words_in_the_four_languages():
    for command, by_language in keywords.DEFAULT_WORDS.items():
        assert set(by_language) == {"en", "sw", "es", "ne"}, command
