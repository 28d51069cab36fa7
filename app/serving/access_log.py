"""gunicorn's logger with URL tokens redacted from the access log (gunicorn.conf.py's
`logger_class`); error-log lines pass through the same filter."""
from __future__ import annotations

from gunicorn.glogging import Logger

from app.serving.redact import REDACTED, RedactingFilter, redact


class RedactingLogger(Logger):
    def setup(self, cfg) -> None:
        super().setup(cfg)
        self.error_log.addFilter(RedactingFilter())

    def atoms(self, resp, req, environ, request_time) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        for key, value in atoms.items():
            if key in ("{authorization}i", "{http_authorization}e", "{cookie}i",
                       "{http_cookie}e"):
                atoms[key] = REDACTED
            elif isinstance(value, str):
                atoms[key] = redact(value)
        return atoms
