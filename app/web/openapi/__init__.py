"""The OpenAPI 3.1 description of /v1, served at /v1/openapi.json.

Written by hand, in YAML, one file per resource in this folder: `base.yaml` holds the info,
servers, security schemes and shared components; every other `*.yaml` holds `paths` (and its
own `components`, if any) and is merged in by file name. A path or component named twice is an
error, so two files cannot silently disagree. tests/app/api/test_openapi.py checks the result
against the app's routes both ways.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from flask import Blueprint, jsonify

FOLDER = Path(__file__).parent

openapi = Blueprint("openapi", __name__)


@openapi.get("/v1/openapi.json")
def openapi_json():
    return jsonify(document())


@lru_cache(maxsize=1)
def document() -> dict[str, Any]:
    """The merged document (built once per process)."""
    merged = _load(FOLDER / "base.yaml")
    merged.setdefault("paths", {})
    merged.setdefault("components", {})
    for path in sorted(FOLDER.glob("*.yaml")):
        if path.name == "base.yaml":
            continue
        part = _load(path)
        _merge(merged["paths"], part.get("paths") or {}, f"{path.name}: path")
        for kind, entries in (part.get("components") or {}).items():
            _merge(merged["components"].setdefault(kind, {}), entries or {},
                   f"{path.name}: components/{kind}")
    return merged


def _load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def _merge(into: dict[str, Any], entries: dict[str, Any], where: str) -> None:
    for name, value in entries.items():
        if name in into:
            raise ValueError(f"{where} {name} is described twice")
        into[name] = value
