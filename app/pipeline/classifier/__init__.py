"""SDG goal suggestions for short or long free text in English, Spanish, Kiswahili and Nepali."""

from __future__ import annotations

import gzip
import hashlib
import json
from functools import lru_cache
from pathlib import Path

from app.pipeline.classifier.model import GoalScore, SdgClassifier
from app.pipeline.classifier.text import detect_language

__all__ = ["GoalScore", "SdgClassifier", "detect_language", "load_classifier", "ARTEFACT_PATH"]

ARTEFACT_PATH = Path(__file__).with_name("sdg_model.json.gz")
VERSION_PREFIX = "kw-bench-2026.11"


@lru_cache(maxsize=1)
def load_classifier() -> SdgClassifier:
    """The shipped classifier, loaded once from package data (nothing is downloaded)."""
    blob = ARTEFACT_PATH.read_bytes()
    version = f"{VERSION_PREFIX}+{hashlib.sha256(blob).hexdigest()[:8]}"
    return SdgClassifier(json.loads(gzip.decompress(blob)), version)
