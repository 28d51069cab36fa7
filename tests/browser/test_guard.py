"""The harness's own rule: a page may talk to the server under test and nothing else."""
from __future__ import annotations

import pytest

from tests.browser.conftest import Guard


class FakeRoute:
    def __init__(self, url: str):
        self.request = type("Request", (), {"url": url})()
        self.outcome = None

    def continue_(self):
        self.outcome = "continued"

    def abort(self):
        self.outcome = "aborted"


ELSEWHERE = ["https://cdn.jsdelivr.net/npm/htmx.org", "https://fonts.gstatic.com/x.woff2",
             "https://tile.openstreetmap.org/1/1/1.png", "http://127.0.0.1:9/other-port"]


@pytest.mark.parametrize("url", ELSEWHERE)
def test_requests_to_any_other_origin_are_aborted_and_fail_the_test(url):
    guard = Guard("http://127.0.0.1:5555")
    route = FakeRoute(url)
    guard.route(route)
    assert route.outcome == "aborted"
    with pytest.raises(AssertionError, match="requests to other hosts"):
        guard.check()


def test_the_server_itself_and_inline_data_pass():
    guard = Guard("http://127.0.0.1:5555")
    for url in ("http://127.0.0.1:5555/assets/app.css?v=1", "data:image/png;base64,AA=="):
        route = FakeRoute(url)
        guard.route(route)
        assert route.outcome == "continued"
    guard.check()
