"""Field side: pairing with a central server, the peer's encrypted credential, and the lease
that makes two sync runs at once harmless.

`flask sync pair URL TOKEN` calls `pair`: the URL is the project URL a sync link shows
(`https://central.example.org/v1/projects/3`); a real ODK Central is paired with a web
user's email and password instead of a token. The credential is stored encrypted under a
key derived from SECRET_KEY (app.crypto), never in clear.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import or_, select, update

from app import crypto
from app.extensions import db
from app.models import SyncPeer
from app.models.base import utcnow
from app.services.projects import create_project, get_project
from sync.remote import Remote
from sync.wire import Credentials, Wire, WireOptions

_PROJECT_PATH = re.compile(r"^(?P<prefix>.*?)/v1/(?:key/(?P<token>[^/]+)/)?projects/"
                           r"(?P<pid>\d+)/?$")


class PairingError(ValueError):
    """The URL or the credential cannot be used (said in words for the operator)."""


@dataclass(frozen=True)
class Target:
    base_url: str  # scheme://host[:port][/prefix], no /v1
    project_id: int
    token: str | None = None  # a token carried in the URL (/v1/key/{token}/...)


def parse_url(url: str) -> Target:
    """`https://host[/prefix]/v1/projects/{pid}` (or `/v1/key/{token}/projects/{pid}`)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise PairingError(f"{url!r} is not an http(s) URL")
    match = _PROJECT_PATH.match(parts.path)
    if match is None:
        raise PairingError(f"{url!r} does not end in /v1/projects/<id> (copy the sync "
                           "link's URL as the central server shows it)")
    base = f"{parts.scheme}://{parts.netloc}{match.group('prefix')}"
    return Target(base, int(match.group("pid")), match.group("token"))


def credentials_of(peer: SyncPeer) -> Credentials:
    return Credentials(**crypto.decrypt_json(peer.credentials))


def remote_for(peer: SyncPeer, options: WireOptions) -> Remote:
    """The API of the peer's central server, authenticated as the peer."""
    wire = Wire(peer.url, credentials_of(peer),
                replace(options, verify_tls=peer.verify_tls and options.verify_tls))
    return Remote(wire, peer.remote_project_id)


def pair(url: str, token: str | None, *, email: str | None = None,
         password: str | None = None, project_id: int | None = None,
         options: WireOptions | None = None) -> tuple[SyncPeer, bool]:
    """Check the credential against the server, then create (or update) the peer and the
    local project it fills; returns (peer, created). Raises PairingError or WireError."""
    options = options or WireOptions()
    target = parse_url(url)
    token = token or target.token
    if email:
        if not password:
            raise PairingError("a password is needed with --email (SYNC_PASSWORD)")
        secret = {"email": email, "password": password}
    elif token:
        secret = {"token": token}
    else:
        raise PairingError("give the sync link's TOKEN (or --email for an ODK Central)")
    remote = Remote(Wire(target.base_url, Credentials(**secret), options), target.project_id)
    hello = remote.hello()
    remote_project = remote.project()
    dialect = "datashift" if hello else "central"
    name = (hello or {}).get("displayName") or remote_project.get("name") or url
    peer = db.session.scalar(select(SyncPeer).where(
        SyncPeer.url == target.base_url, SyncPeer.remote_project_id == target.project_id))
    created = peer is None
    if project_id is not None and get_project(project_id) is None:
        raise PairingError(f"no local project {project_id}")
    if peer is None:
        if project_id is None:
            project_id = create_project(str(remote_project.get("name") or name)[:255],
                                        f"Synced with {url}").id
        peer = SyncPeer(project_id=project_id, url=target.base_url,
                        remote_project_id=target.project_id, created_at=utcnow(), cursor=0,
                        review_cursor=0, comment_cursor=0)
        db.session.add(peer)
    elif project_id is not None and project_id != peer.project_id:
        raise PairingError(f"this server's project is already synced into local project "
                           f"{peer.project_id}")
    peer.dialect = dialect
    peer.credentials = crypto.encrypt_json(secret)
    peer.display_name = str(name)[:255]
    peer.verify_tls = options.verify_tls
    peer.last_contact_at = utcnow()
    peer.last_error = None
    db.session.commit()
    return peer, created


# -- the lease --------------------------------------------------------------------------------

def acquire(peer_id: int, owner: str, lease_seconds: int) -> bool:
    """Take the peer's lease unless a live run holds it; committed at once."""
    now = utcnow()
    table = SyncPeer.__table__
    taken = db.session.execute(update(table).where(
        table.c.id == peer_id,
        or_(table.c.lock_owner.is_(None), table.c.lock_owner == owner,
            table.c.lock_expires_at < now)
    ).values(lock_owner=owner, lock_expires_at=now + timedelta(seconds=lease_seconds))
    ).rowcount
    db.session.commit()
    return taken == 1


def renew(peer_id: int, owner: str, lease_seconds: int) -> bool:
    """Extend a lease this run holds (False if it was lost, e.g. after a very long stall)."""
    table = SyncPeer.__table__
    kept = db.session.execute(update(table).where(
        table.c.id == peer_id, table.c.lock_owner == owner
    ).values(lock_expires_at=utcnow() + timedelta(seconds=lease_seconds))).rowcount
    db.session.commit()
    return kept == 1


def release(peer_id: int, owner: str) -> None:
    table = SyncPeer.__table__
    db.session.execute(update(table).where(table.c.id == peer_id, table.c.lock_owner == owner)
                       .values(lock_owner=None, lock_expires_at=None))
    db.session.commit()
