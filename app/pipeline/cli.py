"""`flask pipeline ...`: thin commands over the pipeline's services."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from app import queues
from app.pipeline import dispatch, jobs, reprocess, retry
from app.queries import outbox
from app.queries.outbox import Event

pipeline_cli = AppGroup("pipeline", help="The cleaning and SDG-tagging pipeline.")


@pipeline_cli.command("drain")
@click.option("--inline", is_flag=True, help="Process here even when REDIS_URL is set.")
def drain(inline: bool) -> None:
    """Send pending outbox rows to RQ (or, with no Redis, process them here)."""
    if queues.redis_url() and not inline:
        click.echo(f"enqueued {dispatch.sweep()} pending submission(s)")
        return
    with click.progressbar(length=outbox.count_pending(), label="processing") as bar:
        done, failed = dispatch.drain_inline(retry.inline_max_attempts(), bar.update)
    click.echo(f"processed {done}, failed {failed}")


@pipeline_cli.command("retry-failed")
def retry_failed() -> None:
    """Send jobs that failed their last retry round again, and every quarantined pipeline
    row, SMS send, webhook delivery and export job (app/quarantine.py)."""
    click.echo(f"retried {retry.retry_failed()} failed job(s)")


@pipeline_cli.command("failed")
def list_failed() -> None:
    """List jobs that failed their last retry, and quarantined SMS sends, webhook deliveries
    and export jobs."""
    for item in retry.failed_jobs():
        ref = (f"def={item['submissionDefId']}" if item["kind"] == "pipeline"
               else f"{item['kind']}={item['ref']}")
        click.echo(f"{item['id']}\t{ref}\t{item['error']}")


@pipeline_cli.command("reprocess")
@click.option("--project", "project_id", type=int, help="Limit to one project.")
@click.option("--form", "xml_form_id", help="xmlFormId of the form to re-process.")
@click.option("--instance", "instance_id", help="One submission (with --form).")
@click.option("--all", "everything", is_flag=True, help="Every submission of every form.")
@click.option("--enqueue", is_flag=True, help="Hand to the RQ workers instead of running here.")
def reprocess_cmd(project_id, xml_form_id, instance_id, everything, enqueue) -> None:
    """Re-run cleaning and tagging for one submission, a form, or everything."""
    _bulk(project_id, xml_form_id, instance_id, everything, enqueue, Event.REPROCESS)


@pipeline_cli.command("retag")
@click.option("--form", "xml_form_id", help="xmlFormId of the form.")
@click.option("--project", "project_id", type=int, help="Project, if the id is not unique.")
@click.option("--stale", is_flag=True, help="Only what a mapping or classifier change outdated.")
@click.option("--enqueue", is_flag=True, help="Hand to the RQ workers instead of running here.")
def retag(xml_form_id, project_id, stale, enqueue) -> None:
    """Recompute a form's SDG tags (after its mapping or the classifier changed)."""
    if stale:
        def_ids = reprocess.stale_defs(limit=10**9)
        failed = _run(def_ids, "retag")
        click.echo(f"{len(def_ids) - len(failed)} stale submission(s) re-tagged"
                   + (f", {len(failed)} failed" if failed else ""))
        return
    if not xml_form_id:
        raise click.UsageError("name a --form or pass --stale")
    _bulk(project_id, xml_form_id, None, False, enqueue, Event.RETAG)


def _bulk(project_id, xml_form_id, instance_id, everything, enqueue, event: Event) -> None:
    if not (xml_form_id or everything):
        raise click.UsageError("name a --form (optionally with --instance) or pass --all")
    try:
        def_ids = reprocess.select_defs(project_id=project_id, xml_form_id=xml_form_id,
                                        instance_id=instance_id)
    except reprocess.Ambiguous as error:
        raise click.UsageError(str(error)) from None
    if enqueue:
        if not queues.redis_url():
            raise click.UsageError("--enqueue needs REDIS_URL")
        outbox_ids = reprocess.request(def_ids, event)
        sent = dispatch.enqueue(outbox_ids)
        click.echo(f"enqueued {sent} of {len(def_ids)} submission(s)")
        return
    failed = _run(def_ids, event.split(".")[1])
    click.echo(f"{len(def_ids) - len(failed)} submission(s) done"
               + (f", {len(failed)} failed" if failed else ""))


def _run(def_ids: list[int], label: str) -> dict[int, str]:
    """Process versions here in batches, with a progress bar; failures are listed, not fatal."""
    size = jobs.batch_size()
    failed: dict[int, str] = {}
    with click.progressbar(length=len(def_ids), label=label) as bar:
        for lo in range(0, len(def_ids), size):
            chunk = def_ids[lo:lo + size]
            failed.update(dispatch.process_defs(chunk))
            bar.update(len(chunk))
    for def_id, error in failed.items():
        click.echo(f"def {def_id} failed: {error}", err=True)
    return failed


def init_app(app: Flask) -> None:
    app.cli.add_command(pipeline_cli)
