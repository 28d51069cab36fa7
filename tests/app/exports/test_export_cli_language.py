"""`flask export --language`: a language the form does not have is a usage error (exit 2)
naming it and the form's languages, checked before anything is written; no traceback."""
from __future__ import annotations

import pytest

from tests.app.exports.test_csv_export import SAFE_XML


@pytest.mark.parametrize("fmt", ["sav", "dta.zip", "xlsx", "csv"])
def test_unknown_language_exits_2_naming_it_and_the_forms_languages(
        runner, project, published, tmp_path, fmt):
    published("sdg5_safety", SAFE_XML)
    out = tmp_path / "out"
    result = runner.invoke(args=["export", "--project", str(project), "--form", "sdg5_safety",
                                 "--format", fmt, "--out", str(out), "--language", "Klingon"])

    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)  # a usage error, not a traceback
    assert "Traceback" not in result.output
    assert "--language" in result.output and "'Klingon'" in result.output
    assert "English (en)" in result.output and "Kiswahili (sw)" in result.output
    assert not out.exists() and not out.with_name("out.part").exists()


def test_a_known_language_by_name_or_code_still_exports(runner, project, published, tmp_path):
    published("sdg5_safety", SAFE_XML)
    for asked in ("sw", "english", "English (en)"):
        out = tmp_path / f"{asked}.sav"
        result = runner.invoke(args=["export", "--project", str(project), "--form",
                                     "sdg5_safety", "--format", "sav", "--out", str(out),
                                     "--language", asked])
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 0


def test_an_untranslated_form_says_it_has_no_languages(runner, project, tmp_path):
    from tests.app.exports.test_export_privacy_media import _publish_phone_form

    _publish_phone_form(project)
    result = runner.invoke(args=["export", "--project", str(project), "--form", "hotline",
                                 "--format", "sav", "--out", str(tmp_path / "h.sav"),
                                 "--language", "Klingon"])
    assert result.exit_code == 2, result.output
    assert "'Klingon'" in result.output and "none (the form is not translated)" in result.output
