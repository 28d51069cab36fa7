"""Quarantine: a background job that crashes or kills its worker twice is set aside (issue 12).

One mechanism for every kind of job: pipeline rows (`pipeline`, outbox ids), SMS sends (`sms`,
message ids), webhook deliveries (`webhook`, delivery ids) and export jobs (`export`, export job
ids). Before a job runs, Redis counts a start for its item; a run that ends (done, or failed in
a way the job recorded) clears it. A start still counted when the item runs again means the
last run never ended: its worker was killed (OOM, SIGKILL, a segfault) or it raised something
unexpected (a timeout included). After KILLS_BEFORE_QUARANTINE such runs the item is not run
again: the job's own row is marked failed with the reason, the item is listed here (`/health`,
`GET /v1/pipeline/failed`, the admin pipeline page) and it waits, never holding back the
others, until `flask pipeline retry-failed` (or the kind's own retry: an SMS resend, a webhook
delivery retry) forgets its count and runs it once more.

Without REDIS_URL there is no worker to kill: jobs run inline in the request, unguarded.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from redis.exceptions import RedisError

from app import queues
from app.models.base import utcnow

log = logging.getLogger(__name__)
PIPELINE, SMS, WEBHOOK, EXPORT = "pipeline", "sms", "webhook", "export"
KINDS = (PIPELINE, SMS, WEBHOOK, EXPORT)
KILLS_BEFORE_QUARANTINE = 2
PREFIX = "quarantined:"
KILLED = ("quarantined: its worker was killed {kills} while processing it "
          "(memory or time limit?); `flask pipeline retry-failed` tries again")
CRASHED = ("quarantined: it crashed or its worker was killed {kills} while processing it "
           "(last error: {error}); `flask pipeline retry-failed` tries again")
T = TypeVar("T")


def _times(n: int) -> str:
    return "once" if n == 1 else f"{n} times"


def _starts(kind: str) -> str:
    return f"{queues.prefix()}:{kind}-starts"


def _errors(kind: str) -> str:
    return f"{queues.prefix()}:{kind}-errors"


def _listed(kind: str) -> str:
    return f"{queues.prefix()}:quarantined-{kind}"


# --- counting starts that never finished -------------------------------------------------------

def started(kind: str, ids: Iterable[int]) -> dict[int, int]:
    """Count a start for each item; -> its starts so far, this one included."""
    ids = list(ids)
    if not ids:
        return {}
    pipe = queues.connection().pipeline(transaction=False)
    for item_id in ids:
        pipe.hincrby(_starts(kind), str(item_id), 1)
    return dict(zip(ids, (int(n) for n in pipe.execute()), strict=True))


def finished(kind: str, ids: Iterable[int]) -> None:
    """These items' run ended (done, or failed with an outcome the job recorded)."""
    keys = [str(i) for i in ids]
    if keys:
        pipe = queues.connection().pipeline(transaction=False)
        pipe.hdel(_starts(kind), *keys)
        pipe.hdel(_errors(kind), *keys)
        pipe.execute()


def interrupted(kind: str, ids: Iterable[int]) -> set[int]:
    """Items with a start counted and never finished: their last run died (or raised)."""
    ids = list(ids)
    if not ids:
        return set()
    counts = queues.connection().hmget(_starts(kind), [str(i) for i in ids])
    return {i for i, n in zip(ids, counts, strict=True) if n and int(n) > 0}


def crashed(kind: str, item_id: int, error: BaseException) -> None:
    """A run raised unexpectedly: its start stays counted (a strike, as a kill), and the error
    is kept for the reason."""
    text = f"{error.__class__.__name__}: {error}"[:300]
    queues.connection().hset(_errors(kind), str(item_id), text)


def reason(kind: str, item_id: int, starts: int) -> str | None:
    """Why an item starting for the `starts`-th time must not run, or None when it may."""
    kills = starts - 1
    if kills < KILLS_BEFORE_QUARANTINE:
        return None
    error = queues.connection().hget(_errors(kind), str(item_id))
    if error:
        return CRASHED.format(kills=_times(kills), error=error.decode(errors="replace"))
    return KILLED.format(kills=_times(kills))


# --- the list of what is set aside ---------------------------------------------------------

def put(kind: str, item_id: int, why: str) -> None:
    """List an item as quarantined (its own row says so too: the caller marks it)."""
    queues.connection().hset(_listed(kind), str(item_id),
                             json.dumps({"reason": why, "at": utcnow().isoformat()}))
    log.error("quarantine kind=%s id=%s %s", kind, item_id, why)


def forget(kind: str, ids: Iterable[int]) -> None:
    """Retry: the items start again from nothing and leave the list. Never raises when Redis
    is down (the retry then runs, and counts, from where it was)."""
    keys = [str(i) for i in ids]
    if not keys or queues.redis_url() is None:
        return
    try:
        pipe = queues.connection().pipeline(transaction=False)
        for key in (_starts(kind), _errors(kind), _listed(kind)):
            pipe.hdel(key, *keys)
        pipe.execute()
    except RedisError as error:
        log.warning("quarantine could not forget %s %s (%s)", kind, keys,
                    error.__class__.__name__)


def entries(kinds: Iterable[str] = KINDS) -> list[dict[str, Any]]:
    """What is quarantined, per kind, oldest first: kind, ref (the item's id), error, since."""
    out = []
    for kind in kinds:
        for key, value in queues.connection().hgetall(_listed(kind)).items():
            data = json.loads(value)
            out.append({"kind": kind, "ref": int(key), "error": data["reason"],
                        "endedAt": data["at"]})
    return sorted(out, key=lambda e: (e["endedAt"], e["kind"], e["ref"]))


def counts() -> dict[str, int]:
    """How many items of each kind are quarantined (for /health)."""
    pipe = queues.connection().pipeline(transaction=False)
    for kind in KINDS:
        pipe.hlen(_listed(kind))
    return dict(zip(KINDS, (int(n) for n in pipe.execute()), strict=True))


# --- a guarded job ---------------------------------------------------------------------------

def guard(kind: str, item_id: int, run: Callable[[int, bool], T],
          set_aside: Callable[[int, str], T],
          expected: tuple[type[BaseException], ...] = ()) -> T:
    """Run one item's job under the count: `run(item_id, resumed)` (`resumed`: its last run
    never ended), or `set_aside(item_id, reason)` (mark its row failed) when it crashed or was
    killed KILLS_BEFORE_QUARANTINE times. Exceptions in `expected` are outcomes the job
    recorded (a provider's 5xx, a receiver's 503): they end the run like a return."""
    if queues.redis_url() is None:
        return run(item_id, False)
    starts = started(kind, [item_id])[item_id]
    why = reason(kind, item_id, starts)
    if why is not None:
        put(kind, item_id, why)
        return set_aside(item_id, why)
    try:
        result = run(item_id, starts > 1)
    except expected:
        finished(kind, [item_id])
        raise
    except Exception as error:
        crashed(kind, item_id, error)
        raise
    finished(kind, [item_id])
    return result


def abandoned(kind: str, rq_job: Any, exc_type: type | None,
              set_aside: Callable[[int, str], object]) -> bool:
    """For an RQ failure callback: a job that failed for good by dying (its worker killed, RQ
    out of retries) before the count could set it aside is set aside now; -> whether it was.
    A job with retries left runs again, and its next start is counted."""
    from rq.exceptions import AbandonedJobError

    item_id = rq_job.args[0] if rq_job.args else None
    if item_id is None or rq_job.retries_left or exc_type is not AbandonedJobError:
        return False
    kills = int(queues.connection().hget(_starts(kind), str(item_id)) or 0)
    why = KILLED.format(kills=_times(max(kills, 1)))
    put(kind, item_id, why)
    set_aside(item_id, why)
    return True


def is_quarantined(error: str | None) -> bool:
    """Does a row's recorded error say it was quarantined?"""
    return bool(error) and error.startswith(PREFIX)


def listed_ids(kind: str) -> list[int]:
    """The ids of one kind's quarantined items."""
    return sorted(int(k) for k in queues.connection().hkeys(_listed(kind)))
