"""`flask channels ...`: create an SMS/USSD channel and print its webhook URLs; flush the queue."""
from __future__ import annotations

import json

import click
from flask.cli import AppGroup

from app.extensions import db
from app.problems import Problem

channels_cli = AppGroup("channels", help="SMS and USSD channels.")


@channels_cli.command("create")
@click.option("--project", "project_id", type=int, required=True)
@click.option("--provider", type=click.Choice(["africastalking", "twilio", "simulator"]),
              required=True)
@click.option("--kind", type=click.Choice(["sms", "ussd", "whatsapp"]), default="sms",
              show_default=True)
@click.option("--address", default="", help="Short code, number or USSD code.")
@click.option("--username", help="Africa's Talking username.")
@click.option("--api-key", help="Africa's Talking API key.")
@click.option("--account-sid", help="Twilio Account SID.")
@click.option("--auth-token", help="Twilio Auth Token.")
@click.option("--form", "xml_form_id", help="xmlFormId the channel opens directly.")
@click.option("--settings", "settings_json", default="{}", help="More settings, as JSON.")
def channels_create(project_id: int, provider: str, kind: str, address: str,
                    username: str | None, api_key: str | None, account_sid: str | None,
                    auth_token: str | None, xml_form_id: str | None, settings_json: str) -> None:
    """Create a channel and print its id and webhook URLs."""
    from app.messaging import channels as channel_service
    from app.services.projects import get_project

    if get_project(project_id) is None:
        raise click.ClickException(f"no project {project_id}")
    try:
        settings = json.loads(settings_json)
    except ValueError:
        raise click.ClickException("--settings must be a JSON object") from None
    if xml_form_id:
        settings["form"] = xml_form_id
    credentials = ({"username": username, "apiKey": api_key} if provider == "africastalking"
                   else {"accountSid": account_sid, "authToken": auth_token}
                   if provider == "twilio" else {})
    try:
        channel = channel_service.create_channel(
            project_id, provider=provider, kind=kind, address=address,
            credentials=credentials, settings=settings)
    except Problem as problem:
        raise click.ClickException(problem.message) from None
    db.session.commit()
    click.echo(f"channel {channel.id} ({provider} {kind} {address})".rstrip())
    for hook, url in channel_service.webhook_urls(channel).items():
        click.echo(f"{hook}: {url}")


@channels_cli.command("send-queued")
def channels_send_queued() -> None:
    """Hand every queued outbound message to the sender (after Redis was down, say)."""
    from app.messaging import jobs, outbound

    ids = outbound.queued_ids()
    jobs.enqueue_send(ids)
    click.echo(f"{len(ids)} message(s) handed to the sender")


@channels_cli.command("tick")
@click.option("--idle-seconds", type=int, default=600, show_default=True)
def channels_tick(idle_seconds: int) -> None:
    """Remind or expire idle SMS surveys (run every few minutes, e.g. from cron)."""
    from app.messaging import finish, idle

    outcome = idle.tick_idle(idle_seconds=idle_seconds)
    finish.after_commit(outcome)
    click.echo(f"{len(outcome.send)} reminder(s) queued")
