"""`flask sync pair|run|status|import` (and `link`, for the central server's admin)."""
from __future__ import annotations

import json
import re
import sys
import time

import click
from flask import Flask
from flask.cli import AppGroup

from app.config import setting
from app.extensions import db
from app.services.terminal_qr import terminal_qr
from app.sync import jobs

sync_cli = AppGroup("sync", help="Field-office sync with a central server; moving in from "
                                 "ODK Central.")
_EVERY = re.compile(r"^(\d+)\s*([smhd]?)$")


def _seconds(text: str) -> int:
    match = _EVERY.match(text.strip().lower())
    if match is None or int(match.group(1)) == 0:
        raise click.BadParameter(f"{text!r}: say 30s, 10m, 1h or a number of seconds",
                                 param_hint="--every")
    return int(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[
        match.group(2)]


# A command's input, not a server setting: click reads it for these two commands only, so a
# password never sits in the app's configuration (nor in a server process's).
_PASSWORD = click.option("--password", envvar="SYNC_PASSWORD", hidden=True,
                         help="Read from SYNC_PASSWORD; prompted for when unset.")


def _password(email: str | None, given: str | None) -> str | None:
    if not email:
        return None
    return given or click.prompt(f"Password for {email}", hide_input=True)


@sync_cli.command("pair")
@click.argument("url")
@click.argument("token", required=False)
@click.option("--email", help="A web user of an ODK Central server (instead of a TOKEN); the "
                              "password comes from SYNC_PASSWORD or a prompt.")
@click.option("--project", "project_id", type=int,
              help="Fill this existing local project (default: create one).")
@click.option("--insecure", is_flag=True, help="Do not verify the server's TLS certificate.")
@_PASSWORD
def pair(url: str, token: str | None, email: str | None, project_id: int | None,
         insecure: bool, password: str | None) -> None:
    """Pair this office with a central server's project (URL and TOKEN of a sync link);
    print the local project's id."""
    from app.sync.peers import PairingError
    from app.sync.peers import pair as pair_peer
    from sync.wire import Refused, WireError

    options = jobs.wire_options(verify_tls=not insecure)
    try:
        peer, created = pair_peer(url, token, email=email, password=_password(email, password),
                                  project_id=project_id, options=options)
    except PairingError as error:
        raise click.UsageError(str(error)) from None
    except Refused as error:
        raise click.ClickException(f"the server refused the credential: {error}") from None
    except WireError as error:
        raise click.ClickException(f"cannot reach {url}: {error}") from None
    click.echo(f"{'paired' if created else 'pairing updated'}: {peer.display_name} "
               f"({'DataShift' if peer.dialect == 'datashift' else 'ODK Central'}), "
               f"peer {peer.id}; run `flask sync run`", err=True)
    click.echo(peer.project_id)


def _print_run(report) -> None:
    if isinstance(report, str):
        click.echo(f"skipped: {report}", err=True)
        return
    pulled, pushed = report.pulled, report.pushed
    click.echo(
        f"peer {report.peer_id}: forms +{pulled.forms_created} (versions +"
        f"{pulled.versions_added}, media {pulled.media_files}); submissions stored "
        f"{pushed.stored}, already there {pushed.duplicates}, conflicts {pushed.conflicts}, "
        f"files {pushed.files_uploaded} ({pushed.bytes_uploaded} bytes); reviews "
        f"{pushed.reviews}, comments {pushed.comments}; waiting {report.waiting} "
        f"({report.waiting_bytes} bytes)")
    for line in pulled.skipped + pushed.refused:
        click.echo(f"  not synced: {line}", err=True)
    if report.error:
        click.echo(f"  stopped: {report.error}", err=True)


def _complete(reports) -> bool:
    return all(not isinstance(r, str) and r.complete for r in reports)


@sync_cli.command("run")
@click.option("--every", "every", help="Run again at this interval (10m, 1h...) until "
                                       "stopped.")
@click.option("--peer", "peer_id", type=int, help="Only this peer (default: all).")
def run(every: str | None, peer_id: int | None) -> None:
    """Sync forms down and submissions up. Exit status 0 only when everything that was
    waiting has been sent."""
    interval = _seconds(every) if every else None
    if not jobs.peer_ids():
        raise click.UsageError("no central server is paired yet: flask sync pair URL TOKEN")
    while True:
        reports = jobs.run_all(peer_id)
        for report in reports:
            _print_run(report)
        db.session.remove()
        if interval is None:
            sys.exit(0 if _complete(reports) else 1)
        time.sleep(interval)


@sync_cli.command("status")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable.")
def status(as_json: bool) -> None:
    """Per link: last contact, waiting submissions and bytes, conflicts, last error."""
    from app.sync.status import peer_statuses

    rows = peer_statuses()
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("no central server is paired (flask sync pair URL TOKEN)")
    for row in rows:
        click.echo(f"peer {row['id']} {row['displayName']} — {row['url']} project "
                   f"{row['remoteProjectId']} ({row['dialect']}) -> local project "
                   f"{row['projectId']}")
        click.echo(f"  last contact {row['lastContactAt'] or 'never'}, last success "
                   f"{row['lastSuccessAt'] or 'never'}")
        click.echo(f"  waiting {row['waitingSubmissions']} submission version(s), "
                   f"{row['waitingBytes']} bytes; open conflicts {row['conflicts']}; "
                   f"checkpoint {row['checkpoint']}")
        if row["lastError"]:
            click.echo(f"  last error: {row['lastError']}")


@sync_cli.command("import")
@click.option("--from", "url", required=True, help="The ODK Central server's URL.")
@click.option("--email", required=True, help="A web user there (its password: SYNC_PASSWORD "
                                             "or a prompt).")
@click.option("--project", "remote_project", type=int, required=True,
              help="The Central project's id.")
@click.option("--into", "into", type=int, help="An existing DataShift project to fill.")
@click.option("--insecure", is_flag=True, help="Do not verify the server's TLS certificate.")
@_PASSWORD
def import_(url: str, email: str, remote_project: int, into: int | None,
            insecure: bool, password: str | None) -> None:
    """Copy an ODK Central project here (forms with every version and media, submissions
    with every version, files, review states, comments, app users); run again to catch up.
    Prints the DataShift project id."""
    from app.sync.central_import import ImportError_, import_project

    password = _password(email, password)
    with click.progressbar(length=0, label="importing", show_pos=True) as bar:
        def progress(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(done - bar.pos)

        try:
            result = import_project(url, email, password, remote_project, into=into,
                                    verify_tls=not insecure, progress=progress)
        except ImportError_ as error:
            raise click.ClickException(str(error)) from None
    click.echo(result.summary(), err=True)
    click.echo(result.project_id)


@sync_cli.command("link")
@click.option("--project", "project_id", type=int, required=True)
@click.argument("name")
def link(project_id: int, name: str) -> None:
    """(Central server) Create a sync link for a field office; print what to paste there
    (the pair command, and one URL carrying the token, with its QR code)."""
    from app.services import sync_links
    from app.services.projects import get_project

    if get_project(project_id) is None:
        raise click.ClickException(f"no project {project_id}")
    created, token = sync_links.create_link(project_id, name, None)
    db.session.commit()
    url = sync_links.link_url(setting("PUBLIC_URL"), project_id)
    pairing = sync_links.pairing_url(setting("PUBLIC_URL"), project_id, token)
    click.echo(f"sync link {created.actor_id} {name}; the token is not shown again.")
    click.echo(f"At the field office: flask sync pair {url} {token}")
    click.echo(f"or paste (or scan) this URL, which carries the token: {pairing}")
    click.echo(terminal_qr(pairing))


def init_app(app: Flask) -> None:
    app.cli.add_command(sync_cli)
