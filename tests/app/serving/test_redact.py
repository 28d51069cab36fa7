"""URL tokens never reach a log line: the development server's access log (`make run`)."""
from __future__ import annotations

import logging

import requests

from app.serving.redact import redact


def test_collect_and_session_tokens_and_token_parameters_are_redacted():
    line = ('"GET /v1/key/AbC123_-x/projects/1/formList?deviceID=c&token=t0k&st=s3 HTTP/1.1" '
            '"DELETE /v1/sessions/Zz9 HTTP/1.1"')
    assert redact(line) == (
        '"GET /v1/key/[redacted]/projects/1/formList?deviceID=c&token=[redacted]&st=[redacted] '
        'HTTP/1.1" "DELETE /v1/sessions/[redacted] HTTP/1.1"')


def test_the_development_servers_access_log_carries_no_token(live_server, caplog):
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        requests.get(f"{live_server.url}/v1/key/dev-secret/projects/1/formList", timeout=5)
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert any("/v1/key/[redacted]/projects/1/formList" in line for line in lines), lines
    assert not any("dev-secret" in line for line in lines)
