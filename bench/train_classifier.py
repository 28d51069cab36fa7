"""Rebuild the SDG classifier artefact: `.venv/bin/python bench/train_classifier.py`."""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.pipeline.classifier.build import ARTEFACT, build  # noqa: E402
from app.pipeline.classifier.model import BASE_FEATURES, FEATURES  # noqa: E402


def main() -> None:
    """Build, write and summarise the artefact (shared weights of each layer)."""
    start = time.perf_counter()
    artefact = build()
    size_kib = ARTEFACT.stat().st_size / 1024
    print(f"wrote {ARTEFACT} ({size_kib:.0f} KiB) in {time.perf_counter() - start:.1f}s")
    layers = artefact["layers"]
    print("layer en (English paragraphs): shared weights, on features scaled to unit sd")
    for feature, w in zip(FEATURES, layers["en"]["shared"], strict=True):
        print(f"  {feature:<14}{w:+.3f}")
    print("layer base (short or non-English texts): weights")
    for feature, w in zip(BASE_FEATURES, layers["base"]["weights"], strict=True):
        print(f"  {feature:<14}{w:+.3f}")


if __name__ == "__main__":
    main()
