"""Indicator figures on PostgreSQL: series latency over 1,000,000 submissions, the
pipeline's throughput with five indicators declared beside its throughput with none, and the
dashboard page's server time.

    .venv/bin/python bench/indicators.py [--rows 1000000] [--requests 200] [--n 3000]
    .venv/bin/python bench/indicators.py --quick      # small sizes, under two minutes
    .venv/bin/python bench/indicators.py --only dashboard [--demo 2000] [--requests 200]

TEST_DATABASE_URL names the PostgreSQL server (default postgresql://postgres@127.0.0.1:5432/
postgres); a fresh database is created and dropped.

Series: one proportion indicator of sdg5_safety with sex (3 values) and age (4 bands) over
36 months; its
`--rows` submissions and contributions are generated in SQL (as the pipeline would have
written them), the cells rolled up from them with one GROUP BY, then VACUUM ANALYZE. Timed:
`GET .../series?by=sex,age` through the Flask app (full access: a GROUP BY over cells; and a
viewer: the suppressed fixed tables, cache off), and, for comparison, the same GROUP BY
straight over the contributions.

Pipeline: `--n` water_point submissions stored through `sync.ingest`, then re-processed in
batches of 100 (clean, SDG tags with the real classifier, and the indicators hook) with no
indicator on the form, and with five (their contributions and cells emptied first, so every
row is written as for a fresh submission), alternating three times; medians are printed.

Dashboard: `flask demo --with-data`'s project (four forms, the eight demo indicators,
`--demo` submissions through `sync.ingest` and the inline pipeline), county boundaries for
its maps, a public dashboard of two indicators; VACUUM ANALYZE; then each page fetched
`--requests` times in process through the Flask test client (view, queries, template and
gzip; no network, cache off): the manager's dashboard, a viewer's (suppressed), the public
page and the printable report; then the viewer's and the public page again with the
suppressed tables cached as in service (INDICATOR_CACHE_SECONDS=60).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import delete, func, select, text  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from bench._common import create_database, load, percentile  # noqa: E402

FIVE = [
    {"code": "functional", "sdg": "6.1.1", "kind": "proportion",
     "numerator": "${functional} = 'yes'", "denominator": "${functional} != ''",
     "disaggregateBy": [{"name": "area", "field": "county"}, "water_source", "channel"]},
    {"code": "minutes", "sdg": "6.1.1", "kind": "mean", "numerator": "${minutes_to_fetch}",
     "denominator": "${minutes_to_fetch} != ''",
     "disaggregateBy": [{"name": "area", "field": "county"}]},
    {"code": "far", "sdg": "6.1.1", "kind": "proportion",
     "numerator": "${minutes_to_fetch} > 30", "denominator": "",
     "disaggregateBy": [{"name": "area", "field": "county"}, "ward"]},
    {"code": "women_fetch", "sdg": "5.4.1", "kind": "proportion",
     "numerator": "selected(${who_fetches}, 'women') or selected(${who_fetches}, 'girls')",
     "denominator": "${who_fetches} != ''", "disaggregateBy": ["water_source"]},
    {"code": "broken_days", "sdg": "6.1.1", "kind": "count",
     "numerator": "${days_broken} > 7", "denominator": "${functional} = 'no'",
     "disaggregateBy": [{"name": "area", "field": "county"}], "period": "month"},
]


def app_for(url: str, tmp: Path):
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "STORAGE_DIR": str(tmp / "storage"),
                       "SECRET_KEY": "bench", "PHONE_HASH_KEY": "bench", "REDIS_URL": None,
                       "ODK_VALIDATE": False, "INDICATOR_CACHE_SECONDS": 0,
                       "PUBLIC_URL": "http://127.0.0.1"})


def publish(project_id: int, name: str = "water_point"):
    from app.services.forms import create_form
    from forms.xlsform import compile_upload

    path = ROOT / "tests" / "fixtures" / "forms" / f"{name}.xlsx"
    compiled = compile_upload(path.read_bytes(), None, path.name, validate=False,
                              ignore_warnings=True)
    form = create_form(project_id, compiled, None, publish=True)
    db.session.commit()
    return form


def series_bench(app, rows: int, requests: int) -> None:
    from app.indicators import service
    from app.services import accounts, projects

    with app.app_context():
        project = projects.create_project("Bench CSO")
        form = publish(project.id, "sdg5_safety")
        indicator, _ = service.create_indicator(project.id, {
            "code": "bench", "sdg": "16.1.4", "form": form.xml_form_id, "kind": "proportion",
            "numerator": "${safe_night} = 'yes'", "denominator": "${safe_night} != ''",
            "disaggregateBy": ["sex", {"name": "age", "cuts": [15, 25, 50]}],
            "period": "quarter"})
        accounts.create_user("admin@bench.org", "bench-password-1", admin=True)
        viewer = accounts.create_user("viewer@bench.org", "bench-password-1")
        projects.assign_role(project.id, viewer.actor_id, "viewer")
        db.session.commit()
        started = time.perf_counter()
        # Submissions and contributions as the pipeline writes them, generated in SQL.
        db.session.execute(text("""
            INSERT INTO submissions (form_id, instance_id, channel, created_at)
            SELECT :form, 'uuid:bench-' || g, 'collect', now() FROM generate_series(1, :rows) g
        """), {"form": form.id, "rows": rows})
        db.session.execute(text("""
            INSERT INTO indicator_contributions (indicator_id, submission_id, submission_def_id,
                revision, review_state, month, d0, d1, d2, d3, d4, num, num2)
            SELECT :ind, s.id, s.id, 1,
                   (ARRAY['received','received','received','approved','hasIssues','edited',
                          'rejected'])[1 + floor(random() * 7)::int],
                   (2024 + m / 12) * 100 + 1 + m % 12,
                   (ARRAY['female','male','other'])[1 + floor(random() * 3)::int],
                   (ARRAY['<15','15-24','25-49','50+'])[1 + floor(random() * 4)::int],
                   '', '', '', v, v
            FROM (SELECT id, CASE WHEN random() < 0.4 THEN 1.0 ELSE 0.0 END AS v,
                         floor(random() * 36)::int AS m
                  FROM submissions WHERE form_id = :form) s
        """), {"ind": indicator.id, "form": form.id})
        db.session.execute(text("""
            INSERT INTO indicator_cells (indicator_id, month, review_state, d0, d1, d2, d3, d4,
                                         n, num, num2)
            SELECT indicator_id, month, review_state, d0, d1, d2, d3, d4, count(*), sum(num),
                   sum(num2)
            FROM indicator_contributions WHERE indicator_id = :ind
            GROUP BY indicator_id, month, review_state, d0, d1, d2, d3, d4
        """), {"ind": indicator.id})
        db.session.execute(text("UPDATE indicators SET rebuilding = false"))
        db.session.commit()
        cells = db.session.scalar(text("SELECT count(*) FROM indicator_cells"))
        load_seconds = time.perf_counter() - started
        indicator_id, project_id = indicator.id, project.id
    with app.app_context(), db.engine.connect().execution_options(
            isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    client = app.test_client()
    tokens = {}
    for email in ("admin@bench.org", "viewer@bench.org"):
        response = client.post("/v1/sessions", json={"email": email,
                                                     "password": "bench-password-1"})
        tokens[email] = {"Authorization": f"Bearer {response.get_json()['token']}"}
    url = f"/v1/projects/{project_id}/indicators/{indicator_id}/series?by=sex,age"
    print(f"series: {rows:,} submissions, {cells:,} cells (loaded in {load_seconds:.1f} s); "
          f"{load()}")
    for who, headers in (("manager (GROUP BY over cells)", tokens["admin@bench.org"]),
                         ("viewer (suppressed fixed tables)", tokens["viewer@bench.org"])):
        times = []
        for _ in range(requests):
            started = time.perf_counter()
            response = client.get(url, headers=headers)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.get_data()
        points = len(response.get_json()["points"])
        print(f"  {who}: p50 {statistics.median(times):.1f} ms, p99 "
              f"{percentile(times, 0.99):.1f} ms over {requests} requests ({points} points)")
    with app.app_context():
        times = []
        for _ in range(max(5, requests // 20)):
            started = time.perf_counter()
            db.session.execute(text("""
                SELECT (month / 100) * 10 + (month % 100 + 2) / 3, d0, d1, count(*), sum(num)
                FROM indicator_contributions WHERE indicator_id = :ind
                  AND review_state <> 'rejected' GROUP BY 1, 2, 3"""),
                {"ind": indicator_id}).all()
            times.append((time.perf_counter() - started) * 1000)
        print(f"  for comparison, the GROUP BY over the {rows:,} contributions: p50 "
              f"{statistics.median(times):.1f} ms, p99 {percentile(times, 0.99):.1f} ms")


def pipeline_bench(app, n: int) -> None:
    from sqlalchemy import update

    from app.indicators import service
    from app.models import Indicator, IndicatorCell, IndicatorContribution, SubmissionDef
    from app.pipeline.dispatch import process_defs
    from app.services import projects
    from sync.ingest import ingest
    from tests.pipeline.conftest import water_xml

    with app.app_context():
        project = projects.create_project("Pipeline CSO")
        form = publish(project.id)
        other = publish(project.id, "escuela")  # where the indicators wait between runs
        version = db.session.scalar(text(
            "SELECT version FROM form_versions WHERE form_id = :f"), {"f": form.id})
        started = time.perf_counter()
        for i in range(n):
            ingest(project_id=project.id, xml=water_xml(
                version, functional=("yes" if i % 3 else "no"), minutes_to_fetch=str(i % 90),
                county=["kisumu", "turkana", "nairobi"][i % 3], who_fetches="women girls"),
                attachments={}, channel=["collect", "sms", "ussd"][i % 3], submitter_id=None,
                device_id=None)
        print(f"pipeline: {n} water_point submissions stored in "
              f"{time.perf_counter() - started:.1f} s; {load()}")
        def_ids = list(db.session.scalars(select(SubmissionDef.id).where(
            SubmissionDef.form_id == form.id).order_by(SubmissionDef.id)))

        def timed() -> float:
            started = time.perf_counter()
            failed = process_defs(def_ids)
            assert not failed, failed
            return len(def_ids) / (time.perf_counter() - started)

        timed()  # warm: parsed forms, the classifier, SQL caches
        bodies = [service.create_indicator(project.id, {**body, "form": form.xml_form_id})[0]
                  for body in FIVE]
        db.session.commit()
        ids = [b.id for b in bodies]
        none_rates, five_rates = [], []
        # Alternate the two set-ups, three times each: a shared machine's load drifts.
        for _ in range(3):
            db.session.execute(update(Indicator).where(Indicator.id.in_(ids))
                               .values(form_id=other.id))
            db.session.commit()
            none_rates.append(timed())
            db.session.execute(update(Indicator).where(Indicator.id.in_(ids))
                               .values(form_id=form.id))
            db.session.execute(delete(IndicatorCell))
            db.session.execute(delete(IndicatorContribution))
            db.session.commit()
            five_rates.append(timed())
        none, five = statistics.median(none_rates), statistics.median(five_rates)
        written = db.session.scalar(select(func.count()).select_from(IndicatorContribution))
        print(f"  no indicator: {none:.0f} submissions/s; five indicators: {five:.0f}/s "
              f"({five / none:.0%} of it; {written} contribution rows written); {load()}")


COUNTIES = {"kisumu": (34.4, -0.6, 35.4, 0.1), "kilifi": (39.3, -4.0, 40.3, -2.3),
            "nairobi": (36.6, -1.45, 37.1, -1.15), "turkana": (34.9, 1.5, 36.6, 4.6),
            "dar": (39.0, -7.1, 39.6, -6.6), "arusha": (35.9, -3.8, 37.2, -2.6)}


def dashboard_bench(app, demo: int, requests: int) -> None:
    import json
    import re
    import tempfile

    from app.indicators import overview, public
    from app.models import Indicator, IndicatorCell
    from app.services import accounts, demo_data, projects
    from app.services.demo import run_demo

    with app.app_context():
        started = time.perf_counter()
        info = run_demo(Path(tempfile.mkdtemp()), "http://127.0.0.1")
        stored = demo_data.load(info.project_id, count=demo)
        pid = info.project_id
        features = [{"type": "Feature", "properties": {"county": name},
                     "geometry": {"type": "Polygon", "coordinates": [[
                         [w, s], [e, s], [e, n], [w, n], [w, s]]]}}
                    for name, (w, s, e, n) in COUNTIES.items()]
        overview.save_boundaries(pid, json.dumps({"type": "FeatureCollection",
                                                  "features": features}).encode(), "county")
        codes = {i.code: i.id for i in db.session.scalars(select(Indicator).where(
            Indicator.project_id == pid))}
        public.save(pid, {"slug": "bench", "title": "Bench", "indicators": [
            codes["6.1.1-water-point-working"], codes["16.1.4-safe-at-night"]]})
        for email, role in (("manager@bench.org", "manager"), ("viewer@bench.org", "viewer")):
            user = accounts.create_user(email, "bench-password-1")
            projects.assign_role(pid, user.actor_id, role)
        db.session.commit()
        cells = db.session.scalar(select(func.count()).select_from(IndicatorCell).where(
            IndicatorCell.indicator_id.in_(codes.values())))
        seconds = time.perf_counter() - started
    with app.app_context(), db.engine.connect().execution_options(
            isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    token = re.compile(r'name="csrf_token" value="([^"]+)"')

    def signed_in(email: str):
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        response = client.post("/login", data={"email": email, "password": "bench-password-1",
                                                "csrf_token": token.search(page).group(1)})
        assert response.status_code == 302, response.status_code
        return client

    manager, viewer = signed_in("manager@bench.org"), signed_in("viewer@bench.org")
    print(f"dashboard: demo project, {stored:,} submissions, {len(codes)} indicators, "
          f"{cells:,} cells (loaded in {seconds:.1f} s); {load()}")
    pages = [("manager's dashboard", manager, f"/projects/{pid}/dashboard"),
             ("viewer's dashboard (suppressed)", viewer, f"/projects/{pid}/dashboard"),
             ("public page /p/bench (2 indicators)", app.test_client(), "/p/bench"),
             ("printable report (manager)", manager, f"/projects/{pid}/dashboard/report")]
    headers = {"Accept-Encoding": "gzip"}
    for name, client, path in pages:
        for _ in range(3):
            assert client.get(path, headers=headers).status_code == 200, path
        times = []
        for _ in range(requests):
            began = time.perf_counter()
            response = client.get(path, headers=headers)
            times.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200, path
        size = len(response.get_data())
        print(f"  {name}: p50 {statistics.median(times):.1f} ms, p99 "
              f"{percentile(times, 99):.1f} ms over {requests} requests "
              f"({size / 1024:.1f} KB gzipped HTML)")
    # In service a process reuses an indicator's suppressed tables for INDICATOR_CACHE_SECONDS
    # (default 60): the restricted pages again with that cache on.
    app.config["INDICATOR_CACHE_SECONDS"] = 60
    for name, client, path in pages[1:3]:
        client.get(path, headers=headers)
        times = []
        for _ in range(requests):
            began = time.perf_counter()
            assert client.get(path, headers=headers).status_code == 200, path
            times.append((time.perf_counter() - began) * 1000)
        print(f"  {name}, suppressed tables cached (INDICATOR_CACHE_SECONDS=60): p50 "
              f"{statistics.median(times):.1f} ms, p99 {percentile(times, 99):.1f} ms")
    app.config["INDICATOR_CACHE_SECONDS"] = 0
    print(f"  {load()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--n", type=int, default=3000, help="submissions for the pipeline run")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--demo", type=int, default=2000,
                        help="demo submissions for the dashboard run")
    parser.add_argument("--only", choices=["series", "pipeline", "dashboard"])
    opts = parser.parse_args()
    if opts.quick:
        opts.rows, opts.requests, opts.n, opts.demo = 50_000, 40, 300, 300
    import tempfile

    url, drop = create_database("dsc_bench_ind")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            app = app_for(url, Path(tmp))
            if opts.only in (None, "series"):
                series_bench(app, opts.rows, opts.requests)
            if opts.only in (None, "pipeline"):
                pipeline_bench(app, opts.n)
            if opts.only in (None, "dashboard"):
                dashboard_bench(app, opts.demo, opts.requests)
            with app.app_context():
                db.engine.dispose()
    finally:
        drop()


if __name__ == "__main__":
    main()
