"""The export formats beside the CSV zip at scale on PostgreSQL: seconds, rows/s, size and
the server's peak RSS for submissions.{csv.zip, xlsx, geojson, jsonl, sav, dta}.

    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \
    .venv/bin/python bench/export_formats.py [--sizes 20000,100000] [--quick]

Uses bench/export.py's setup: a temporary database, its 10-field form with one repeat (two
rows per submission), bulk-inserted submissions; each format is fetched from a fresh
single-process server so its VmHWM is that format's own. The database is dropped at the end.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from export import database, fill, get, instance_data, login, server, setup, vmhwm_mb  # noqa: E402

FORMATS = ("csv.zip", "xlsx", "geojson", "jsonl", "sav", "sav.zip", "dta")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="20000,100000")
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--quick", action="store_true", help="2,000 submissions only")
    args = parser.parse_args()
    sizes = [2000] if args.quick else [int(s) for s in args.sizes.split(",")]
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} "
          f"{os.getloadavg()[2]:.2f}", flush=True)
    with database() as (url, storage):
        app, (project_id, form_id, version_id), model = setup(url, storage)
        xml, data = instance_data(model)
        have = 0
        print(f"{'rows':>8} {'format':>8} {'s':>7} {'rows/s':>8} {'MB':>7} {'peakRSS MB':>10} "
              f"{'idle RSS MB':>11}  load", flush=True)
        for size in sizes:
            fill(app, form_id, version_id, xml, data, size, have)
            have = size
            for fmt in args.formats.split(","):
                with server(url, storage) as (pid, base):
                    headers = login(base)
                    idle = vmhwm_mb(pid)
                    form = f"{base}/v1/projects/{project_id}/forms/bench"
                    seconds, nbytes = get(f"{form}/submissions.{fmt}?async=false", headers)
                    print(f"{size:>8} {fmt:>8} {seconds:>7.1f} {size / seconds:>8.0f} "
                          f"{nbytes / 1e6:>7.1f} {vmhwm_mb(pid):>10.0f} {idle:>11.0f}  "
                          f"{os.getloadavg()[0]:.2f}", flush=True)


if __name__ == "__main__":
    main()
