"""Which answers are personal data: marked in the XLSForm, or guessed with a warning."""
from __future__ import annotations

import pytest

from forms import privacy
from forms.errors import XLSFormError
from forms.model import parse_xform
from forms.xlsform import compile_upload
from tests.forms.xlsform_builder import build_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _compile(survey, settings=None):
    data = build_xlsx(survey, settings=settings or {"form_id": "hotline", "version": "1"})
    return compile_upload(data, XLSX, "hotline.xlsx", validate=False)


def test_the_privacy_column_is_carried_into_the_xform_and_the_form_model():
    compiled = _compile([
        ["type", "name", "label", "privacy"],
        ["text", "contact_number", "Contact", "phone"],
        ["text", "full_name", "Name", "Personal"],
        ["text", "mobile_money_agent", "Agent", "none"],
        ["integer", "age", "Age", ""],
    ], {"form_id": "hotline", "version": "1", "namespaces": 'x="urn:x"'})
    assert b'ds:privacy="phone"' in compiled.xml and b'xmlns:x="urn:x"' in compiled.xml
    model = parse_xform(compiled.xml)
    assert {f.name: f.privacy for f in model.fields if f.kind == "question"} == {
        "contact_number": "phone", "full_name": "personal", "mobile_money_agent": "none",
        "age": None}
    found = privacy.personal_fields(model)
    assert {(p.path, p.kind, p.explicit) for p in found.values()} == {
        ("/data/contact_number", "phone", True), ("/data/full_name", "personal", True)}
    assert privacy.warnings(model) == []  # all marked: nothing to warn about


def test_an_unknown_privacy_value_names_its_cell():
    with pytest.raises(XLSFormError) as raised:
        _compile([["type", "name", "label", "privacy"], ["text", "name", "Name", "secret"]])
    error = raised.value
    assert (error.sheet, error.row, error.column) == ("survey", 2, "privacy")
    assert "phone, personal, none" in error.message


@pytest.mark.parametrize("name", ["contact_number", "phone", "mobile_no", "msisdn",
                                  "namba_ya_simu", "telefono", "whatsapp", "cellphone"])
def test_unmarked_phone_like_names_are_phones_with_a_warning(name):
    model = parse_xform(_compile([["type", "name", "label"], ["text", name, "Q"]]).xml)
    [found] = privacy.personal_fields(model).values()
    assert (found.kind, found.explicit) == ("phone", False)
    [warning] = privacy.warnings(model)
    assert f"'{name}'" in warning and "'privacy' column" in warning


@pytest.mark.parametrize("name", ["number_of_children", "telescope", "age", "contact_person",
                                  "simulation", "hotel"])
def test_other_names_are_not_guessed(name):
    model = parse_xform(_compile([["type", "name", "label"], ["text", name, "Q"]]).xml)
    assert privacy.personal_fields(model) == {}


def test_the_devices_phonenumber_metadata_is_a_phone():
    model = parse_xform(_compile([["type", "name", "label"], ["phonenumber", "device_phone", ""],
                                  ["text", "q", "Q"]]).xml)
    assert [p.kind for p in privacy.personal_fields(model).values()] == ["phone"]


def test_a_number_question_named_like_a_phone_is_not_text_and_not_guessed():
    model = parse_xform(_compile([["type", "name", "label"], ["integer", "phone_count", "Q"]]).xml)
    assert privacy.personal_fields(model) == {}


def test_masks_are_keyed_hashes_phones_of_their_e164_form():
    key = b"k"
    assert privacy.mask("+254 712 345 678", key) == privacy.mask("+254712345678", key)
    assert privacy.mask("+254712345678", key) == privacy.hash_text("+254712345678", key)
    assert privacy.mask("+254712345678", key).startswith("hmac-sha256:")
    assert privacy.mask("Amina", key) != privacy.mask("Amina", b"j")
    hashed = privacy.mask("Amina", key)
    assert privacy.mask(hashed, key) == hashed  # never hashed twice
