"""ODK Validate: runs when Java is present, is skipped with a warning when it is not."""

import shutil

import pytest

from forms import validate
from forms.errors import XLSFormError
from forms.validate import JAVA_MISSING, run_odk_validate
from forms.xlsform import compile_upload
from tests.forms.xlsform_builder import build_xlsx, simple_survey

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
needs_java = pytest.mark.skipif(shutil.which("java") is None, reason="ODK Validate needs Java")


def form_with_calculation(expression: str) -> bytes:
    return build_xlsx(
        [
            ["type", "name", "label", "calculation"],
            ["calculate", "c", "", expression],
            ["text", "a", "A", ""],
        ]
    )


@pytest.fixture
def no_java(monkeypatch):
    monkeypatch.setattr(validate.shutil, "which", lambda cmd, *a, **k: None)


def test_without_java_validate_is_skipped_with_a_warning(no_java):
    form = compile_upload(form_with_calculation("foo(1)"), XLSX)
    assert form.validated is False
    assert JAVA_MISSING in form.warnings


def test_without_java_an_xform_upload_is_skipped_too(no_java):
    xml = compile_upload(build_xlsx(simple_survey(1)), XLSX, validate=False).xml
    form = compile_upload(xml, "application/xml")
    assert (form.validated, form.warnings) == (False, (JAVA_MISSING,))


def test_validate_false_does_not_run_or_warn(monkeypatch):
    monkeypatch.setattr("pyxform.validators.odk_validate.check_xform", pytest.fail)
    form = compile_upload(form_with_calculation("foo(1)"), XLSX, validate=False)
    assert form.validated is False and form.warnings == ()


@needs_java
@pytest.mark.parametrize(
    ("expression", "said"), [("foo(1)", "cannot handle function 'foo'"), ("1 +", "1 +")]
)
def test_javarosa_rejections_become_xlsform_errors(expression, said):
    with pytest.raises(XLSFormError) as caught:
        compile_upload(form_with_calculation(expression), XLSX)
    assert caught.value.message.startswith("ODK Validate Errors")
    assert said in caught.value.message
    assert caught.value.to_problem()["code"] == 400.15


@needs_java
def test_a_valid_form_passes_and_is_marked_validated():
    xml = compile_upload(build_xlsx(simple_survey(2)), XLSX, validate=False).xml
    result = run_odk_validate(xml)
    assert result.validated is True and result.warnings == ()


@needs_java
def test_validate_timeout_is_not_a_pass(monkeypatch):
    monkeypatch.setattr(
        "pyxform.validators.odk_validate.check_xform",
        lambda path: ["XForm took to long to completely validate."],
    )
    result = run_odk_validate(b"<x/>")
    assert result.validated is False and result.warnings
