"""Hypothesis throws odd input at every door that takes it from outside: submission XML (REST
and OpenRosa), XForm and XLSForm uploads, OData `$filter` (on the feed and the exports) and
SMS/USSD provider callbacks in Africa's Talking's and Twilio's shapes. No answer is a 5xx,
nothing logs a traceback (the inline pipeline included). bench/fuzz runs more examples."""
from __future__ import annotations

import pytest

from tests.fuzz import doors
from tests.fuzz.api import Stats

SEED = 20261207
EXAMPLES = 40  # per door and variant (REST/OpenRosa, each OData URL, each provider hook)
MINIMUM = {"submissions": 2 * EXAMPLES, "uploads": EXAMPLES, "odata": 3 * EXAMPLES,
           "sms": 6 * EXAMPLES}


@pytest.mark.parametrize("door", list(doors.DOORS))
def test_no_input_at_any_door_answers_a_5xx_or_logs_a_traceback(app, door):
    stats = doors.DOORS[door](doors.world(app), EXAMPLES, SEED, Stats())
    assert stats.inputs >= MINIMUM[door]
    assert stats.server_errors == []
    assert stats.tracebacks == 0
