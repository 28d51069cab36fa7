"""Who is calling: bearer sessions, HTTPS Basic and HTTP Digest; one place for access checks."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app, g, request
from sqlalchemy import Select, bindparam, case, delete, literal, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import make_transient_to_detached

from app import problems
from app.extensions import db
from app.models import Actor, AppUser, LoginAttempt
from app.models.base import UTCDateTime, utcnow
from app.services import accounts
from app.services.permissions import Principal, principal_for


def is_https() -> bool:
    """HTTPS directly, or as told by a proxy the operator trusts (TRUSTED_PROXY)."""
    if request.scheme == "https":
        return True
    return bool(current_app.config.get("TRUSTED_PROXY")) and \
        request.headers.get("X-Forwarded-Proto", "").lower() == "https"


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
        actor = accounts.session_actor(credentials.strip())
        principal = principal_for(actor) if actor else None
        if principal is None:
            raise problems.authentication_failed()
    elif scheme.lower() == "basic" and credentials:
        if not is_https():
            raise problems.https_only()
        auth = request.authorization
        username = (auth.username or "") if auth else ""
        throttle = _Throttle(username)
        user = accounts.find_user(username) if auth else None
        if user is None or not accounts.check_password(user, auth.password or ""):
            throttle.failed()
            raise problems.authentication_failed()
        throttle.succeeded()
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
    throttle = _Throttle(creds.username)
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


class _Throttle:
    """Failed-login throttling for Basic and Digest, sharing the rows (and limits) that
    `POST /v1/sessions` keeps per account and per address (`accounts.authenticate`).

    Constructed before the password is checked: refuses with 429 while either key is locked
    out. Failures are counted in their own transaction (the request's is rolled back on 401);
    a success clears the account's count only when there is one, so a good login writes
    nothing."""

    def __init__(self, email: str):
        config = current_app.config
        self.max_failures = int(config["LOGIN_MAX_FAILURES"])
        self.lockout = int(config["LOGIN_LOCKOUT_SECONDS"])
        self.keys = [f"email:{email.strip().lower()}", f"addr:{request.remote_addr or '-'}"]
        self.now = utcnow()
        self.account_counted = False
        for key, failures, first in db.session.execute(
                select(LoginAttempt.key, LoginAttempt.failures, LoginAttempt.first_failure_at)
                .where(LoginAttempt.key.in_(self.keys))):
            age = (self.now - first).total_seconds()
            if age >= self.lockout:
                continue  # an old count: failed() starts it again
            self.account_counted |= key == self.keys[0]
            if failures >= self.max_failures:
                raise problems.too_many_attempts(int(self.lockout - age) + 1)

    def failed(self) -> None:
        table = LoginAttempt.__table__
        insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
        now = literal(self.now, UTCDateTime())
        fresh = table.c.first_failure_at <= literal(
            self.now - timedelta(seconds=self.lockout), UTCDateTime())
        statement = insert(table).values(
            [{"key": key, "failures": 1, "first_failure_at": self.now} for key in self.keys])
        statement = statement.on_conflict_do_update(index_elements=["key"], set_={
            "failures": case((fresh, 1), else_=table.c.failures + 1),
            "first_failure_at": case((fresh, now), else_=table.c.first_failure_at)})
        with db.engine.begin() as connection:
            connection.execute(statement)

    def succeeded(self) -> None:
        if self.account_counted:
            with db.engine.begin() as connection:
                connection.execute(delete(LoginAttempt).where(LoginAttempt.key == self.keys[0]))


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
