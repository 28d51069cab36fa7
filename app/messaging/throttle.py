"""SMS cost safety: how many texts one number, and one channel, may send us and be sent per
minute (issue 12: 500 texts from one number in 5 s were all answered, a cost on zero-rated
short codes).

Counted per fixed minute in Redis when REDIS_URL is set (shared by every process), else in
this process. Inbound over the limit is still stored (nothing a person sent is lost) but not
answered, except once a minute per number with a "slow down" message in their language;
outbound over the limit is stored as `throttled`, not sent (a person may resend it).
Numbers never appear in the keys: only a hash of channel and number.
"""
from __future__ import annotations

import hashlib
import threading
import time
from enum import Enum

from redis.exceptions import RedisError

from app import queues
from app.config import setting

WINDOW_SECONDS = 60


class Verdict(Enum):
    ANSWER = "answer"         # within the limits: the conversation goes on
    SLOW_DOWN = "slow-down"   # over: stored, answered once with a "slow down" message
    STORE_ONLY = "store"      # over, already told: stored, not answered


def inbound(channel_id: int, sender: str) -> Verdict:
    """Count one inbound text and say what to do with it."""
    per_number, per_channel = _limits()
    number = _count(f"in:{_who(channel_id, sender)}") if per_number else 0
    channel = _count(f"in:{channel_id}") if per_channel else 0
    number_over = bool(per_number) and number > per_number
    if not number_over and not (per_channel and channel > per_channel):
        return Verdict.ANSWER
    if number_over and _count(f"told:{_who(channel_id, sender)}") == 1:
        return Verdict.SLOW_DOWN
    return Verdict.STORE_ONLY


def outbound_allowed(channel_id: int, phone_key: str) -> bool:
    """Count one reply to be sent to this contact (`phone_key`: its hash or id) on this
    channel; False when the number's (twice SMS_NUMBER_PER_MINUTE) or the channel's minute
    is full."""
    per_number, per_channel = _limits()
    # An answer may take two texts (a hint and the next question), and the "slow down" must
    # still go: a number may be sent twice what it may send.
    if per_number and _count(f"out:{_who(channel_id, phone_key)}") > 2 * per_number:
        return False
    return not (per_channel and _count(f"out:{channel_id}") > per_channel)


def _limits() -> tuple[int, int]:
    """(per number, per channel) a minute; 0 is no limit."""
    return int(setting("SMS_NUMBER_PER_MINUTE") or 0), int(setting("SMS_CHANNEL_PER_MINUTE") or 0)


def _who(channel_id: int, number: str) -> str:
    return hashlib.sha256(f"{channel_id}:{number}".encode()).hexdigest()[:24]


_local: dict[str, int] = {}
_local_lock = threading.Lock()


def _count(key: str) -> int:
    """This minute's count for `key`, this one included."""
    minute = int(time.time() // WINDOW_SECONDS)
    if queues.redis_url():
        name = f"{queues.prefix()}:sms-throttle:{key}:{minute}"
        try:
            pipe = queues.connection().pipeline(transaction=False)
            pipe.incr(name)
            pipe.expire(name, WINDOW_SECONDS * 2)
            return int(pipe.execute()[0])
        except RedisError:
            pass  # Redis down: count here rather than refuse or answer everything
    with _local_lock:
        name = f"{key}:{minute}"
        if len(_local) > 100_000:  # old minutes: let them go
            _local.clear()
        _local[name] = _local.get(name, 0) + 1
        return _local[name]
