"""Run one Hypothesis strategy against one kind of request, counting answers and tracebacks."""
from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable
from typing import Any

import responses
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from tests.fuzz.api import Stats, _TracebackCounter, end_of_request, problem_code

PROVIDERS = re.compile(r"https://(api\.africastalking\.com|api\.twilio\.com)/.*")


def drive(strategy: st.SearchStrategy, send: Callable[[Any], Any], *, examples: int,
          seed_value: int, stats: Stats, label: str) -> Stats:
    """Draw `examples` inputs and send each; every answer's status goes into `stats`."""
    counter = _TracebackCounter()
    logging.getLogger().addHandler(counter)

    @seed(seed_value)
    @settings(max_examples=examples, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
              print_blob=False)
    @given(value=strategy)
    def run(value) -> None:
        try:
            response = send(value)
            response.get_data()
            status = response.status_code
        except Exception as error:  # raised while streaming: the client saw a cut body
            status, response = 599, None
            value = f"{value!r} ({type(error).__name__}: {error})"
        finally:
            end_of_request()
        stats.add(status, f"{label}: {str(value)[:300]}", problem_code(response))

    try:
        # Providers' APIs are the only thing outside the machine: answered here, never called.
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            mock.add(responses.POST, PROVIDERS, status=201, json={
                "SMSMessageData": {"Recipients": [{"statusCode": 101, "status": "Success",
                                                   "messageId": "ATXid_x", "number": "+1"}]},
                "sid": "SM" + "0" * 32, "status": "queued"})
            run()
    finally:
        logging.getLogger().removeHandler(counter)
    stats.tracebacks += counter.count
    return stats


def multipart_submission(xml: bytes) -> dict[str, Any]:
    return {"xml_submission_file": (io.BytesIO(xml), "submission.xml", "text/xml")}


def twilio_signature(token: str, url: str, data: dict[str, str]) -> str:
    return RequestValidator(token).compute_signature(url, data)
