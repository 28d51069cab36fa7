"""`flask --app wsgi ...`: thin commands that parse arguments and call one service."""
from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from app import migrate
from app.extensions import db
from app.services.terminal_qr import terminal_qr

db_cli = AppGroup("db", help="Database schema (Alembic migrations).")
users_cli = AppGroup("users", help="Web users.")
projects_cli = AppGroup("projects", help="Projects.")
forms_cli = AppGroup("forms", help="Forms (XLSForm or XForm uploads).")
app_users_cli = AppGroup("app-users", help="App users (ODK Collect devices).")


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Migrate the database to REVISION (default: the newest)."""
    migrate.upgrade(current_app.config["SQLALCHEMY_DATABASE_URI"], revision)
    click.echo(f"database at {revision}")


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Migrate the database back to REVISION."""
    migrate.downgrade(current_app.config["SQLALCHEMY_DATABASE_URI"], revision)
    click.echo(f"database at {revision}")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option("--role", type=click.Choice(["admin", "none"]), default="none")
def users_create(email: str, password: str, role: str) -> None:
    """Create a web user (site admin with --role admin)."""
    from app.services import accounts

    if accounts.find_user(email):
        raise click.ClickException(f"a user with email {email} already exists")
    try:
        user = accounts.create_user(email, password, admin=role == "admin")
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"user {user.actor_id} {user.email}{' (admin)' if user.is_admin else ''}")


@projects_cli.command("create")
@click.argument("name")
def projects_create(name: str) -> None:
    """Create a project and print its id."""
    from app.services.projects import create_project

    project = create_project(name)
    db.session.commit()
    click.echo(project.id)


def _form_error_lines(error) -> list[str]:
    """A FormError as lines a coordinator can act on: where (sheet, row, column) and what."""
    details = error.to_problem()["details"]
    where = ", ".join(f"{key} {details[key]}" for key in ("sheet", "row", "column")
                      if details.get(key) is not None)
    lines = [f"- {where + ': ' if where else ''}{error.message}"]
    lines += [f"- warning: {warning}" for warning in details.get("warnings") or []]
    return lines


@forms_cli.command("publish")
@click.option("--project", "project_id", type=int, required=True)
@click.option("--ignore-warnings", is_flag=True, help="Publish even if pyxform warns.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def forms_publish(project_id: int, ignore_warnings: bool, file: Path) -> None:
    """Publish FILE (.xlsx, .xls or XForm .xml): a new form, or a new version of one."""
    from app.problems import Problem
    from app.services import forms as form_service
    from app.services.projects import get_project
    from forms.errors import FormError
    from forms.xlsform import compile_upload

    if get_project(project_id) is None:
        raise click.ClickException(f"no project {project_id}")
    try:
        compiled = compile_upload(
            file.read_bytes(), None, file.name, ignore_warnings=ignore_warnings,
            validate=bool(current_app.config.get("ODK_VALIDATE")),
            max_bytes=int(current_app.config["MAX_FORM_UPLOAD_BYTES"]))
        form = form_service.get_form(project_id, compiled.form_id)
        if form is None:
            form = form_service.create_form(project_id, compiled, None, publish=True)
        else:
            form_service.replace_draft(form, compiled, None)
            db.session.expire(form)
            form_service.publish_draft(form, None, None)
        db.session.commit()
    except FormError as error:
        db.session.rollback()
        click.echo(f"{file.name} cannot be published:", err=True)
        click.echo("\n".join(_form_error_lines(error)), err=True)
        if error.code == 400.16:
            click.echo("(run again with --ignore-warnings to publish anyway)", err=True)
        raise SystemExit(1) from None
    except Problem as problem:
        db.session.rollback()
        click.echo(f"{file.name} cannot be published: {problem.message}", err=True)
        raise SystemExit(1) from None
    click.echo(f"{compiled.form_id} {compiled.version or '(no version)'}")
    if not compiled.validated:
        click.echo("note: ODK Validate (Java) did not run; the form was not checked by "
                   "JavaRosa", err=True)


@app_users_cli.command("create")
@click.option("--project", "project_id", type=int, required=True)
@click.argument("name")
def app_users_create(project_id: int, name: str) -> None:
    """Create an app user; print its token, Collect URL and settings QR code (shown once)."""
    from app.services import app_users
    from app.services.projects import get_project

    project = get_project(project_id)
    if project is None:
        raise click.ClickException(f"no project {project_id}")
    app_user, token = app_users.create_app_user(project_id, name, None)
    db.session.commit()
    public_url = current_app.config["PUBLIC_URL"]
    click.echo(f"app user {app_user.actor_id} {name}")
    click.echo(f"token: {token}")
    click.echo(f"Collect URL: {app_users.collect_url(public_url, token, project_id)}")
    click.echo("Scan in ODK Collect (Configure with QR code); the token is not shown again:")
    click.echo(terminal_qr(app_users.qr_payload(public_url, token, project)))


@click.command("demo")
@click.option("--with-data", is_flag=True,
              help="Also a few thousand made-up submissions and indicators on them (once).")
def demo(with_data: bool) -> None:
    """Create the demo admin, project, forms and app user (safe to run again)."""
    from app.services.demo import run_demo

    info = run_demo(Path(current_app.config["INSTANCE_DIR"]), current_app.config["PUBLIC_URL"])
    click.echo(f"Demo project {info.project_id}: forms {', '.join(info.forms)}")
    if with_data:
        from app.services import demo_data

        click.echo("Demo data: storing made-up submissions through the pipeline (once)...")
        stored = demo_data.load(info.project_id,
                                progress=lambda n: click.echo(f"  {n} submissions"))
        click.echo(f"Demo data: {stored} submissions stored now; indicators declared"
                   if stored else "Demo data: present already; indicators declared")
    public_url = current_app.config["PUBLIC_URL"]
    password = info.password or "(unchanged; the account existed before the demo)"
    click.echo(f"Web app: {public_url}/  (open it in a browser, on this machine or a phone on "
               "the same network when served with HOST=0.0.0.0)")
    click.echo(f"Log in: {info.email} / {password}")
    click.echo(f"ODK Collect server URL: {info.collect_url}")
    if info.collect_qr:
        click.echo("ODK Collect: Configure with QR code, and scan this:")
        click.echo(terminal_qr(info.collect_qr))


def init_app(app: Flask) -> None:
    for group in (db_cli, users_cli, projects_cli, forms_cli, app_users_cli):
        app.cli.add_command(group)
    app.cli.add_command(demo)
    from app.messaging.cli import channels_cli

    app.cli.add_command(channels_cli)
    from app.worker import worker

    app.cli.add_command(worker)
    from app.exports import cli as exports_cli

    exports_cli.init_app(app)
    from app.webhooks import cli as webhooks_cli

    webhooks_cli.init_app(app)
    from app.indicators.cli import indicators_cli

    app.cli.add_command(indicators_cli)
    from app.sync import cli as sync_cli

    sync_cli.init_app(app)
