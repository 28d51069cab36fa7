"""`flask indicators list|rebuild`: see the declared indicators and recompute them."""
from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.extensions import db
from app.indicators import contributions
from app.models import Indicator

indicators_cli = AppGroup("indicators", help="Indicators over the forms' submissions.")


@indicators_cli.command("list")
@click.option("--project", type=int, help="only this project's")
def list_indicators(project: int | None) -> None:
    """id, project, code, SDG, kind, and whether it is being recomputed."""
    query = select(Indicator).order_by(Indicator.id)
    if project is not None:
        query = query.where(Indicator.project_id == project)
    for ind in db.session.scalars(query):
        state = "rebuilding" if ind.rebuilding else "current"
        click.echo(f"{ind.id}\t{ind.project_id}\t{ind.code}\t{ind.sdg}\t{ind.kind}\t{state}"
                   f"\terrors={ind.errors}")


@indicators_cli.command("rebuild")
@click.argument("ids", nargs=-1, type=int)
@click.option("--pending", is_flag=True, help="those still marked rebuilding")
@click.option("--all", "everything", is_flag=True, help="every indicator")
def rebuild(ids: tuple[int, ...], pending: bool, everything: bool) -> None:
    """Recompute contributions and cells from the submissions, from a clean slate (a
    repair: numbers read partial until it is done; harmless to repeat)."""
    query = select(Indicator.id).order_by(Indicator.id)
    if ids:
        query = query.where(Indicator.id.in_(ids))
    elif pending:
        query = query.where(Indicator.rebuilding.is_(True))
    elif not everything:
        raise click.UsageError("name indicator ids, or --pending, or --all")
    chosen = list(db.session.scalars(query))
    missing = set(ids) - set(chosen)
    if missing:
        raise click.BadParameter(f"no indicator {sorted(missing)}", param_hint="IDS")
    for indicator_id in chosen:
        contributions.clear(indicator_id)
        db.session.commit()
        seen = contributions.rebuild(indicator_id)
        click.echo(f"indicator {indicator_id}: {seen} submissions")
