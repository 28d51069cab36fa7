"""Longer fuzzing than `make test` does: schemathesis over /v1/openapi.json for every role, and
Hypothesis at every door that takes outside input. Prints inputs tried, answers by status,
5xx seen and tracebacks logged, with the load average.

    .venv/bin/python bench/fuzz.py [--examples 5] [--inputs 300] [--seed N]
                                   [--only api,submissions,uploads,odata,sms]
                                   [--database postgresql://postgres@127.0.0.1:5432/test]

In-process (Werkzeug's test client), on a fresh SQLite database, or a fresh PostgreSQL one
created and dropped under --database's server. Exits 1 if any 5xx or traceback was seen.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import create_database  # noqa: E402


def _database(server: str | None, workdir: str):
    """(url, cleanup) of a fresh migrated database: SQLite in `workdir` without a server."""
    if not server:
        from app import migrate

        url = f"sqlite:///{workdir}/fuzz.sqlite3"
        migrate.upgrade(url)
        return url, lambda: None
    return create_database("dsc_fuzz", server)


def _app(url: str, workdir: str):
    from app import create_app

    return create_app({"TESTING": False, "SQLALCHEMY_DATABASE_URI": url,
                       "STORAGE_DIR": f"{workdir}/storage", "SECRET_KEY": "bench-fuzz",
                       "PHONE_HASH_KEY": "bench-fuzz", "REDIS_URL": None,
                       "PUBLIC_URL": "http://localhost", "ODK_VALIDATE": False})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=5,
                        help="schemathesis: per operation, role, mode and ids choice")
    parser.add_argument("--inputs", type=int, default=300, help="hypothesis: per door variant")
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--only", default="api,submissions,uploads,odata,sms")
    parser.add_argument("--database", default=os.environ.get("FUZZ_DATABASE_URL"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.CRITICAL)
    logging.disable(logging.ERROR - 1)  # keep ERROR records: they are the tracebacks counted

    from app.extensions import db
    from tests.fuzz import doors
    from tests.fuzz.api import ROLES, Stats, fuzz

    wanted = [name.strip() for name in args.only.split(",") if name.strip()]
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
          f"seed {args.seed}; database {'postgresql' if args.database else 'sqlite'}")
    print(f"{'what':<14}{'inputs':>8}{'5xx':>6}{'tracebacks':>12}{'seconds':>9}  answers")
    failed = False
    total = Stats()
    for name in wanted:
        with tempfile.TemporaryDirectory() as workdir:
            url, cleanup = _database(args.database, workdir)
            app = _app(url, workdir)
            try:
                with app.app_context():
                    started = time.monotonic()
                    if name == "api":
                        world = doors.world(app)
                        stats = fuzz(app, _identities(world), examples=args.examples,
                                     seed_value=args.seed, real_ids=world.real)
                    else:
                        stats = doors.DOORS[name](doors.world(app), args.inputs, args.seed,
                                                  Stats())
                    stats.seconds = time.monotonic() - started
                    db.session.remove()
                    db.engine.dispose()
            finally:
                cleanup()
        answers = " ".join(f"{k}:{v}" for k, v in sorted(stats.by_status.items()))
        print(f"{name:<14}{stats.inputs:>8}{len(stats.server_errors):>6}{stats.tracebacks:>12}"
              f"{stats.seconds:>9.0f}  {answers}")
        for line in stats.server_errors[:10]:
            print(f"    5xx: {line[:200]}")
        failed |= bool(stats.server_errors or stats.tracebacks)
        total.inputs += stats.inputs
        total.server_errors += stats.server_errors
        total.tracebacks += stats.tracebacks
    print(f"{'total':<14}{total.inputs:>8}{len(total.server_errors):>6}{total.tracebacks:>12}")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
          f"roles: {', '.join(ROLES)}")
    return 1 if failed else 0


def _identities(world):
    """Every role's identity for the seeded world (the API fuzzer calls as each in turn)."""
    from tests.fuzz.api import Identity

    out = [Identity("anonymous"), Identity("app-user", base=world.keyed)]
    for role in ("viewer", "formfill", "manager", "admin"):
        out.append(Identity(role, world.headers[role]))
    return out


if __name__ == "__main__":
    sys.exit(main())
