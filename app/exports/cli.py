"""`flask export ...`: write a form's export to a file with a progress bar; and
`flask export-cleanup`: remove expired background export files."""
from __future__ import annotations

import os
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click
from flask import Flask

from app.extensions import db

if TYPE_CHECKING:
    from forms.model import FormModel


def _when(ctx, param, value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 date or time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.now().astimezone().tzinfo)


def _check_language(model: FormModel, language: str) -> None:
    """A `--language` the form does not have is a usage error (exit 2) naming it and the
    form's languages, before anything is written."""
    from app.exports.typed import pick_language

    try:
        pick_language(model.languages, model.default_language, language)
    except LookupError:
        known = ", ".join(model.languages) or "none (the form is not translated)"
        raise click.BadParameter(f"the form has no language {language!r}; its languages are: "
                                 f"{known}", param_hint="--language") from None


@click.command("export")
@click.option("--project", "project_id", type=int, required=True, help="Project id.")
@click.option("--form", "xml_form_id", required=True, help="The form's xmlFormId.")
@click.option("--format", "fmt", default="csv.zip", show_default=True,
              help="A registered format: csv.zip, csv, ...")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write (default: {xmlFormId}.{format} here).")
@click.option("--since", callback=_when, help="Submitted at or after (ISO 8601).")
@click.option("--until", callback=_when, help="Submitted before (ISO 8601).")
@click.option("--channel", help="collect, sms, ussd, web, api ...")
@click.option("--review-state", help="approved, hasIssues, rejected, edited, or null.")
@click.option("--sdg", help='An SDG goal ("5") or target/indicator ("5.2", "5.2.1").')
@click.option("--form-version", help="Only submissions of this form version.")
@click.option("--filter", "odata_filter", help="Central's $filter, e.g. \"__system/reviewState "
              "eq 'approved'\".")
@click.option("--attachments/--no-attachments", default=True, show_default=True,
              help="Media files in the zip.")
@click.option("--group-paths/--no-group-paths", default=True, show_default=True)
@click.option("--split-select-multiples", is_flag=True)
@click.option("--deleted-fields", is_flag=True)
@click.option("--language", help="Form language for labels (formats that use them).")
@click.option("--phone-numbers", type=click.Choice(["hashed", "clear"]), default="hashed",
              show_default=True, help="clear writes citizens' numbers as sent (audited).")
def export(project_id: int, xml_form_id: str, fmt: str, out: Path | None, since, until,
           channel, review_state, sdg, form_version, odata_filter, attachments, group_paths,
           split_select_multiples, deleted_fields, language, phone_numbers) -> None:
    """Write a form's submissions to a file (streamed, constant memory), with a progress bar."""
    from app import problems
    from app.exports import formats
    from app.exports.queries import Filters
    from app.exports.spec import ExportSpec, Source, odata_clause
    from app.models import Audit
    from app.services import forms as form_service
    from app.services.projects import get_project

    kind = formats.get(fmt)
    if kind is None:
        raise click.BadParameter(f"unknown format {fmt!r}; known: {', '.join(formats.names())}",
                                 param_hint="--format")
    try:
        kind.check()
    except formats.FormatUnavailable as missing:
        raise click.ClickException(str(missing)) from None
    if get_project(project_id) is None:
        raise click.ClickException(f"no project with id {project_id}")
    form = form_service.get_form(project_id, xml_form_id)
    if form is None:
        raise click.ClickException(f"no form {xml_form_id!r} in project {project_id}")
    if form.current_version_id is None:
        raise click.ClickException(f"form {xml_form_id!r} has no published version")
    try:
        odata_clause(odata_filter)
    except problems.Problem as error:
        raise click.BadParameter(error.message, param_hint="--filter") from None
    spec = ExportSpec(form_id=form.id, format=fmt,
                      filters=Filters(since=since, until=until, channel=channel,
                                      review_state=review_state, sdg=sdg,
                                      form_version=form_version),
                      odata_filter=odata_filter, attachments=attachments,
                      group_paths=group_paths, split_select_multiples=split_select_multiples,
                      deleted_fields=deleted_fields, phones=phone_numbers, language=language)
    source = Source(spec)
    if language is not None:
        _check_language(source.model, language)
    if phone_numbers == "clear":
        db.session.add(Audit(actor_id=None, action="submission.export.phone_clear",
                             project_id=project_id, form_id=form.id,
                             details={"cli": "flask export", "format": fmt}))
        db.session.commit()
    out = out or Path(kind.filename(form.xml_form_id))
    partial = out.with_name(out.name + ".part")
    total = source.count()
    try:
        with open(partial, "wb") as handle, click.progressbar(
                length=total, label=f"{form.xml_form_id} {fmt}", show_pos=True,
                file=sys.stderr) as bar:
            for chunk in formats.produce(spec, bar.update):
                handle.write(chunk)
        os.replace(partial, out)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    click.echo(f"{out}: {total} submission(s), {out.stat().st_size} bytes")


@click.command("export-cleanup")
def export_cleanup() -> None:
    """Remove background export jobs and files past EXPORT_FILE_TTL_SECONDS."""
    from app.exports import jobs

    click.echo(f"{jobs.cleanup()} expired export(s) removed")


def init_app(app: Flask) -> None:
    app.cli.add_command(export)
    app.cli.add_command(export_cleanup)
