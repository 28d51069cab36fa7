"""gunicorn's logger with URL tokens redacted from the access log (gunicorn.conf.py's
`logger_class`); error-log lines pass through the same filter."""
from __future__ import annotations

import re

from gunicorn.glogging import Logger

from app.serving.redact import REDACTED, RedactingFilter, redact

_SECRET = frozenset({"{authorization}i", "{http_authorization}e", "{cookie}i", "{http_cookie}e"})
_ATOM = re.compile(r"%\(([^)]+)\)")


class RedactingLogger(Logger):
    def setup(self, cfg) -> None:
        super().setup(cfg)
        self.error_log.addFilter(RedactingFilter())
        # Only the atoms the access-log format prints are redacted (gunicorn gathers every
        # header and environ variable; redacting them all was most of a log line's cost).
        self._printed: frozenset[str] = frozenset(
            name.lower() if name.startswith("{") else name
            for name in _ATOM.findall(cfg.access_log_format or ""))

    def atoms(self, resp, req, environ, request_time) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        for key in self._printed.intersection(atoms):
            if key in _SECRET:
                atoms[key] = REDACTED
            elif isinstance(atoms[key], str):
                atoms[key] = redact(atoms[key])
        return atoms
