"""Rebuild the SDG classifier artefact: `.venv/bin/python bench/train_classifier.py`."""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.pipeline.classifier.build import ARTEFACT, build  # noqa: E402
from app.pipeline.classifier.model import FEATURES  # noqa: E402


def main() -> None:
    """Build, write and summarise the artefact."""
    start = time.perf_counter()
    artefact = build()
    weights = artefact["logistic"]["weights"]
    size_kib = ARTEFACT.stat().st_size / 1024
    print(f"wrote {ARTEFACT} ({size_kib:.0f} KiB) in {time.perf_counter() - start:.1f}s")
    for name, w in zip(FEATURES, weights, strict=True):
        print(f"  {name:<14}{w:+.3f}")


if __name__ == "__main__":
    main()
