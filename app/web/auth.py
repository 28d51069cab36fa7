"""Who is calling: bearer sessions, HTTPS Basic and HTTP Digest; one place for access checks."""
from __future__ import annotations

from flask import current_app, g, request
from sqlalchemy import Select, bindparam, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import make_transient_to_detached

from app import problems
from app.extensions import db
from app.models import Actor, AppUser
from app.services import accounts, sync_links
from app.services.login_throttle import LoginGuard, LoginThrottled
from app.services.permissions import Principal, principal_for


def is_https() -> bool:
    """HTTPS directly, or as told by the proxies the operator trusts (TRUSTED_PROXY: ProxyFix
    sets the scheme from their X-Forwarded-Proto)."""
    return request.scheme == "https"


def login_guard(account: str) -> LoginGuard:
    """The throttle for a login by this request: its client address (after ProxyFix) and, for
    ODK Collect, its `deviceID`, so one phone's stale password does not stop the others."""
    device = request.args.get("deviceID", "")[:200] or None
    return LoginGuard(account, request.remote_addr or "-", device)


def current_principal(required: bool = True) -> Principal | None:
    """The caller, from `Authorization: Bearer`, `Digest` or (over HTTPS) `Basic`; cached."""
    if "principal" in g:
        return g.principal
    principal = None
    if "key_token" in g:
        principal = _key_principal(g.key_token)
        g.principal = principal
        return principal
    header = request.headers.get("Authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "bearer" and credentials:
        actor = accounts.session_actor(credentials.strip()) or \
            sync_links.link_actor(credentials.strip())
        principal = principal_for(actor) if actor else None
        if principal is None:
            raise problems.authentication_failed()
        if principal.sync_link is not None:
            sync_links.touch(principal.sync_link)
    elif scheme.lower() == "basic" and credentials:
        if not is_https():
            raise problems.https_only()
        auth = request.authorization
        username = (auth.username or "") if auth else ""
        user = _throttled(lambda: accounts.authenticate(
            username, (auth.password or "") if auth else "", login_guard(username)))
        if user is None:
            raise problems.authentication_failed()
        principal = principal_for(user.actor)
    elif scheme.lower() == "digest" and credentials:
        principal = _digest_principal()
    if principal is None and required:
        raise problems.authentication_failed()
    g.principal = principal
    return principal


def _digest_principal() -> Principal:
    """A web user by HTTP Digest (ODK Collect's username/password mode); see app.web.digest."""
    from app.web import digest

    auth = request.authorization
    params = auth.parameters if auth is not None and auth.type == "digest" else {}
    try:
        creds = digest.DigestCredentials(
            username=params["username"], realm=params["realm"], nonce=params["nonce"],
            uri=params["uri"], response=params["response"], qop=params.get("qop"),
            nc=params.get("nc"), cnonce=params.get("cnonce"), algorithm=params.get("algorithm"))
    except KeyError:
        raise problems.authentication_failed() from None
    throttle = login_guard(creds.username)
    _throttled(throttle.check)
    user = accounts.find_user(creds.username)
    try:
        ok = digest.verify(creds, method=request.method, path=request.path,
                           stored_ha1=user.digest_ha1 if user else None,
                           secret=current_app.config["SECRET_KEY"])
    except digest.StaleNonce:
        # The answer was right, only the nonce is old: Collect retries; not a failed login.
        g.digest_stale = True
        raise problems.authentication_failed() from None
    if not ok or user is None:
        throttle.failed()
        raise problems.authentication_failed()
    throttle.succeeded()
    principal = principal_for(user.actor)
    if principal is None:
        raise problems.authentication_failed()
    return principal


def _throttled(attempt):
    """Run a login step, turning the throttle's refusal into 429 with Retry-After."""
    try:
        return attempt()
    except LoginThrottled as throttled:
        raise problems.too_many_attempts(throttled.retry_after) from None


def _key_principal(token: str) -> Principal:
    """A token in the URL: an app user's token or a session token. Bad ones are 403, as in
    Central, because Collect treats 401 as a prompt for credentials it does not have."""
    app_user = _app_user_by_token(accounts.hash_token(token))
    actor = app_user.actor if app_user else accounts.session_actor(token)
    principal = principal_for(actor) if actor else None
    if principal is None:
        raise problems.insufficient_rights()
    return principal


def _app_user_statement() -> Select:
    app_users, actors = AppUser.__table__, Actor.__table__
    return select(app_users, actors).join(actors, actors.c.id == app_users.c.actor_id).where(
        app_users.c.token_hash == bindparam("token_hash"))


_APP_USER_BY_TOKEN = _app_user_statement()


def _app_user_by_token(token_hash: str) -> AppUser | None:
    """The app user and its actor in one Core query (every Collect request makes it), put
    into the session as loaded rows: no ORM query machinery on the hot path."""
    row = db.session.execute(_APP_USER_BY_TOKEN, {"token_hash": token_hash}).first()
    if row is None:
        return None
    values = row._mapping
    actor = _attach(Actor, {c.key: values[c] for c in Actor.__table__.c})
    return _attach(AppUser, {**{c.key: values[c] for c in AppUser.__table__.c},
                             "actor": actor})


def _attach(model, values: dict):
    """A persistent, clean instance for a row just read: the session's own if it has one."""
    mapper = sa_inspect(model)
    key = mapper.identity_key_from_primary_key([values[c.key] for c in mapper.primary_key])
    existing = db.session.identity_map.get(key)
    if existing is not None:
        return existing
    instance = model(**values)
    make_transient_to_detached(instance)
    db.session.add(instance)
    return instance


def require(verb: str, project_id: int | None = None) -> Principal:
    """The caller if it may do `verb` (on `project_id`); 401 anonymous, 403 otherwise."""
    principal = current_principal()
    assert principal is not None
    if not principal.can(verb, project_id):
        raise problems.insufficient_rights()
    return principal


def require_form(verb: str, project_id: int, form_id: int) -> Principal:
    principal = current_principal()
    assert principal is not None
    if not principal.can_form(verb, project_id, form_id):
        raise problems.insufficient_rights()
    return principal
