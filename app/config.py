"""Every setting, declared once: its name, default and meaning (12-factor, from the environment).

`SETTINGS` is the one list; `from_environment()` reads it into the app's config (tests and
benches override keys in `create_app(config)`), `setting(name)` reads one back, typed. The
README's configuration table is this list (tests/test_settings.py checks it).
"""
from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"
MIB = 1024 * 1024


def _flag(raw: str) -> bool:
    return raw.strip().lower() in ("1", "true", "yes", "on")


def _ints(raw: str) -> list[int]:
    return [int(part) for part in raw.split(",") if part.strip()]


def _floats(raw: str) -> list[float]:
    return [float(part) for part in raw.split(",") if part.strip()]


def _proxies(raw: str) -> int:
    """A count of proxies; "true"/"yes" mean 1, as the setting was once a switch."""
    raw = raw.strip().lower()
    if raw in ("true", "yes", "on"):
        return 1
    return int(raw) if raw.isdigit() else 0


def parse_networks(raw: str | None) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """Comma-separated CIDRs (or single addresses); ValueError names the bad one."""
    networks = []
    for item in (raw or "").split(","):
        if item.strip():
            try:
                networks.append(ipaddress.ip_network(item.strip(), strict=False))
            except ValueError:
                raise ValueError(f"WEBHOOK_ALLOW_NETWORKS: {item.strip()!r} is not an IP "
                                 "network such as 10.20.0.0/16 or fd00:1::/64") from None
    return tuple(networks)


def _url(raw: str) -> str:
    return raw.rstrip("/")


@dataclass(frozen=True)
class Setting:
    """One environment variable: `key` is its name in app.config (the same, but for
    DATABASE_URL); `default` is typed (a callable: computed from the instance directory)."""

    name: str
    default: Any
    shown_default: str
    meaning: str
    parse: Callable[[str], Any] = str
    key: str = ""

    def __post_init__(self) -> None:
        if not self.key:
            object.__setattr__(self, "key", self.name)


SETTINGS: tuple[Setting, ...] = (
    Setting("DATABASE_URL", lambda i: f"sqlite:///{i / 'datashift.sqlite3'}",
            "`sqlite:///instance/datashift.sqlite3`",
            "`postgresql://user@host/db` in production", key="SQLALCHEMY_DATABASE_URI"),
    Setting("REDIS_URL", None, "unset",
            "RQ queues; unset runs the pipeline, SMS sends and webhooks inline after each commit"),
    Setting("STORAGE_DIR", lambda i: str(i / "storage"), "`instance/storage`",
            "attachments and form media, content-addressed, fsynced"),
    Setting("INSTANCE_DIR", lambda i: str(i), "`instance/`",
            "where the embedded defaults live (SQLite file, storage, generated secret key)"),
    Setting("SECRET_KEY", lambda i: _dev_secret(i), "random, kept in `instance/secret_key`",
            "signs Digest nonces, derives encryption keys"),
    Setting("PHONE_HASH_KEY", None, "unset",
            "key of the HMAC that pseudonymises citizens' phone numbers (else `SECRET_KEY`)"),
    Setting("PUBLIC_URL", lambda i: default_public_url(), "`http://SERVE_HOST:SERVE_PORT`",
            "the URL clients see (Collect URLs, webhooks, Twilio signatures, the web app's "
            "cookie security)", _url),
    Setting("SERVE_HOST", "127.0.0.1", "`127.0.0.1`",
            "where `make run` listens (`HOST=` on its command line); `0.0.0.0` makes the "
            "default `PUBLIC_URL` this machine's LAN address"),
    Setting("SERVE_PORT", 5000, "`5000`", "`make run`'s port (`PORT=`)", int),
    Setting("MAX_SUBMISSION_BYTES", 100 * MIB, "100 MiB",
            "larger submissions are refused with 413 before they are read", int),
    Setting("MAX_FORM_UPLOAD_BYTES", 50 * MIB, "50 MiB",
            "larger form uploads are refused with 413", int),
    Setting("SESSION_LIFETIME_SECONDS", 24 * 3600, "86400",
            "how long a `POST /v1/sessions` bearer token lives", int),
    # Login throttling (app/services/login_throttle.py), per account + address (+ Collect
    # device): back-off from LOGIN_MAX_FAILURES failures, LOGIN_LOCKOUT_SECONDS doubling up
    # to LOGIN_LOCKOUT_MAX_SECONDS; an address with LOGIN_ADDRESS_MAX_FAILURES failures in
    # LOGIN_LOCKOUT_SECONDS is refused for the rest of that window.
    Setting("TRUSTED_PROXY", 0, "0",
            "how many reverse proxies stand in front: the client address and https come from "
            "their `X-Forwarded-For`/`-Proto` (`1`/`true`: one)", _proxies),
    Setting("LOGIN_MAX_FAILURES", 5, "5",
            "failed logins of one account from one address (and Collect device) before it "
            "backs off", int),
    Setting("LOGIN_LOCKOUT_SECONDS", 300, "300",
            "the first back-off, doubling at each further failure; also the per-address window",
            int),
    Setting("LOGIN_LOCKOUT_MAX_SECONDS", 3600, "3600", "the longest back-off", int),
    Setting("LOGIN_ADDRESS_MAX_FAILURES", 50, "50",
            "failed logins from one address (any account) in `LOGIN_LOCKOUT_SECONDS` before it "
            "is refused", int),
    # Slow clients (app/serving/worker.py): headers, and bodies under UPLOAD_MIN_RATE x
    # REQUEST_TIMEOUT bytes, must arrive within REQUEST_TIMEOUT seconds; larger bodies must
    # keep arriving at UPLOAD_MIN_RATE bytes/s on average (2G sends several KB/s).
    Setting("REQUEST_TIMEOUT", 60, "60",
            "seconds a request's headers (and a body under `UPLOAD_MIN_RATE` × this) may take to "
            "arrive; also bounds each send of a response", int),
    Setting("UPLOAD_MIN_RATE", 1024, "1024",
            "bytes/s a longer upload must average from its start; slower ones get 408", int),
    # Poison submissions (app/pipeline/poison.py): a worker's address space is capped at its
    # size at start + PIPELINE_JOB_MEMORY_MB; each version's cleaning and tagging may use
    # PIPELINE_VERSION_CPU_SECONDS of CPU.
    Setting("PIPELINE_JOB_MEMORY_MB", 1024, "1024",
            "memory a pipeline worker may grow by over its size at start (its address space is "
            "capped there; 0: no cap)", int),
    Setting("PIPELINE_VERSION_CPU_SECONDS", 60, "60",
            "CPU seconds one submission version's cleaning and tagging may use (0: no limit)",
            float),
    # SMS cost safety: over these, inbound is stored, not answered (a "slow down" once), and
    # outbound stored as throttled, not sent.
    Setting("SMS_NUMBER_PER_MINUTE", 20, "20",
            "texts one number may send a channel a minute (and be sent: twice that); more are "
            "stored, not answered (0: no limit)", int),
    Setting("SMS_CHANNEL_PER_MINUTE", 6000, "6000",
            "texts a channel takes (and sends) a minute; more are stored, not answered "
            "(0: no limit)", int),
    Setting("ODK_VALIDATE", True, "on", "run ODK Validate when Java is present", _flag),
    Setting("INDICATOR_CACHE_SECONDS", 60, "60",
            "seconds a process reuses an indicator's suppressed public tables", int),
    Setting("QUEUE_PREFIX", "datashift", "`datashift`",
            "names every RQ queue (`{prefix}-sms`, `-pipeline`, `-bulk`, `-exports`, `-sync`) and "
            "job id, so several installs share a Redis"),
    Setting("PIPELINE_BATCH", 100, "100",
            "outbox rows a pipeline drain job takes in one transaction", int),
    Setting("PIPELINE_MAX_RETRIES", 3, "3",
            "retries of a submission whose cleaning or tagging failed", int),
    Setting("PIPELINE_RETRY_INTERVALS", [10, 60, 300], "`10,60,300`",
            "seconds between those retries", _ints),
    Setting("DATABASE_PING_IDLE_SECONDS", 5.0, "5",
            "a pooled PostgreSQL connection idle this long is pinged before use (a restart or "
            "a proxy's idle timeout may have closed it); busy ones are not", float),
    Setting("PIPELINE_SWEEP_SECONDS", 60, "60",
            "how often a worker re-sends outbox rows Redis lost and re-tags stale ones", int),
    Setting("ERASURE_CONFIRM_SECONDS", 3600, "3600",
            "seconds a citizen's DELETE waits for their yes; later, nothing is erased", int),
    Setting("TWILIO_MEDIA_PREFIXES", ("https://api.twilio.com/",), "`https://api.twilio.com/`",
            "where WhatsApp photos and voice notes may be downloaded from (comma-separated URL "
            "prefixes)", lambda raw: tuple(p.strip() for p in raw.split(",") if p.strip())),
    Setting("SMS_COST_MAX_STEPS", 20_000, "20000",
            "engine steps the cost of a survey (`.../sms-cost`) may take over its paths; past "
            "it the figures say `exhaustive: false`", int),
    Setting("SMS_ENGINE", "sms_flows.engine", "`sms_flows.engine`",
            "the conversation engine (`module` or `module:attribute`)"),
    Setting("SMS_RETRY_INTERVALS", [10, 60, 300], "`10,60,300`",
            "seconds between retries of an SMS the provider surely did not take", _ints),
    Setting("SMS_INLINE_RETRY_DELAYS", [0.5, 2.0, 5.0], "`0.5,2,5`",
            "without Redis: pauses between the retries of an SMS sent in the request", _floats),
    Setting("WEBHOOK_TIMEOUT", 10.0, "10",
            "seconds a webhook receiver has to answer", float),
    Setting("WEBHOOK_RETRY_INTERVALS", [10, 60, 300, 1800, 7200], "`10,60,300,1800,7200`",
            "seconds between retries of a failed webhook delivery", _ints),
    Setting("WEBHOOK_ALLOW_NETWORKS", (), "empty",
            "comma-separated CIDRs webhooks may reach although not public (e.g. "
            "`10.20.0.0/16`); a bad one stops the server at start-up", parse_networks),
    Setting("EXPORT_ASYNC_ROWS", 50_000, "50000",
            "exports of more submissions run as a background job (202); 0: never on our own",
            int),
    Setting("EXPORT_FILE_TTL_SECONDS", 86_400, "86400",
            "finished background exports (file and job) are removed this long after", int),
    Setting("EXPORT_PROGRESS_ROWS", 5_000, "5000",
            "a background export writes its progress every this many rows", int),
    Setting("EXPORT_JOB_TIMEOUT", 7_200, "7200", "seconds an RQ worker lets one export run",
            int),
    Setting("SYNC_EVERY_SECONDS", 600, "600",
            "how often `flask worker` syncs a field office with every paired central server; "
            "0: never on its own", int),
    Setting("SYNC_BATCH_ITEMS", 50, "50", "at most this many submission versions per sync batch",
            int),
    Setting("SYNC_BATCH_BYTES", 256 * 1024, "256 KiB",
            "a sync batch's first size (uncompressed); then sized by the link's measured rate",
            int),
    Setting("SYNC_CHUNK_BYTES", 64 * 1024, "64 KiB",
            "an upload chunk's first size (~5 s at 100 kbit/s); then sized by the link's "
            "measured rate", int),
    Setting("SYNC_MAX_CHUNK_BYTES", 4 * MIB, "4 MiB",
            "the largest chunk a field office sends (a central server takes twice this)", int),
    Setting("SYNC_TARGET_SECONDS", 10, "10",
            "sync requests are sized to take about half this on the measured link", int),
    Setting("SYNC_TIMEOUT_SECONDS", 60, "60",
            "seconds a field office waits for an answer before trying again", int),
    Setting("SYNC_RETRIES", 8, "8",
            "retries of one sync request (exponential back-off, full jitter) before a run stops",
            int),
    Setting("SYNC_BACKOFF_SECONDS", 0.5, "0.5",
            "the first back-off ceiling of a sync retry, doubling per retry up to 60 s", float),
    Setting("SYNC_UPLOAD_TTL_SECONDS", 7 * 86_400, "604800",
            "a central server removes files half-uploaded by a field office untouched this long",
            int),
)
_BY_KEY = {s.key: s for s in SETTINGS}


def sqlalchemy_url(url: str) -> str:
    """Operators write postgresql://; we drive PostgreSQL with psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def default_public_url() -> str:
    """http://SERVE_HOST:SERVE_PORT; on 0.0.0.0 (every interface) the machine's LAN address,
    so ODK Collect and the web app on a phone on the same network can reach it."""
    host = os.environ.get("SERVE_HOST") or "127.0.0.1"
    if host in ("0.0.0.0", "::"):
        host = lan_address()
    port = os.environ.get("SERVE_PORT") or "5000"
    return f"http://{host}:{int(port)}"


def lan_address() -> str:
    """This machine's first non-loopback IPv4 address (from its own interface list; nothing
    is sent anywhere), or 127.0.0.1 when it has none."""
    import socket
    import subprocess

    candidates: list[str] = []
    try:
        out = subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=2)
        candidates += out.stdout.split()
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        candidates += [info[4][0] for info in socket.getaddrinfo(
            socket.gethostname(), None, socket.AF_INET)]
    except OSError:
        pass
    for address in candidates:
        if "." in address and not address.startswith("127."):
            return address
    return "127.0.0.1"


def instance_dir() -> Path:
    """INSTANCE_DIR from the environment (read before the app exists: the CLI's demo)."""
    return Path(os.environ.get("INSTANCE_DIR") or INSTANCE_DIR)


def from_environment() -> dict[str, Any]:
    """Every setting from the environment; unset ones fall back to the embedded default."""
    instance = instance_dir()
    out: dict[str, Any] = {}
    for s in SETTINGS:
        raw = os.environ.get(s.name)
        if raw:
            out[s.key] = s.parse(raw)
        else:
            out[s.key] = s.default(instance) if callable(s.default) else s.default
    out["SQLALCHEMY_DATABASE_URI"] = sqlalchemy_url(out["SQLALCHEMY_DATABASE_URI"])
    return out


def setting(key: str) -> Any:
    """The app's value of a declared setting, typed (a test may have set it as text)."""
    value = current_app.config.get(key)
    declared = _BY_KEY[key]
    if value is None or value == "":
        return declared.default if not callable(declared.default) else None
    if isinstance(value, str) and declared.parse is not str:
        return declared.parse(value)
    return value


def _dev_secret(instance: Path) -> str:
    """A per-install random key, kept under instance/, so a first run needs no configuration."""
    key_file = instance / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key
