"""Failed-login throttling, shared by every way in (sessions, HTTP Basic and Digest, the web
app's sign-in): per (account, address[, device]) with exponential back-off, plus a ceiling per
address.

Why not per account: anyone who knows an email could then lock its owner out, and behind a proxy
(every request from one address) five wrong passwords locked every user. Here a wrong password
only slows down the same account from the same place; the owner's correct password from elsewhere
still works. ODK Collect sends `?deviceID=`, so a phone with a stale password backs off alone and
the other phones of a field office behind one NAT address keep working. The per-address ceiling
bounds guessing across accounts from one address (LOGIN_ADDRESS_MAX_FAILURES per
LOGIN_LOCKOUT_SECONDS).

Rows in `login_attempts` (`key`, `failures`, `first_failure_at`):
- `pair:<sha256 of account|address|device>`: `first_failure_at` is the time of its *last*
  failure; from LOGIN_MAX_FAILURES on, it is locked for LOGIN_LOCKOUT_SECONDS x 2^(failures -
  LOGIN_MAX_FAILURES), at most LOGIN_LOCKOUT_MAX_SECONDS, from then; forgotten a day after;
- `addr:<address>`: failures in a window starting at `first_failure_at`, LOGIN_LOCKOUT_SECONDS
  long; locked for the rest of the window once it reaches LOGIN_ADDRESS_MAX_FAILURES.
Failures are counted in their own transaction (the caller's is usually rolled back on 401).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import case, delete, literal, select

from app import sql
from app.extensions import db
from app.models import LoginAttempt
from app.models.base import UTCDateTime, utcnow

FORGET_AFTER = timedelta(days=1)


class LoginThrottled(Exception):
    """Too many failures: refuse before looking at the password; retry after `retry_after` s."""

    def __init__(self, retry_after: int):
        super().__init__(f"retry after {retry_after}s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class ThrottleLimits:
    max_failures: int = 5
    lockout: int = 300
    max_lockout: int = 3600
    address_max_failures: int = 50

    @classmethod
    def from_config(cls, config) -> ThrottleLimits:
        return cls(int(config["LOGIN_MAX_FAILURES"]), int(config["LOGIN_LOCKOUT_SECONDS"]),
                   int(config["LOGIN_LOCKOUT_MAX_SECONDS"]),
                   int(config["LOGIN_ADDRESS_MAX_FAILURES"]))

    def backoff(self, failures: int) -> int:
        """Seconds a pair with this many failures is locked after its last one."""
        if failures < self.max_failures:
            return 0
        doublings = min(failures - self.max_failures, 30)
        return min(self.lockout * 2 ** doublings, self.max_lockout)


def pair_key(account: str, address: str, device: str | None = None) -> str:
    who = "\x1f".join((account.strip().lower(), address, device or ""))
    return "pair:" + hashlib.sha256(who.encode()).hexdigest()


class LoginGuard:
    """One login attempt: `check()` before the password, then `failed()` or `succeeded()`."""

    def __init__(self, account: str, address: str, device: str | None = None,
                 limits: ThrottleLimits | None = None):
        self.limits = limits or ThrottleLimits.from_config(current_app.config)
        self.pair = pair_key(account, address, device)
        self.address = f"addr:{address}"
        self.now = utcnow()
        self._pair_counted = False

    def check(self) -> None:
        """Raise LoginThrottled while the pair backs off or the address is over its ceiling."""
        rows = db.session.execute(
            select(LoginAttempt.key, LoginAttempt.failures, LoginAttempt.first_failure_at)
            .where(LoginAttempt.key.in_([self.pair, self.address]))).all()
        for key, failures, at in rows:
            if key == self.pair:
                if self.now - at >= FORGET_AFTER:
                    continue
                self._pair_counted = True
                wait = self.limits.backoff(failures) - (self.now - at).total_seconds()
            else:
                if failures < self.limits.address_max_failures:
                    continue
                wait = self.limits.lockout - (self.now - at).total_seconds()
            if wait > 0:
                raise LoginThrottled(int(wait) + 1)

    def failed(self) -> None:
        """Count a wrong password against the pair and the address (own transaction)."""
        table = LoginAttempt.__table__
        now = literal(self.now, UTCDateTime())
        at = table.c.first_failure_at
        forgotten = at <= literal(self.now - FORGET_AFTER, UTCDateTime())
        window_over = at <= literal(self.now - timedelta(seconds=self.limits.lockout),
                                    UTCDateTime())
        with db.engine.begin() as connection:
            connection.execute(sql.insert(table).values(
                key=self.pair, failures=1, first_failure_at=self.now).on_conflict_do_update(
                index_elements=["key"], set_={
                    "failures": case((forgotten, 1), else_=table.c.failures + 1),
                    "first_failure_at": now}))
            connection.execute(sql.insert(table).values(
                key=self.address, failures=1, first_failure_at=self.now).on_conflict_do_update(
                index_elements=["key"], set_={
                    "failures": case((window_over, 1), else_=table.c.failures + 1),
                    "first_failure_at": case((window_over, now), else_=at)}))

    def succeeded(self) -> None:
        """A right password clears its pair's count (writes nothing when there is none)."""
        if self._pair_counted:
            with db.engine.begin() as connection:
                connection.execute(delete(LoginAttempt).where(LoginAttempt.key == self.pair))

