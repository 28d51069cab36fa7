"""queries.stream: Central's order kept across fetches and chunks, and a reader that stops early
leaves no prefetch thread and a usable connection (PostgreSQL's server-side cursor path)."""
from __future__ import annotations

import threading

from sqlalchemy import func, select

from app.exports import queries
from app.extensions import db
from app.models import Submission
from tests.app.exports.test_csv_export import WP_XML


def _query(form_id: int):
    return queries.base_query(form_id, queries.Filters()).order_by(*queries.ORDER)


def test_rows_keep_their_order_across_fetches_and_chunks(app, project, publish_fixture,
                                                         submit, monkeypatch):
    form = publish_fixture(project, "water_point")
    for i in range(7):
        submit(WP_XML.replace("uuid:wp-1", f"uuid:wp-{i}"))
    versions = queries.version_names(form.id)
    expected = [r.instance_id for chunk in queries.stream(_query(form.id), versions)
                for r in chunk]
    newest_first = db.session.scalars(select(Submission.instance_id).order_by(
        Submission.created_at.desc(), Submission.id.desc())).all()
    assert expected == newest_first and len(expected) == 7

    monkeypatch.setattr(queries, "FETCH", 3)  # fetches of 3 split into chunks of 2
    chunks = list(queries.stream(_query(form.id), versions, chunk=2))
    assert max(len(c) for c in chunks) == 2
    assert [r.instance_id for c in chunks for r in c] == expected
    assert all(r.data["root"]["/data/consent"] == "yes" for c in chunks for r in c)


def test_a_reader_that_stops_early_leaves_no_thread_and_a_usable_connection(
        app, project, publish_fixture, submit, monkeypatch):
    form = publish_fixture(project, "water_point")
    for i in range(5):
        submit(WP_XML.replace("uuid:wp-1", f"uuid:wp-{i}"))
    monkeypatch.setattr(queries, "FETCH", 1)
    rows = queries.stream(_query(form.id), queries.version_names(form.id), chunk=1)
    assert len(next(rows)) == 1
    rows.close()
    assert not [t for t in threading.enumerate() if t.name == "export-prefetch"]
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 5
