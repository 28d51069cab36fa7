"""Outbound messages: stored first, sent by a job, retried only when surely not taken.

Opt-out is enforced here, twice: nothing is queued for an opted-out person, and a queued
message is checked again just before it goes out (they may have texted STOP meanwhile).
"""
from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta

from sqlalchemy import select, update

from app import crypto, problems, quarantine, queues
from app.extensions import db
from app.messaging import channels as channel_service
from app.messaging import contacts, store
from app.messaging.contacts import Person
from app.messaging.store import Place
from app.messaging.throttle import outbound_allowed
from app.messaging.turn import Turn, store_messages
from app.models import Channel, Contact, Message
from app.models.base import utcnow
from app.rights import erasure
from sms_flows.providers import SendFailed, get_provider
from sms_flows.types import UNSENT, DeliveryReport, MessageStatus, advances

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 4
RESENDABLE = (MessageStatus.FAILED, MessageStatus.UNKNOWN, MessageStatus.SENDING,
              MessageStatus.THROTTLED)
WHATSAPP_SESSION = timedelta(hours=24)
# Gone, or never to be sent.
FINAL = (MessageStatus.ACCEPTED, MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.FAILED,
         MessageStatus.UNKNOWN)
OUTSIDE_SESSION = "outside WhatsApp's 24-hour session: not sent as free text"


def queue(channel: Channel, person: Person, text: str, *,
          now: datetime | None = None) -> int | None:
    """Store one message to send (the caller commits, then hands the id to `jobs`); None
    (nothing stored) when the person has opted out."""
    turn = Turn(channel.id, channel.project_id, Place(True, False, {}, {}), person, None,
                now or utcnow())
    store_messages(turn, None, [text])
    return turn.outcome.send[0] if turn.outcome.send else None


def queued_ids(older_than: float = 0, limit: int | None = None) -> list[int]:
    """Outbound messages still queued (their job lost, or never made: Redis was down), oldest
    first; `older_than` seconds leaves the ones whose job is surely on its way."""
    query = select(Message.id).where(Message.direction == "out",
                                     Message.status == MessageStatus.QUEUED)
    if older_than:
        query = query.where(Message.status_at < utcnow() - timedelta(seconds=older_than))
    return list(db.session.scalars(query.order_by(Message.id).limit(limit)))


def send(message_id: int) -> str:
    """Send one queued message now; commits. Returns sent | retry | failed | unknown | skipped.

    Claiming the row (queued → sending) in its own commit makes a second job for the same
    message a no-op, so a job run twice never texts twice.
    """
    claimed = db.session.execute(update(Message).where(
        Message.id == message_id, Message.status == MessageStatus.QUEUED, Message.direction == "out"
    ).values(status=MessageStatus.SENDING, attempts=Message.attempts + 1, status_at=utcnow()))
    db.session.commit()
    if claimed.rowcount != 1:
        return "skipped"
    message = db.session.get(Message, message_id)
    channel = db.session.get(Channel, message.channel_id)
    contact = db.session.get(Contact, message.contact_id)
    outcome = _send(message, channel, contact)
    if message.status in FINAL:
        _after_final(message, contact)
    return outcome


def _after_final(message: Message, contact: Contact) -> None:
    """A reply has gone (or never will): a purged survey's text and an erased person's last
    trace go with it."""
    if message.conversation_id is not None:
        store.blank_sent(message.id)
    if contact.erased_at is not None:
        erasure.finish(contact.id)
    db.session.commit()


def _send(message: Message, channel: Channel, contact: Contact) -> str:
    if contact.opted_out_at is not None:
        return _finish(message, MessageStatus.FAILED, error="opted out")
    if channel.deleted_at is not None or not channel.enabled:
        return _finish(message, MessageStatus.FAILED, error="channel disabled")
    if channel.kind == "whatsapp" and _outside_session(message):
        return _finish(message, MessageStatus.FAILED, error=OUTSIDE_SESSION)
    if not outbound_allowed(channel.id, str(contact.id)):
        log.warning("outbound.throttled message=%s channel=%s contact=%s", message.id,
                    channel.id, contact.id)
        return _finish(message, MessageStatus.THROTTLED, error="over SMS_NUMBER_PER_MINUTE or "
                                                   "SMS_CHANNEL_PER_MINUTE; not sent")
    provider = get_provider(channel.provider)
    throttle(channel)
    at_provider = _ProviderCall(message.id)
    try:
        result = provider.send(
            channel_service.credentials(channel), channel.address,
            crypto.decrypt(contact.phone_encrypted), message.text,
            status_callback=channel_service.webhook_urls(channel).get("status"),
            settings=channel.settings, kind=channel.kind)
    except SendFailed as failure:
        at_provider.done()
        log.warning("outbound.failed message=%s channel=%s retry=%s ambiguous=%s reason=%s",
                    message.id, channel.id, failure.retry, failure.ambiguous, failure.reason)
        message.provider_status = failure.provider_status
        if failure.opted_out:
            contacts.opt_out(contact.id)
            return _finish(message, MessageStatus.FAILED, error=f"opted out: {failure.reason}")
        if failure.ambiguous:
            return _finish(message, MessageStatus.UNKNOWN, error=failure.reason)
        if failure.retry and message.attempts < MAX_ATTEMPTS:
            return _finish(message, MessageStatus.QUEUED, error=failure.reason, outcome="retry")
        return _finish(message, MessageStatus.FAILED, error=failure.reason)
    at_provider.done()
    message.provider_message_id = result.provider_id
    message.provider_status = result.provider_status
    message.sent_at = utcnow()
    log.info("outbound.sent message=%s channel=%s provider_id=%s", message.id, channel.id,
             result.provider_id)
    return _finish(message, result.status, error=None, outcome="sent")


class _ProviderCall:
    """In queued mode, Redis notes that a message is in the provider's hands until the call
    returns: a worker killed meanwhile leaves the note, and the message is never sent again
    by itself (it may have gone). A raise other than SendFailed leaves it too."""

    KIND = "sms-at-provider"

    def __init__(self, message_id: int) -> None:
        self.message_id = message_id
        self.noted = queues.redis_url() is not None
        if self.noted:
            quarantine.started(self.KIND, [message_id])

    def done(self) -> None:
        if self.noted:
            quarantine.finished(self.KIND, [self.message_id])
            self.noted = False


MAYBE_SENT = ("its worker stopped while the provider had it: it may have been sent; resend "
              "to try again")


def recover(message_id: int, *, crashed: bool = False) -> str | None:
    """A send of this message did not end: its worker died (a job finds this when it runs
    the message again) or it raised (`crashed`, said by the job that caught it). A message
    still `sending` that was claimed less than a job's timeout ago is in a live job's hands
    (a duplicate job): -> "skipped". One the provider had may have gone: unknown, never sent
    again by itself (-> its status). Otherwise it goes back to the queue (-> None: send it)."""
    message = db.session.get(Message, message_id)
    if message is None or message.direction != "out" or message.status != MessageStatus.SENDING:
        db.session.rollback()
        return None
    if not crashed and message.status_at > utcnow() - timedelta(seconds=queues.SMS_TIMEOUT):
        db.session.rollback()
        return "skipped"
    ambiguous = bool(quarantine.interrupted(_ProviderCall.KIND, [message_id]))
    quarantine.finished(_ProviderCall.KIND, [message_id])
    if ambiguous:
        log.warning("outbound.interrupted message=%s at the provider: unknown", message_id)
        return _finish(message, MessageStatus.UNKNOWN, error=MAYBE_SENT)
    message.status = MessageStatus.QUEUED
    message.status_at = utcnow()
    db.session.commit()
    return None


def fail(message_id: int, reason: str) -> None:
    """Mark a message failed with the reason (quarantine), unless it already went."""
    message = db.session.get(Message, message_id)
    if message is not None and message.status in UNSENT:
        _finish(message, MessageStatus.FAILED, error=reason)
    db.session.rollback()


def requeue_quarantined(message_ids: list[int]) -> list[int]:
    """Quarantined messages back to queued (the caller commits and sends); -> those."""
    rows = list(db.session.scalars(select(Message).where(
        Message.id.in_(message_ids), Message.direction == "out",
        Message.status == MessageStatus.FAILED)))
    requeued = []
    for message in rows:
        if quarantine.is_quarantined(message.error):
            message.status, message.error, message.status_at = MessageStatus.QUEUED, None, utcnow()
            requeued.append(message.id)
    return requeued


def _outside_session(message: Message) -> bool:
    """WhatsApp takes free text only within 24 hours of the person's last message (after
    that only approved templates, which surveys do not send)."""
    last = store.last_inbound(message.channel_id, message.contact_id)
    return last is None or utcnow() - last > WHATSAPP_SESSION


def _finish(message: Message, status: str, *, error: str | None,
            outcome: str | None = None) -> str:
    message.status = status
    message.error = error[:1000] if error else None
    message.status_at = utcnow()
    db.session.commit()
    return outcome or status


def resend(message: Message) -> Message:
    """Put a failed (or possibly-sent) message back in the queue, by a person's decision."""
    if message.direction != "out" or message.status not in RESENDABLE:
        raise problems.invalid_state(f"Only a failed outbound message can be resent; this one "
                                      f"is {message.status}.", {"status": message.status})
    contact = db.session.get(Contact, message.contact_id)
    if contact.opted_out_at is not None:
        raise problems.invalid_state("This person has opted out; nothing can be sent until "
                                      "they text START.", {"status": "opted-out"})
    quarantine.forget(quarantine.SMS, [message.id])
    message.status = MessageStatus.QUEUED
    message.error = None
    message.provider_message_id = None
    message.provider_status = None
    message.status_at = utcnow()
    return message


def apply_report(channel: Channel, report: DeliveryReport) -> Message | None:
    """Record a delivery report; a status never moves backwards. Opt-outs are recorded."""
    message = db.session.scalar(select(Message).where(
        Message.channel_id == channel.id, Message.direction == "out",
        Message.provider_message_id == report.provider_id))
    if report.opted_out_phone:
        person = contacts.find(channel.project_id, report.opted_out_phone)
        if person is not None:
            contacts.opt_out(person.id)
    if message is None:
        return None
    if advances(message.status, report.status):
        message.status = report.status
        message.provider_status = report.provider_status
        message.status_at = utcnow()
        if report.error:
            message.error = report.error
    return message


# --- per-channel throttle -----------------------------------------------------------------

_local_lock = threading.Lock()
_local_next: dict[int, float] = {}


def throttle(channel: Channel) -> None:
    """Wait until this channel may send again: `settings.ratePerSecond` (default 10) messages
    a second, shared by every worker through Redis when REDIS_URL is set."""
    rate = float((channel.settings or {}).get("ratePerSecond") or 10)
    if rate <= 0:
        return
    if queues.redis_url():
        _redis_throttle(channel.id, rate)
        return
    with _local_lock:
        now = time.monotonic()
        slot = max(now, _local_next.get(channel.id, now))
        _local_next[channel.id] = slot + 1.0 / rate
    if slot > now:
        time.sleep(slot - now)


def _redis_throttle(channel_id: int, rate: float) -> None:
    client = queues.connection()
    limit = max(1, int(rate))
    while True:
        second = int(time.time())
        key = f"datashift:sms:rate:{channel_id}:{second}"
        count = client.incr(key)
        if count == 1:
            client.expire(key, 5)
        if count <= limit:
            return
        time.sleep(max(0.0, second + 1 - time.time()))
