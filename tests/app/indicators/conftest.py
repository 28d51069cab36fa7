"""A small safety survey with an `indicators` sheet, and helpers to submit to it."""
from __future__ import annotations

import math

import pytest

from app.extensions import db
from tests.forms import xlsform_builder

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SURVEY = [
    ["type", "name", "label::English (en)", "label::Kiswahili (sw)", "relevant",
     "disaggregation"],
    ["select_one yn", "consent", "Agree?", "Unakubali?", "", ""],
    ["select_one sex", "sex", "Sex", "Jinsia", "${consent} = 'yes'", "sex"],
    ["integer", "age", "Age", "Umri", "${consent} = 'yes'", "age"],
    ["select_one county", "county", "County", "Kaunti", "${consent} = 'yes'", ""],
    ["select_one yn", "harassed", "Harassed on transport?", "Ulinyanyaswa?",
     "${consent} = 'yes'", ""],
    ["date", "visit_date", "Date of the interview", "Tarehe", "${consent} = 'yes'", ""],
    ["decimal", "minutes", "Minutes to the stage", "Dakika", "${consent} = 'yes'", ""],
    ["begin repeat", "child", "Child", "Mtoto", "${consent} = 'yes'", ""],
    ["select_one girlboy", "child_sex", "Girl or boy?", "Msichana au mvulana?", "", ""],
    ["select_one yn", "in_school", "In school?", "Shuleni?", "", ""],
    ["end repeat", "", "", "", "", ""],
    ["geopoint", "where", "Where", "Wapi", "", ""],
    ["text", "story", "Anything else?", "Lingine?", "", ""],
]
CHOICES = [
    ["list_name", "name", "label::English (en)", "label::Kiswahili (sw)"],
    ["yn", "yes", "Yes", "Ndiyo"], ["yn", "no", "No", "Hapana"],
    ["sex", "female", "Female", "Mwanamke"], ["sex", "male", "Male", "Mwanaume"],
    ["sex", "other", "Other", "Nyingine"],
    ["county", "kisumu", "Kisumu", "Kisumu"], ["county", "kilifi", "Kilifi", "Kilifi"],
    ["girlboy", "girl", "Girl", "Msichana"], ["girlboy", "boy", "Boy", "Mvulana"],
]
INDICATORS = [
    ["code", "sdg", "kind", "label::English (en)", "label::Kiswahili (sw)", "numerator",
     "denominator", "disaggregate_by", "age_groups", "period", "date"],
    ["harassed", "11.7.2", "proportion", "Harassed on public transport",
     "Walionyanyaswa", "${harassed} = 'yes'", "${harassed} != ''",
     "sex age area=${county} channel", "18 35", "quarter", "${visit_date}"],
    ["girls_out", "4.1.1", "count", "Households with a girl out of school", "",
     "count(${child}[child_sex = 'girl' and in_school = 'no']) > 0", "${consent} = 'yes'",
     "area=${county}", "", "year", ""],
    ["minutes", "11.2.1", "mean", "Minutes to the nearest stage", "", "${minutes}",
     "${minutes} != ''", "sex", "", "year", ""],
]


def workbook(indicators: list[list] | None = INDICATORS, survey=SURVEY, version="1") -> bytes:
    sheets = {"survey": survey, "choices": CHOICES,
              "settings": [["form_id", "version", "default_language", "sdg"],
                           ["safety", version, "English (en)", "11"]]}
    if indicators is not None:
        sheets["indicators"] = indicators
    return xlsform_builder.workbook(sheets)


@pytest.fixture(autouse=True)
def fresh_tables(app):
    """Public tables are cached per process for INDICATOR_CACHE_SECONDS; ids restart in every
    test, so a cache from the test before could answer for this one's data."""
    from app.indicators import series

    app.config["INDICATOR_CACHE_SECONDS"] = 0
    series._cache.clear()


@pytest.fixture
def safety(app, make_project):
    """A project with the safety form (and its three indicators) published."""
    from app.services.forms import create_form
    from forms.xlsform import compile_upload

    project_id = make_project("Safe Transport CSO")
    compiled = compile_upload(workbook(), XLSX, "safety.xlsx", validate=False,
                              ignore_warnings=True)
    form = create_form(project_id, compiled, None, publish=True)
    db.session.commit()
    return form


def instance(iid: str, *, deprecated: str | None = None, version: str = "1",
             children: list[tuple[str, str]] = (), **answers: str) -> bytes:
    """A safety instance as Collect sends it; unanswered questions are empty elements."""
    values = {"consent": "yes", "sex": "", "age": "", "county": "", "harassed": "",
              "visit_date": "", "minutes": "", "where": "", "story": ""}
    values.update(answers)
    kids = "".join(f"<child><child_sex>{s}</child_sex><in_school>{i}</in_school></child>"
                   for s, i in children) or "<child><child_sex/><in_school/></child>"
    head = "".join(f"<{k}>{values[k]}</{k}>" for k in
                   ("consent", "sex", "age", "county", "harassed", "visit_date", "minutes"))
    meta = (f"<deprecatedID>{deprecated}</deprecatedID>" if deprecated else "") + \
        f"<instanceID>{iid}</instanceID>"
    return (f'<data xmlns:orx="http://openrosa.org/xforms" id="safety" version="{version}">'
            f'{head}{kids}<where>{values["where"]}</where><story>{values["story"]}</story>'
            f'<orx:meta>{meta}</orx:meta></data>').encode()


@pytest.fixture
def send(app):
    """Store an instance through the one door, on a channel; returns the IngestResult."""
    from sync.ingest import ingest

    def do(form, xml: bytes, channel: str = "collect"):
        return ingest(project_id=form.project_id, xml=xml, attachments={}, channel=channel,
                      submitter_id=None, device_id=None)

    return do


def wilson_by_bisection(successes: int, n: int, z: float = 1.959963984540054):
    """The Wilson interval found another way: the p where |p_hat - p| = z*sqrt(p(1-p)/n)."""
    p_hat = successes / n

    def gap(p: float) -> float:
        return abs(p_hat - p) - z * math.sqrt(p * (1 - p) / n)

    def solve(lo: float, hi: float) -> float:
        for _ in range(200):
            mid = (lo + hi) / 2
            if (gap(lo) > 0) == (gap(mid) > 0):
                lo = mid
            else:
                hi = mid
        return (lo + hi) / 2

    low = 0.0 if successes == 0 else solve(0.0, p_hat)
    high = 1.0 if successes == n else solve(p_hat, 1.0)
    return low, high
