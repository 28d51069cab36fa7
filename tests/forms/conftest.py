"""Fixtures for the form engine: the fixture XLSForms compiled by pyxform, once per session."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest
from pyxform.xls2xform import convert

from forms.model import FormModel, parse_xform

FIXTURE_FORMS = Path(__file__).parent.parent / "fixtures" / "forms"


@cache
def _compile(name: str) -> bytes:
    return convert(xlsform=str(FIXTURE_FORMS / f"{name}.xlsx")).xform.encode("utf-8")


@pytest.fixture(scope="session")
def compiled_xform() -> Callable[[str], bytes]:
    """compiled_xform("water_point") -> the XForm XML pyxform makes from the fixture XLSForm."""
    return _compile


@pytest.fixture(scope="session")
def form_model(compiled_xform: Callable[[str], bytes]) -> Callable[[str], FormModel]:
    """form_model("water_point") -> the parsed FormModel of a fixture form."""
    return cache(lambda name: parse_xform(compiled_xform(name)))


NESTED_REPEATS_MD = """
| survey   |                |         |           |
|          | type           | name    | label     |
|          | begin group    | hh      | Household |
|          | begin repeat   | person  | Person    |
|          | text           | pname   | Name      |
|          | image          | photo   | Photo     |
|          | begin repeat   | visit   | Visit     |
|          | date           | vdate   | Date      |
|          | end repeat     |         |           |
|          | end repeat     |         |           |
|          | end group      |         |           |
|          | audio          | voice   | Voice     |
|          | start-geopoint | sloc    |           |
|          | deviceid       | device  |           |
| settings |                |         |           |
|          | form_id        | version |           |
|          | household      | 5       |           |
"""


@pytest.fixture(scope="session")
def nested_model() -> FormModel:
    """A small form with uploads inside nested repeats in a group (compiled from markdown)."""
    return parse_xform(convert(xlsform=NESTED_REPEATS_MD, file_type=".md").xform.encode())
