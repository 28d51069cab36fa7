"""Moving in from ODK Central: a Central project's forms, submissions and people, copied into
a DataShift project through pyodk. Idempotent: run it again to catch up.

pyodk logs in (a web user's email and password) and reads the project and its forms; its
authenticated session carries the requests pyodk has no method for, or whose model is
stricter than the dialect (submission lists, form and submission versions, their XML and
files, comments with their authors, app users), through the same
`Remote` and forms pull the field-office sync uses. What is copied:

- forms: every published version, byte for byte, with its media, and its state (app/sync/pull.py);
- app users: by name (tokens cannot be read from Central: give devices new QR codes);
- submissions: every version, oldest first, through `sync.ingest` with Central's received
  time, device, user agent and submitter, and every file of each version; then the review
  state and the comments (each once, by its Central id).

A version already here is skipped, so nothing is stored twice; one that cannot be stored
(an encrypted form, a form not pulled) is reported and the rest goes on.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pyodk._utils.config import CentralConfig, Config
from pyodk._utils.session import Session
from pyodk.client import Client
from pyodk.errors import PyODKError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Comment, Submission, SubmissionDef
from app.models.base import utcnow
from app.services import app_users
from app.services import forms as form_service
from app.services.projects import create_project, get_project
from app.services.submissions import set_review_state
from app.sync.pull import PullReport, pull_forms
from forms.review import REVIEWABLE
from sync import errors, remote_ids
from sync.ingest import ingest
from sync.remote import Remote
from sync.wire import Wire, WireError, WireOptions

log = logging.getLogger(__name__)


class ImportError_(Exception):  # noqa: N801  (ImportError is Python's)
    """The import cannot start or go on (said in words for the operator)."""


@dataclass
class ImportResult:
    project_id: int
    forms: PullReport = field(default_factory=PullReport)
    app_users: int = 0
    submissions: int = 0
    versions: int = 0
    files: int = 0
    reviews: int = 0
    comments: int = 0
    skipped: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [f"forms +{self.forms.forms_created} (versions +{self.forms.versions_added}, "
                 f"media {self.forms.media_files}); app users +{self.app_users}; submissions "
                 f"+{self.submissions}, versions +{self.versions}, files {self.files}, review "
                 f"states {self.reviews}, comments +{self.comments}"]
        lines += [f"not imported: {line}" for line in self.forms.skipped + self.skipped]
        return "\n".join(lines)


def _client(url: str, email: str, password: str, verify_tls: bool) -> Client:
    config = Config(central=CentralConfig(base_url=url, username=email, password=password))
    # No cache file: the session token lives in memory for this run only.
    session = Session(base_url=url, api_version="v1", username=email, password=password,
                      cache_path=None)
    session.verify = verify_tls
    return Client(config=config, session=session)


def _parse_time(raw: Any) -> datetime | None:
    if isinstance(raw, datetime):
        return raw
    if not raw:
        return None
    return datetime.fromisoformat(str(raw).replace("Z", "+00:00"))


def _channel(user_agent: str | None) -> str:
    return "collect" if "collect" in (user_agent or "").lower() else "api"


def import_project(url: str, email: str, password: str, remote_project: int, *,
                   into: int | None = None, verify_tls: bool = True,
                   progress: Callable[[int, int], None] | None = None) -> ImportResult:
    """Copy (or catch up) Central project `remote_project` into a DataShift project."""
    url = url.rstrip("/")
    client = _client(url, email, password, verify_tls)
    try:
        client.open()
        project = client.projects.get(remote_project)
        forms = client.forms.list(project_id=remote_project)
    except PyODKError as error:
        raise ImportError_(f"ODK Central at {url} refused or failed: {error}") from None
    except OSError as error:
        raise ImportError_(f"cannot reach {url}: {error}") from None
    scope = remote_ids.import_scope(url, remote_project)
    result = ImportResult(_local_project(scope, remote_project, project.name, into, url))
    remote = Remote(Wire(url, None, WireOptions(verify_tls=verify_tls), session=client.session),
                    remote_project)
    try:
        _app_users(remote, scope, result)
        result.forms = pull_forms(remote, result.project_id)
        work = []
        for form in forms:
            if form.publishedAt is None:
                continue
            # Central's own JSON, not pyodk's Submission model: that one requires an integer
            # submitterId, and a Central-dialect server may list a submission with none (an
            # SMS or USSD one here before migration 0015): one would stop the whole import.
            work += [(form.xmlFormId, s) for s in remote.submissions(form.xmlFormId)]
        done = 0
        for xml_form_id, submission in work:
            _submission(remote, scope, result, xml_form_id, submission)
            done += 1
            if progress is not None:
                progress(done, len(work))
    except (WireError, PyODKError) as error:
        raise ImportError_(f"the import stopped (run it again to go on): {error}") from None
    return result


def _local_project(scope: str, remote_project: int, name: str, into: int | None,
                   url: str) -> int:
    known = remote_ids.local_id(scope, "project", remote_project)
    if into is not None:
        if get_project(into) is None:
            raise ImportError_(f"no DataShift project {into}")
        if known is not None and known != into:
            raise ImportError_(f"this Central project was imported into project {known}")
        if known is None:
            remote_ids.remember(scope, "project", remote_project, into)
            db.session.commit()
        return into
    if known is not None and get_project(known) is not None:
        return known
    local = create_project(name, f"Moved in from ODK Central: {url} project {remote_project}")
    db.session.flush()
    remote_ids.remember(scope, "project", remote_project, local.id)
    db.session.commit()
    return local.id


def _app_users(remote: Remote, scope: str, result: ImportResult) -> None:
    """Central's app users by name, as app users here without a token (Central never shows
    tokens again): submissions keep their submitter; devices get new QR codes here."""
    for entry in remote.app_users():
        if remote_ids.local_id(scope, "actor", entry["id"]) is not None:
            continue
        app_user, _ = app_users.create_app_user(result.project_id, entry.get("displayName")
                                                or f"app user {entry['id']}", None)
        app_user.token_hash = None
        remote_ids.remember(scope, "actor", entry["id"], app_user.actor_id)
        db.session.commit()
        result.app_users += 1


def _people(remote: Remote, scope: str, xml_form_id: str) -> dict[int, str]:
    return {p["id"]: p.get("displayName") or "" for p in remote.submitters(xml_form_id)}


def _submission(remote: Remote, scope: str, result: ImportResult, xml_form_id: str,
                listed: dict[str, Any]) -> None:
    root = listed["instanceId"]
    form = form_service.get_form(result.project_id, xml_form_id)
    if form is None:
        result.skipped.append(f"{xml_form_id} {root}: the form was not imported")
        return
    versions = sorted(remote.submission_versions(xml_form_id, root),
                      key=lambda v: v.get("createdAt") or "")
    names: dict[int, str] | None = None
    created_any = False
    for version in versions:
        instance_id = version["instanceId"]
        if db.session.scalar(select(SubmissionDef.id).where(
                SubmissionDef.form_id == form.id, SubmissionDef.instance_id == instance_id)):
            continue
        submitter = version.get("submitterId")
        local_submitter = None
        if submitter is not None:
            local_submitter = remote_ids.local_id(scope, "actor", submitter)
            if local_submitter is None:
                names = names if names is not None else _people(remote, scope, xml_form_id)
                local_submitter = remote_ids.remote_actor(scope, submitter,
                                                          names.get(submitter, ""))
        xml = remote.submission_version_xml(xml_form_id, root, instance_id)
        files = {}
        for entry in remote.submission_version_attachments(xml_form_id, root, instance_id):
            if entry.get("exists"):
                files[entry["name"]] = remote.submission_version_attachment(
                    xml_form_id, root, instance_id, entry["name"])
        try:
            stored = ingest(project_id=result.project_id, xml=xml, attachments=files,
                            channel=_channel(version.get("userAgent")),
                            submitter_id=local_submitter, device_id=version.get("deviceId"),
                            user_agent=version.get("userAgent"), form_id=xml_form_id,
                            received_at=_parse_time(version.get("createdAt")))
        except errors.IngestError as failure:
            result.skipped.append(f"{xml_form_id} {instance_id}: {failure.message}")
            return
        result.versions += 1
        result.files += len(stored.attachments_added)
        created_any |= stored.created
    result.submissions += created_any
    local = db.session.scalar(select(Submission).where(
        Submission.form_id == form.id, Submission.instance_id == root))
    if local is None:
        return
    state = listed.get("reviewState")
    if state in REVIEWABLE and local.review_state != state:
        set_review_state(form, local, state, None)
        db.session.commit()
        result.reviews += 1
    _comments(remote, scope, result, xml_form_id, root, local)


def _comments(remote: Remote, scope: str, result: ImportResult, xml_form_id: str, root: str,
              local: Submission) -> None:
    for entry in remote.comments(xml_form_id, root):
        key = entry.get("id") or f"{root}:{entry.get('createdAt')}:{entry.get('actorId')}"
        if remote_ids.local_id(scope, "comment", key) is not None:
            continue
        author = (entry.get("actor") or {}).get("displayName") or ""
        # Central's actor ids are shared by users and app users: an imported app user's
        # comment maps to that app user.
        actor_id = remote_ids.remote_actor(scope, entry.get("actorId"), author)
        comment = Comment(submission_id=local.id, actor_id=actor_id,
                          body=str(entry.get("body") or ""),
                          created_at=_parse_time(entry.get("createdAt")) or utcnow())
        db.session.add(comment)
        db.session.flush()
        remote_ids.remember(scope, "comment", key, comment.id)
        try:
            db.session.commit()
            result.comments += 1
        except IntegrityError:
            db.session.rollback()

