"""Secrets that travel in URLs, kept out of logs: Collect's app-user tokens (/v1/key/<token>/),
session tokens (DELETE /v1/sessions/<token>) and any `token`/`st`/`access_token` query value."""
from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"
_PATTERNS = (
    (re.compile(r"(/v1/key/)[^/?#\s\"]+"), rf"\g<1>{REDACTED}"),
    (re.compile(r"(/v1/sessions/)[^/?#\s\"]+"), rf"\g<1>{REDACTED}"),
    (re.compile(r"([?&](?:token|st|access_token)=)[^&#\s\"]*", re.I), rf"\g<1>{REDACTED}"),
)


def redact(text: str) -> str:
    """The text with every token in a URL replaced by [redacted]."""
    if "/v1/" not in text and "=" not in text:
        return text
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that redacts URL tokens in a record's message and arguments (the
    development server's access log, `werkzeug`, passes the request line as an argument)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


def install(logger_names: tuple[str, ...] = ("werkzeug",)) -> None:
    """Redact on these loggers (idempotent)."""
    for name in logger_names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())
