"""Publish time for a 300-question XLSForm, with and without ODK Validate (JavaRosa).

    .venv/bin/python bench/publish.py [--questions 300 --repeat 3]

In-process: compile_upload (pyxform, then JavaRosa when asked) + create_form(publish=True)
on a temporary SQLite database, as `POST /v1/projects/{pid}/forms?publish=true` does.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TYPES = ["text", "integer", "decimal", "select_one yn", "select_multiple src", "date"]


def workbook(questions: int, form_id: str) -> bytes:
    """A realistic mix of question types, with constraints, relevance and SDG codes."""
    from openpyxl import Workbook

    book = Workbook()
    survey = book.active
    survey.title = "survey"
    survey.append(["type", "name", "label", "constraint", "relevant", "sdg"])
    for i in range(1, questions + 1):
        kind = TYPES[i % len(TYPES)]
        survey.append([kind, f"q{i}", f"Question {i}", ". >= 0" if kind == "integer" else None,
                       f"${{q{i - 1}}} != ''" if i > 1 and i % 5 == 0 else None,
                       "6.1.1" if i % 10 == 0 else None])
    choices = book.create_sheet("choices")
    choices.append(["list_name", "name", "label"])
    for row in (("yn", "yes", "Yes"), ("yn", "no", "No"), ("src", "well", "Well"),
                ("src", "tap", "Tap"), ("src", "river", "River")):
        choices.append(list(row))
    settings = book.create_sheet("settings")
    settings.append(["form_id", "version", "form_title"])
    settings.append([form_id, "1", "Bench"])
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from app import create_app, migrate
    from app.extensions import db
    from app.services.forms import create_form
    from app.services.projects import create_project
    from forms.xlsform import compile_upload

    tmp = Path(tempfile.mkdtemp(prefix="dsc_bench_publish_"))
    try:
        url = f"sqlite:///{tmp / 'bench.sqlite3'}"
        migrate.upgrade(url)
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "STORAGE_DIR": str(tmp / "storage"),
                          "SECRET_KEY": "bench"})
        results = {}
        with app.app_context():
            project = create_project("Bench")
            db.session.commit()
            n = 0
            for validate in (False, True):
                times, checked = [], False
                for _ in range(args.repeat):
                    n += 1
                    data = workbook(args.questions, f"bench_{n}")
                    began = time.perf_counter()
                    compiled = compile_upload(data, XLSX, "bench.xlsx", validate=validate)
                    create_form(project.id, compiled, None, publish=True)
                    db.session.commit()
                    times.append(time.perf_counter() - began)
                    checked = compiled.validated
                results[validate] = (times, checked)
        print(f"publish a {args.questions}-question XLSForm (compile + store), "
              f"{args.repeat} runs each, SQLite")
        print(f"{'ODK Validate':<24} {'median s':>9} {'min s':>7} {'max s':>7}")
        for validate, (times, checked) in results.items():
            label = ("on (JavaRosa ran)" if checked else "on (skipped: no Java)") \
                if validate else "off"
            print(f"{label:<24} {statistics.median(times):>9.2f} {min(times):>7.2f} "
                  f"{max(times):>7.2f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
