"""The streaming formats (xlsx, jsonl, geojson) in bounded memory: 100,000 submissions through
a real server process whose peak RSS (VmHWM) must grow by less than 100 MB per download.
PostgreSQL only, as tests/app/exports/test_streaming_memory.py (whose helpers it uses).
SPSS/Stata are not here: pyreadstat writes a whole table at once (see stats_export.py)."""
from __future__ import annotations

import pytest

from tests.app.exports.test_streaming_memory import (
    _download,
    _peak_kb,
    _publish_and_fill,
    _serve,
)

N = 100_000


def test_streaming_formats_keep_the_server_under_100mb_growth(
        app, database_url, tmp_path, project, viewer, publish_fixture):
    if not database_url.startswith("postgresql"):
        pytest.skip("the 100,000-row fill and server-side cursor are PostgreSQL's")
    headers, _ = viewer
    _publish_and_fill(publish_fixture(project, "sdg5_safety"), {
        "/data/consent": "yes", "/data/safe_now": "yes", "/data/survey/age": "34",
        "/data/survey/sex": "female", "/data/survey/violence_type": "physical sexual",
        "/data/survey/story": "x" * 200, "/data/survey/child[1]/child_age": "5",
        "/data/survey/child[2]/child_age": "9"}, N, repeats={"/data/survey/child": 2})

    server, url = _serve(database_url, str(tmp_path / "storage"))
    grown = {}
    try:
        base = f"{url}/v1/projects/{project}/forms/sdg5_safety"
        _download(f"{base}.svc/Submissions?$top=10", headers)  # imports and caches warm
        for fmt in ("geojson", "jsonl", "xlsx"):
            before = _peak_kb(server.pid)
            size = _download(f"{base}/submissions.{fmt}?async=false", headers)
            grown[fmt] = (_peak_kb(server.pid) - before) / 1024
            assert size > 2 if fmt == "geojson" else size > 1_000_000, fmt
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"peak RSS growth (MB) over {N} submissions: {grown}")
    assert all(mb < 100 for mb in grown.values()), f"peak RSS grew (MB): {grown}"
