"""The conversation settings of an XLSForm: `consent`, `sensitive`, `sms_progress`."""

import pytest

from forms.errors import XLSFormError
from forms.model import parse_xform
from forms.settings import Consent, ConversationSettings
from forms.xlsform import compile_upload
from tests.forms.xlsform_builder import build_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SURVEY = [
    ["type", "name", "label", "required", "relevant"],
    ["select_one yn", "consent", "Do you agree?", "yes", ""],
    ["select_one sino", "safe_now", "Safe now?", "yes", "${consent} = 'yes'"],
    ["begin repeat", "kid", "Child", "", ""],
    ["select_one yn", "kid_ok", "OK?", "", ""],
    ["end repeat", "", "", "", ""],
    ["text", "story", "Tell us", "", ""],
]
CHOICES = [["list_name", "name", "label"], ["yn", "yes", "Yes"], ["yn", "no", "No"],
           ["sino", "si", "Sí"], ["sino", "no", "No"]]


def compile_with(**settings: str):
    return compile_upload(build_xlsx(SURVEY, CHOICES, {"form_id": "f", **settings}), XLSX,
                          validate=False)


def test_consent_names_questions_in_order_with_the_choice_that_agrees():
    form = compile_with(consent="consent safe_now", sensitive="yes", sms_progress="Yes")
    assert form.conversation == ConversationSettings(
        consent=(Consent("/data/consent", "yes"), Consent("/data/safe_now", "si")),
        sensitive=True, progress=True)


def test_a_form_without_the_settings_has_none():
    assert compile_with().conversation == ConversationSettings()
    assert compile_with(sensitive="no", sms_progress="").conversation == ConversationSettings()


@pytest.mark.parametrize(("settings", "column", "says"), [
    ({"consent": "agree"}, "consent", "'agree' names no question"),
    ({"consent": "story"}, "consent", "must name a select_one question"),
    ({"consent": "kid_ok"}, "consent", "outside any repeat"),
    ({"sensitive": "maybe"}, "sensitive", "must be yes or no"),
    ({"sms_progress": "always"}, "sms_progress", "must be yes or no"),
])
def test_a_wrong_setting_names_its_cell(settings, column, says):
    with pytest.raises(XLSFormError) as caught:
        compile_with(**settings)
    error = caught.value
    assert (error.sheet, error.row, error.column) == ("settings", 2, column)
    assert says in error.message


def test_settings_round_trip_through_json_and_ride_on_the_form_model():
    settings = compile_with(consent="consent", sensitive="yes").conversation
    assert ConversationSettings.from_json(settings.to_json()) == settings
    assert ConversationSettings.from_json(None) == ConversationSettings()
    model = parse_xform(compile_with().xml)
    assert model.settings == ConversationSettings()
    carried = model.with_settings(settings)
    assert carried.settings.sensitive
    assert carried.settings.consent_for("/data/consent").agree == "yes"
    assert carried.fields == model.fields and model.settings == ConversationSettings()
