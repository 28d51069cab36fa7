"""Schemathesis against /v1/openapi.json, in process, as every role: counts inputs and 5xx.

Used by tests/fuzz/test_api_fuzz.py (bounded, fixed seed, in `make test`) and bench/fuzz
(longer). Each operation is called with cases drawn from our own OpenAPI document, both
fitting it (positive) and breaking it (negative), once with the seeded data's real ids in the
path (to get past the 404s) and once with ids drawn freely.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from app.extensions import db
from app.web.openapi import document

ROLES = ("anonymous", "app-user", "viewer", "formfill", "manager", "admin")
# Destructive operations on the seeded data run last, so that the others see it whole.
LAST = ("deleteForm", "deleteDraft", "revokeAppUser", "deleteChannel", "deleteWebhook",
        "deleteSession")


@dataclass
class Identity:
    """How one role calls the API: headers, and the base (the key server for app users)."""

    role: str
    headers: dict[str, str] = field(default_factory=dict)
    base: str = "/v1"


# ODK Central answers an OData feature it does not support with these problems (501.1 an
# unknown $-parameter, 501.4 an operator or function, 501.5 a field, 501.6 an $expand), and
# its clients know them; we keep its dialect, and the OpenAPI document declares them. Any
# other 5xx is a server error.
CENTRAL_501 = {501.1, 501.4, 501.5, 501.6}


@dataclass
class Stats:
    inputs: int = 0
    by_status: dict[int, int] = field(default_factory=dict)
    server_errors: list[str] = field(default_factory=list)
    tracebacks: int = 0
    seconds: float = 0.0

    def add(self, status: int, what: str, problem_code: float | None = None) -> None:
        self.inputs += 1
        self.by_status[status] = self.by_status.get(status, 0) + 1
        if status >= 500 and not (status == 501 and problem_code in CENTRAL_501):
            self.server_errors.append(what)


class _TracebackCounter(logging.Handler):
    """Counts the errors the app logs with a traceback (app.web.errors' unplanned handler)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.count += 1


def fuzz(app: Any, identities: Iterable[Identity], *, examples: int, seed_value: int,
         real_ids: dict[str, Any], modes: Iterable[GenerationMode] = (
             GenerationMode.POSITIVE, GenerationMode.NEGATIVE),
         only: Callable[[str], bool] | None = None, free_ids: bool = True) -> Stats:
    """Call every operation `examples` times per role and mode, with the real ids in the path
    and (`free_ids`) with ids drawn from the document too."""
    schema = schemathesis.openapi.from_dict(document())
    operations = [result.ok() for result in schema.get_all_operations()]
    operations.sort(key=lambda op: op.definition.raw.get("operationId") in LAST)
    if only is not None:
        operations = [op for op in operations if only(op.definition.raw["operationId"])]
    stats = Stats()
    counter = _TracebackCounter()
    logging.getLogger().addHandler(counter)
    started = time.monotonic()
    client = app.test_client()
    try:
        for identity in identities:
            for operation in operations:
                names = {p.name for p in operation.path_parameters}
                fixed = {k: v for k, v in real_ids.items() if k in names}
                for mode in modes:
                    choices = [fixed] if fixed else [None]
                    if fixed and free_ids:
                        choices.append(None)
                    for path_parameters in choices:
                        _run(client, operation, identity, mode, path_parameters, examples,
                             seed_value, stats)
    finally:
        logging.getLogger().removeHandler(counter)
    stats.tracebacks = counter.count
    stats.seconds = time.monotonic() - started
    return stats


def _run(client, operation, identity: Identity, mode: GenerationMode,
         path_parameters: dict | None, examples: int, seed_value: int, stats: Stats) -> None:
    try:
        strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)
    except Exception:  # an operation with nothing negative to generate
        return

    @seed(seed_value)
    @settings(max_examples=examples, deadline=None, database=None, derandomize=False,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
              print_blob=False)
    @given(case=strategy)
    def call(case) -> None:
        _send(client, case, identity, stats)

    try:
        call()
    except Unsatisfiable:  # e.g. nothing in this operation can be made invalid
        pass


def _send(client, case, identity: Identity, stats: Stats) -> None:
    """One request through Werkzeug's test client; a body cut by an exception counts as 5xx."""
    kwargs = case.as_transport_kwargs(base_url="http://localhost" + identity.base)
    method = kwargs.pop("method")
    url = kwargs.pop("url")
    headers = {**(kwargs.pop("headers", None) or {}), **identity.headers}
    what = f"{identity.role} {method} {url}"
    try:
        response = client.open(url, method=method, headers=headers,
                               query_string=kwargs.get("params"),
                               data=_body(kwargs), follow_redirects=False)
        response.get_data()
        status = response.status_code
    except Exception as error:  # the app raised while streaming: the client saw a cut body
        status, response = 599, None
        what += f" ({type(error).__name__}: {error})"
    finally:
        end_of_request()
    stats.add(status, what, problem_code(response))


def end_of_request() -> None:
    """What the end of a request's app context does in production (Flask-SQLAlchemy removes
    the session). A test holds one app context open across requests, so a request's unfinished
    transaction would otherwise lock SQLite for the next one, which never happens in service."""
    db.session.remove()


def problem_code(response) -> float | None:
    """The `code` of a JSON problem answer, if it is one."""
    if response is None or not response.is_json:
        return None
    body = response.get_json(silent=True)
    return body.get("code") if isinstance(body, dict) else None


def _body(kwargs: dict) -> Any:
    if "json" in kwargs and kwargs["json"] is not None:
        import json

        return json.dumps(kwargs["json"])
    if "files" in kwargs and kwargs["files"]:
        return {name: value[1] if isinstance(value, tuple) else value
                for name, value in kwargs["files"]}
    return kwargs.get("data")
