"""A submission's review state, as ODK Central names them.

Pure (no Flask, no database): the submission model, indicators, sync and the web layer all
share this one set. The column holds NULL until someone reviews: NULL reads as RECEIVED.
"""
from __future__ import annotations

from enum import StrEnum


class ReviewState(StrEnum):
    RECEIVED = "received"
    HAS_ISSUES = "hasIssues"
    EDITED = "edited"
    APPROVED = "approved"
    REJECTED = "rejected"


REVIEW_STATES: tuple[str, ...] = tuple(s.value for s in ReviewState)
# The states a reviewer may set (Central's); "received" is the absence of a review.
REVIEWABLE: tuple[str, ...] = tuple(s.value for s in ReviewState if s is not ReviewState.RECEIVED)
