"""The streaming formats (xlsx, jsonl, geojson) in bounded memory: 100,000 submissions through
a real server process whose peak RSS (VmHWM) must grow by less than 100 MB per download.
PostgreSQL only, as tests/app/exports/test_streaming_memory.py (whose helpers it uses).
SPSS/Stata are not here: pyreadstat writes a whole table at once (see stats_export.py)."""
from __future__ import annotations

import json

import pytest

from app.extensions import db
from app.models import FormVersion
from forms.flatten import flatten
from forms.instance import build_instance
from sync.schema import schema_for
from tests.app.exports.test_streaming_memory import _download, _fill, _peak_kb, _serve

N = 100_000


def test_streaming_formats_keep_the_server_under_100mb_growth(
        app, database_url, tmp_path, project, viewer, publish_fixture):
    if not database_url.startswith("postgresql"):
        pytest.skip("the 100,000-row fill and server-side cursor are PostgreSQL's")
    from defusedxml.ElementTree import fromstring

    headers, _ = viewer
    form = publish_fixture(project, "sdg5_safety")
    version = db.session.get(FormVersion, form.current_version_id)
    model = schema_for(version.sha256, lambda: version.xml).model
    xml = build_instance(model, {"/data/consent": "yes", "/data/safe_now": "yes",
                                 "/data/survey/age": "34", "/data/survey/sex": "female",
                                 "/data/survey/violence_type": "physical sexual",
                                 "/data/survey/story": "x" * 200,
                                 "/data/survey/child[1]/child_age": "5",
                                 "/data/survey/child[2]/child_age": "9"},
                         instance_id="uuid:bulk", repeats={"/data/survey/child": 2})
    data = json.loads(json.dumps(flatten(model, fromstring(xml)).__dict__))
    _fill(form.id, version.id, data, xml.decode(), N)

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
