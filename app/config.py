"""Configuration from the environment (12-factor), with embedded defaults for a first run."""
from __future__ import annotations

import os
from pathlib import Path

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


def _proxies(raw: str) -> int:
    raw = raw.strip().lower()
    if raw in ("true", "yes", "on"):
        return 1
    return int(raw) if raw.isdigit() else 0


def sqlalchemy_url(url: str) -> str:
    """Operators write postgresql://; we drive PostgreSQL with psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def from_environment() -> dict:
    """Read the settings an operator may set; unset ones fall back to the embedded default."""
    instance = Path(os.environ.get("INSTANCE_DIR", INSTANCE_DIR))
    return {
        "SQLALCHEMY_DATABASE_URI": sqlalchemy_url(
            os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'datashift.sqlite3'}"
        ),
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        "STORAGE_DIR": os.environ.get("STORAGE_DIR") or str(instance / "storage"),
        "SECRET_KEY": os.environ.get("SECRET_KEY") or _dev_secret(instance),
        "PHONE_HASH_KEY": os.environ.get("PHONE_HASH_KEY") or None,
        "PUBLIC_URL": (os.environ.get("PUBLIC_URL") or "http://127.0.0.1:5000").rstrip("/"),
        "MAX_SUBMISSION_BYTES": _int("MAX_SUBMISSION_BYTES", 100 * 1024 * 1024),
        "MAX_FORM_UPLOAD_BYTES": _int("MAX_FORM_UPLOAD_BYTES", 50 * 1024 * 1024),
        "SESSION_LIFETIME_SECONDS": _int("SESSION_LIFETIME_SECONDS", 24 * 3600),
        # Login throttling (app/services/login_throttle.py), per account + address (+ Collect
        # device): back-off from LOGIN_MAX_FAILURES failures, LOGIN_LOCKOUT_SECONDS doubling up
        # to LOGIN_LOCKOUT_MAX_SECONDS; an address with LOGIN_ADDRESS_MAX_FAILURES failures in
        # LOGIN_LOCKOUT_SECONDS is refused for the rest of that window.
        "LOGIN_MAX_FAILURES": _int("LOGIN_MAX_FAILURES", 5),
        "LOGIN_LOCKOUT_SECONDS": _int("LOGIN_LOCKOUT_SECONDS", 300),
        "LOGIN_LOCKOUT_MAX_SECONDS": _int("LOGIN_LOCKOUT_MAX_SECONDS", 3600),
        "LOGIN_ADDRESS_MAX_FAILURES": _int("LOGIN_ADDRESS_MAX_FAILURES", 50),
        # How many reverse proxies stand in front (X-Forwarded-For/-Proto, Werkzeug ProxyFix);
        # "true"/"yes" mean 1, as the setting was once a switch.
        "TRUSTED_PROXY": _proxies(os.environ.get("TRUSTED_PROXY", "")),
        # Slow clients (app/serving/worker.py): headers, and bodies under UPLOAD_MIN_RATE x
        # REQUEST_TIMEOUT bytes, must arrive within REQUEST_TIMEOUT seconds; larger bodies must
        # keep arriving at UPLOAD_MIN_RATE bytes/s on average (2G sends several KB/s).
        "REQUEST_TIMEOUT": _int("REQUEST_TIMEOUT", 60),
        "UPLOAD_MIN_RATE": _int("UPLOAD_MIN_RATE", 1024),
        # Poison submissions (app/pipeline/poison.py): a worker's address space is capped at
        # its size at start + PIPELINE_JOB_MEMORY_MB (0: no cap); each version's cleaning and
        # tagging may use PIPELINE_VERSION_CPU_SECONDS of CPU (0: no limit).
        "PIPELINE_JOB_MEMORY_MB": _int("PIPELINE_JOB_MEMORY_MB", 1024),
        "PIPELINE_VERSION_CPU_SECONDS": _int("PIPELINE_VERSION_CPU_SECONDS", 60),
        # SMS cost safety (app/services/sms_throttle.py): texts per minute one number may send
        # (and be sent) on a channel, and a whole channel; over them inbound is stored, not
        # answered (a "slow down" once), outbound stored as throttled, not sent. 0: no limit.
        "SMS_NUMBER_PER_MINUTE": _int("SMS_NUMBER_PER_MINUTE", 20),
        "SMS_CHANNEL_PER_MINUTE": _int("SMS_CHANNEL_PER_MINUTE", 6000),
        "ODK_VALIDATE": os.environ.get("ODK_VALIDATE", "1") not in ("0", "false", "no"),
        # Seconds a process keeps an indicator's suppressed public tables before recomputing.
        "INDICATOR_CACHE_SECONDS": _int("INDICATOR_CACHE_SECONDS", 60),
    }


def _dev_secret(instance: Path) -> str:
    """A per-install random key, kept under instance/, so a first run needs no configuration."""
    key_file = instance / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    import secrets

    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key
