"""Cleaning is driven by the form's types; doubtful values are flagged, never changed."""
from __future__ import annotations

from datetime import date
from functools import cache

from defusedxml.ElementTree import fromstring

from app.pipeline.clean import PhonePolicy, clean_instance, clean_value, hash_phone, iter_values
from app.pipeline.fields import FieldSpec, spec_of
from forms.model import parse_xform
from forms.xlsform import compile_upload
from tests.conftest import FIXTURE_FORMS
from tests.pipeline.conftest import water_xml

PHONES = PhonePolicy(key=b"k", region="KE")
TODAY = date(2026, 11, 26)


@cache
def spec(name: str):
    compiled = compile_upload((FIXTURE_FORMS / f"{name}.xlsx").read_bytes(), None,
                              f"{name}.xlsx", validate=False, ignore_warnings=True)
    return spec_of(parse_xform(compiled.xml)), compiled.version


def clean(name: str, xml: bytes):
    return clean_instance(spec(name)[0], fromstring(xml), phones=PHONES, received=TODAY)


def value(type_: str, raw: str, control: str = "input", constraint: str | None = None,
          phones: PhonePolicy = PHONES):
    flags: list = []
    field = FieldSpec("/data/q", type_, control, False, constraint, False)
    return clean_value(field, raw, flags, phones, TODAY), flags


def test_values_are_typed_by_the_form_and_the_raw_xml_is_left_alone():
    xml = water_xml(spec("water_point")[1], price="15.50", comments="  caf\u0065\u0301 ")
    out = clean("water_point", xml)
    rec = out.record
    assert rec["/data/wp/minutes_to_fetch"] == 45 and rec["/data/wp/price"] == 15.5
    assert rec["/data/wp/who_fetches"] == ["women", "girls"]
    assert rec["/data/wp/comments"] == "caf\u00e9"  # trimmed, NFC
    assert rec["/data/start"] == "2026-11-20T05:00:00Z"
    assert rec["/data/meta/instanceID"].startswith("uuid:")
    assert out.flags == []


def test_impossible_values_are_flagged_with_a_reason_and_kept_as_sent():
    out = clean("water_point", water_xml(spec("water_point")[1], days_broken="3.5",
                                         location="95.0 34.7 0 5"))
    assert out.record["/data/wp/days_broken"] == "3.5"
    assert {(f["field"], f["code"]) for f in out.flags} == {
        ("/data/wp/days_broken", "not_integer"), ("/data/wp/location", "geopoint_out_of_range")}
    assert out.record["/data/wp/location"]["lat"] == 95.0


def test_each_type_and_its_flags():
    assert value("decimal", "abc") == ("abc", [{"field": "/data/q", "code": "not_decimal",
                                                "reason": "not a number", "value": "abc"}])
    assert value("decimal", "nan")[1][0]["code"] == "not_decimal"
    assert value("date", "2026-02-30")[1][0]["code"] == "bad_date"
    assert value("date", "2027-01-01", constraint=". <= today()")[1][0]["code"] == "future_date"
    assert value("date", "2027-01-01") == ("2027-01-01", [])  # not bounded by today()
    assert value("dateTime", "yesterday")[1][0]["code"] == "bad_datetime"
    assert value("geopoint", "1 2") == ({"lat": 1.0, "lon": 2.0, "alt": None,
                                         "accuracy": None}, [])
    assert value("geopoint", "north")[1][0]["code"] == "bad_geopoint"
    assert value("int", "") == (None, [])
    assert value("string", "a b  c", control="select") == (["a", "b", "c"], [])


def test_phone_numbers_are_normalised_then_hashed_unless_the_project_allows_them():
    phone = FieldSpec("/data/phone", "string", "input", False, None, False, personal="phone")
    flags: list = []
    hashed = clean_value(phone, "0712 345678", flags, PHONES, TODAY)
    assert hashed == hash_phone(b"k", "+254712345678") and flags == []
    assert hashed == clean_value(phone, "+254 712 345 678", flags, PHONES, TODAY)
    clear = PhonePolicy(key=b"k", allow_clear=True, region="KE")
    assert clean_value(phone, "0712-345-678", flags, clear, TODAY) == "+254712345678"
    bad = clean_value(phone, "12", flags, PHONES, TODAY)
    assert bad.startswith("hmac-sha256:") and flags[0]["code"] == "bad_phone"
    assert "12" not in str(flags[0]["value"])  # the doubtful number is not kept in clear either
    assert not phone.is_free_text  # phone answers never go to the classifier


def test_repeats_become_lists_of_records():
    _, version = spec("sdg5_safety")
    xml = (f'<data id="sdg5_safety" version="{version}"><consent>yes</consent>'
           '<safe_now>yes</safe_now><survey><age>34</age><sex>female</sex>'
           '<n_children>2</n_children>'
           '<child><child_pos>1</child_pos><child_age>7</child_age><in_school>yes</in_school></child>'
           '<child><child_pos>2</child_pos><child_age>x</child_age><in_school>no</in_school></child>'
           '<story>It is not safe</story></survey>'
           '<meta><instanceID>uuid:1</instanceID></meta></data>')
    out = clean("sdg5_safety", xml.encode())
    assert (out.record["/data/consent"], out.record["/data/survey/age"]) == ("yes", 34)
    children = out.record["/data/survey/child"]
    assert [c["/data/survey/child/child_age"] for c in children] == [7, "x"]
    assert [f["field"] for f in out.flags] == ["/data/survey/child/child_age"]
    assert ("/data/survey/child/in_school", "no") in list(iter_values(out.record))
