"""HTTP to the central server, made for bad links: bounded waits, retries with exponential
back-off and full jitter, TLS verification on unless a peer was paired with it off.

A request is retried when the connection fails or is cut (before or during the answer, its
header block included: an answer that is not framed by a Content-Length or chunked encoding
was cut), on a timeout, and on 408/429/5xx (honouring Retry-After); it is never retried on
another 4xx, which says what is wrong with the request itself. Answers are read whole inside
the retry loop, so an answer cut halfway is retried too. Every request the sync makes is
idempotent on the server (a retried batch, chunk or OpenRosa POST stores nothing twice),
which is what makes retrying safe.
"""
from __future__ import annotations

import gzip
import json
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests

log = logging.getLogger(__name__)
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
USER_AGENT = "DataShift-Collect-sync/1"


class WireError(Exception):
    """A request that did not succeed; `status` is the HTTP status when there was one."""

    def __init__(self, message: str, status: int | None = None, body: Any = None):
        super().__init__(message)
        self.status = status
        self.body = body

    @property
    def code(self) -> Any:
        return self.body.get("code") if isinstance(self.body, dict) else None


class Unreachable(WireError):
    """The server could not be reached or kept failing after every retry."""


class Refused(WireError):
    """401/403: the credential is wrong, revoked, or lacks the right (no point retrying)."""


@dataclass(frozen=True)
class WireOptions:
    verify_tls: bool = True
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    retries: int = 8
    backoff: float = 0.5
    backoff_max: float = 60.0


class Credentials:
    """How requests authenticate: a bearer token, or an email and password (a real ODK
    Central), for which a session is opened with `POST /v1/sessions` and renewed on 401."""

    def __init__(self, *, token: str | None = None, email: str | None = None,
                 password: str | None = None):
        if not token and not (email and password):
            raise ValueError("a token, or an email and a password")
        self.token, self.email, self.password = token, email, password
        self._session_token: str | None = None

    def header(self, wire: Wire) -> str:
        if self.token:
            return f"Bearer {self.token}"
        if self._session_token is None:
            answer = wire.call("POST", "/v1/sessions", json_body={
                "email": self.email, "password": self.password}, authenticate=False)
            self._session_token = answer.json()["token"]
        return f"Bearer {self._session_token}"

    def expired(self) -> bool:
        """After a 401: True when a fresh session may help (password credentials)."""
        if self.token or self._session_token is None:
            return False
        self._session_token = None
        return True


class Wire:
    """Requests to one server (`base_url`: scheme, host and port, no path)."""

    def __init__(self, base_url: str, credentials: Credentials | None,
                 options: WireOptions | None = None, *,
                 sleep: Callable[[float], None] = time.sleep,
                 jitter: Callable[[], float] = random.random,
                 session: requests.Session | None = None):
        self.base_url = base_url.rstrip("/")
        self.credentials = credentials
        self.options = options or WireOptions()
        self.sleep = sleep
        self.jitter = jitter
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        self.retried = 0  # requests retried so far (status and figures)

    def call(self, method: str, path: str, *, json_body: Any = None, data: bytes | None = None,
             files: Any = None, headers: Mapping[str, str] | None = None, gzip_body: bool = False,
             params: Mapping[str, Any] | None = None, ok: tuple[int, ...] = (200, 201),
             authenticate: bool = True, timeout: float | None = None) -> requests.Response:
        """One request, retried as the module says; returns a response whose status is in
        `ok` (its body read), else raises Refused, WireError or Unreachable."""
        extra = dict(headers or {})
        body = data
        if json_body is not None:
            body = json.dumps(json_body, separators=(",", ":")).encode()
            extra["Content-Type"] = "application/json"
        if gzip_body and body is not None:
            body = gzip.compress(body, compresslevel=6)
            extra["Content-Encoding"] = "gzip"
        url = self.base_url + path
        renewed = False
        attempt = 0
        while True:
            attempt += 1
            request_headers = dict(extra)
            if authenticate and self.credentials is not None:
                request_headers["Authorization"] = self.credentials.header(self)
            try:
                response = self.session.request(
                    method, url, data=body, files=files, headers=request_headers,
                    params=params, verify=self.options.verify_tls,
                    timeout=(self.options.connect_timeout, timeout or self.options.read_timeout))
                _ = response.content  # read the whole answer here: a cut answer is retried
                if _unframed(response):
                    raise requests.exceptions.ConnectionError(
                        "the answer was cut in its headers (no Content-Length, not chunked)")
            except requests.exceptions.SSLError as error:
                # A certificate that does not verify will not verify on a retry either.
                raise Unreachable(f"TLS verification failed for {url}: {error}") from None
            except requests.RequestException as error:
                if attempt > self.options.retries:
                    raise Unreachable(f"{method} {url}: {error.__class__.__name__}: "
                                      f"{error}") from None
                self._pause(attempt, None, f"{error.__class__.__name__}")
                continue
            if response.status_code in ok:
                return response
            if response.status_code == 401 and authenticate and not renewed \
                    and self.credentials is not None and self.credentials.expired():
                renewed = True
                continue
            if response.status_code in (401, 403):
                raise Refused(f"{method} {url}: {response.status_code} "
                              f"{_message(response)}", response.status_code, _body(response))
            if response.status_code in RETRY_STATUSES and attempt <= self.options.retries:
                self._pause(attempt, response.headers.get("Retry-After"),
                            f"HTTP {response.status_code}")
                continue
            error_class = Unreachable if response.status_code in RETRY_STATUSES else WireError
            raise error_class(f"{method} {url}: {response.status_code} {_message(response)}",
                              response.status_code, _body(response))

    def _pause(self, attempt: int, retry_after: str | None, why: str) -> None:
        """Exponential back-off with full jitter (so offices that lost the line together do
        not come back together); a server's Retry-After is honoured as a floor."""
        self.retried += 1
        ceiling = min(self.options.backoff_max, self.options.backoff * 2 ** (attempt - 1))
        delay = ceiling * self.jitter()
        if retry_after and retry_after.isdigit():
            delay = max(delay, min(float(retry_after), self.options.backoff_max))
        log.info("sync retry %s after %s in %.2fs", attempt, why, delay)
        self.sleep(delay)


def _unframed(response: requests.Response) -> bool:
    """An answer with a body but neither a Content-Length nor chunked encoding: a cut inside
    its header block (http.client takes the cut for the end of the headers, and the close
    for the end of an empty body). Central and our servers frame every answer."""
    if response.request.method == "HEAD" or response.status_code in (204, 304) \
            or response.status_code < 200:
        return False
    headers = response.headers
    return "Content-Length" not in headers and \
        "chunked" not in headers.get("Transfer-Encoding", "").lower()


def _body(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text[:500]


def _message(response: requests.Response) -> str:
    body = _body(response)
    if isinstance(body, dict):
        return str(body.get("message") or body)[:300]
    return str(body)[:300]
