"""Schemathesis drives every /v1 operation of our OpenAPI document as every role, with data
that fits the document and data that breaks it: no answer is a 5xx, nothing logs a traceback.

Fixed seed and a few examples per operation keep this to a few minutes; bench/fuzz runs the
same with many more."""
from __future__ import annotations

import pytest

from tests.fuzz.api import ROLES, fuzz
from tests.fuzz.seed import seed

SEED = 20261207
EXAMPLES = 1  # per operation, role, mode (positive/negative) and ids (real/drawn)
# Ids drawn from the document (mostly 404s) are worth trying as someone who may see anything
# and as no one; the other roles get the seeded data's real ids.
FREE_IDS = ("anonymous", "admin")


@pytest.mark.parametrize("role", ROLES)
def test_no_operation_answers_a_server_error_for_any_role(app, role):
    identities, real_ids = seed(app)
    [identity] = [i for i in identities if i.role == role]
    stats = fuzz(app, [identity], examples=EXAMPLES, seed_value=SEED, real_ids=real_ids,
                 free_ids=role in FREE_IDS)
    assert stats.inputs >= 200, stats.by_status
    assert stats.server_errors == []
    assert stats.tracebacks == 0
