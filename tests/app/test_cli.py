"""`flask forms publish`, `flask app-users create` and `flask demo`."""
from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import Actor, AppUser, Form, FormAssignment, FormVersion, Project, User
from app.services.accounts import hash_token
from tests.app.api.workbooks import simple_form, xlsform
from tests.conftest import FIXTURE_FORMS


def test_forms_publish_prints_id_and_version_then_publishes_a_new_version(
        runner, make_project, tmp_path):
    pid = make_project()
    path = str(FIXTURE_FORMS / "escuela.xlsx")
    warned = runner.invoke(args=["forms", "publish", "--project", str(pid), path])
    assert warned.exit_code == 1 and "warning: [row : 8]" in warned.stderr
    assert "--ignore-warnings" in warned.stderr
    result = runner.invoke(args=["forms", "publish", "--project", str(pid),
                                 "--ignore-warnings", path])
    assert result.exit_code == 0, result.output
    form_id, version = result.stdout.split()
    assert form_id == "escuela"
    assert db.session.scalar(select(Form).where(Form.xml_form_id == "escuela")
                             ).current_version.version == version
    newer = tmp_path / "escuela.xlsx"
    newer.write_bytes(simple_form("escuela", "zz-2"))
    again = runner.invoke(args=["forms", "publish", "--project", str(pid), str(newer)])
    assert again.exit_code == 0 and again.stdout.split() == ["escuela", "zz-2"]
    assert db.session.scalar(select(func.count(FormVersion.id)).where(
        FormVersion.published_at.is_not(None))) == 2


def test_forms_publish_lists_errors_with_their_cell_and_exits_1(runner, make_project, tmp_path):
    pid = make_project()
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(xlsform([{"type": "text", "name": "age", "label": "A"},
                             {"type": "text", "name": "age", "label": "B"}]))
    result = runner.invoke(args=["forms", "publish", "--project", str(pid), str(bad)])
    assert result.exit_code == 1
    assert "bad.xlsx cannot be published" in result.stderr
    assert "- " in result.stderr and "row 3" in result.stderr
    assert "Traceback" not in result.output
    assert db.session.scalar(select(func.count(Form.id))) == 0


def test_the_demo_forms_are_the_fixture_forms():
    from app.services.demo import DEMO_FORMS

    demo = {p.name: p.read_bytes() for p in DEMO_FORMS.glob("*.xlsx")}
    assert demo == {p.name: p.read_bytes() for p in FIXTURE_FORMS.glob("*.xlsx")}


def test_app_users_create_prints_token_url_and_qr(app, runner, make_project):
    pid = make_project()
    result = runner.invoke(args=["app-users", "create", "--project", str(pid), "Phone 7"])
    assert result.exit_code == 0, result.output
    token = next(line.split(": ", 1)[1] for line in result.stdout.splitlines()
                 if line.startswith("token: "))
    assert f"http://localhost/v1/key/{token}/projects/{pid}" in result.stdout
    assert "█" in result.stdout or "▀" in result.stdout  # the QR code
    assert db.session.scalar(select(AppUser)).token_hash == hash_token(token)


def _counts() -> tuple:
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (Actor, User, Project, Form, FormVersion, AppUser, FormAssignment))


def test_demo_is_idempotent_and_prints_login_and_collect_url(runner, monkeypatch, tmp_path):
    monkeypatch.setenv("INSTANCE_DIR", str(tmp_path / "instance"))
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "admin@example.org / " in first.stdout and "/v1/key/" in first.stdout
    counts = _counts()
    assert counts[3:] == (4, 4, 1, 4)
    published = {f.xml_form_id: f.current_version.version for f in db.session.scalars(select(Form))}
    assert published == {"escuela": "1", "health_post": "2026.11.1", "sdg5_safety": "4",
                         "water_point": "2026112601"}
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0 and second.stdout == first.stdout
    assert _counts() == counts
    password = first.stdout.split("admin@example.org / ")[1].split()[0]
    from app.services.accounts import check_password, find_user

    assert check_password(find_user("admin@example.org"), password)
