"""SDG reference data: the catalogue of goals, targets and indicators."""

from forms.sdg.catalogue import (
    LANGUAGES,
    UnknownSdgCode,
    describe,
    goals,
    indicators,
    is_known_code,
    parse_codes,
    split_code,
    targets,
)

__all__ = [
    "LANGUAGES",
    "UnknownSdgCode",
    "describe",
    "goals",
    "indicators",
    "is_known_code",
    "parse_codes",
    "split_code",
    "targets",
]
