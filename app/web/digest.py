"""HTTP Digest authentication (RFC 2617: MD5, qop=auth) with stateless nonces.

ODK Collect keeps no cookies and reuses a nonce with an incrementing `nc`, so a nonce is the
time it was issued plus an HMAC of that time under SECRET_KEY: any server process can check
it, and an old one is answered with `stale=true` so Collect retries without asking the user.
`nc` is not tracked (no server state); replay within the nonce lifetime is the accepted risk.
"""
from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from urllib.parse import unquote

from app.services.accounts import DIGEST_REALM as REALM

NONCE_LIFETIME_SECONDS = 600


def make_nonce(secret: str, now: float | None = None) -> str:
    issued = str(int(now if now is not None else time.time()))
    return f"{issued}.{_sign(secret, issued)}"


def nonce_age(secret: str, nonce: str, now: float | None = None) -> float | None:
    """Seconds since the nonce was issued, or None when it is not one of ours."""
    issued, _, signature = nonce.partition(".")
    if not issued.isdigit() or not hmac.compare_digest(signature, _sign(secret, issued)):
        return None
    return (now if now is not None else time.time()) - int(issued)


def challenge(secret: str, *, stale: bool = False) -> str:
    """The `WWW-Authenticate: Digest ...` value."""
    return (f'Digest realm="{REALM}", qop="auth", algorithm=MD5, '
            f'nonce="{make_nonce(secret)}", opaque="{_sign(secret, "opaque")[:32]}"'
            + (", stale=true" if stale else ""))


@dataclass(frozen=True)
class DigestCredentials:
    username: str
    realm: str
    nonce: str
    uri: str
    response: str
    qop: str | None
    nc: str | None
    cnonce: str | None
    algorithm: str | None


class StaleNonce(Exception):
    """A well-formed, once-valid nonce that is too old: re-challenge with stale=true."""


def verify(creds: DigestCredentials, *, method: str, path: str, stored_ha1: str | None,
           secret: str, now: float | None = None) -> bool:
    """True when the response matches; StaleNonce when only the nonce's age is wrong."""
    if stored_ha1 is None or creds.realm != REALM:
        return False
    if creds.algorithm and creds.algorithm.upper() != "MD5":
        return False
    # The uri is as sent (percent-encoded, with the query); `path` is Flask's decoded path.
    if unquote(creds.uri.split("?", 1)[0]) != path:
        return False
    age = nonce_age(secret, creds.nonce, now)
    if age is None or age < -60:
        return False
    ha2 = hashlib.md5(f"{method}:{creds.uri}".encode()).hexdigest()
    if creds.qop == "auth":
        if not creds.nc or not creds.cnonce:
            return False
        raw = f"{stored_ha1}:{creds.nonce}:{creds.nc}:{creds.cnonce}:auth:{ha2}"
    elif creds.qop is None:
        raw = f"{stored_ha1}:{creds.nonce}:{ha2}"
    else:
        return False
    if not hmac.compare_digest(hashlib.md5(raw.encode()).hexdigest(), creds.response.lower()):
        return False
    if age > NONCE_LIFETIME_SECONDS:
        raise StaleNonce()
    return True


def _sign(secret: str, value: str) -> str:
    return hmac.new(secret.encode(), value.encode(), hashlib.sha256).hexdigest()[:40]
