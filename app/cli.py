"""`flask --app wsgi ...`: thin commands that parse arguments and call one service."""
from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from app import migrate
from app.extensions import db

db_cli = AppGroup("db", help="Database schema (Alembic migrations).")
users_cli = AppGroup("users", help="Web users.")
projects_cli = AppGroup("projects", help="Projects.")


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


def init_app(app: Flask) -> None:
    for group in (db_cli, users_cli, projects_cli):
        app.cli.add_command(group)
    from app.messaging_cli import channels_cli

    app.cli.add_command(channels_cli)
    from app.pipeline import cli as pipeline_cli

    pipeline_cli.init_app(app)
