"""After a turn's commit: finished surveys go through the one door (sync.ingest), stored
replies to the sender; a sensitive form's survey, once stored, and a declined one lose their
answers and message texts (only the submission and delivery statuses stay)."""
from __future__ import annotations

import logging
from typing import Any

from app.config import setting
from app.extensions import db
from app.messaging import channels as channel_service
from app.messaging import jobs, store
from app.messaging.store import SIMULATOR
from app.messaging.turn import Outcome
from app.models import Channel
from app.models.base import utcnow
from app.rights import erasure
from forms.settings import ConversationSettings
from sms_flows.providers import MediaRefused, get_provider
from sync import ingest as sync_ingest
from sync.errors import IngestError

log = logging.getLogger(__name__)


def after_commit(outcome: Outcome) -> None:
    """Ingest finished surveys, then hand stored replies to the send job, then purge what a
    sensitive or declined survey must not keep (replies sent inline go with it)."""
    purge = list(outcome.purge)
    for survey_id in outcome.finished:
        if ingest_finished(survey_id, submit_simulated=outcome.submit_simulated):
            purge.append(survey_id)
    if outcome.send:
        jobs.enqueue_send(outcome.send)
    for survey_id in purge:
        store.purge(survey_id, utcnow())
        db.session.commit()
    if outcome.erased_contact is not None:
        erasure.remove_files(outcome.erased_files)
        erasure.finish(outcome.erased_contact)  # now, unless a reply still waits to be sent
        db.session.commit()


def ingest_finished(survey_id: int, *, submit_simulated: bool = False) -> bool:
    """Store a completed survey through sync.ingest (idempotent by instanceID); commits;
    -> whether it was stored from a sensitive form (then it is to be purged).

    The submitter is the channel's own actor (never the person who answered). A simulated
    conversation is stored only when `submit_simulated`, with the channel
    `simulated-<medium>`; otherwise its instance stays on the conversation only.
    """
    row = store.by_id(survey_id)
    if row is None or row.instance_id or not row.instance_xml:
        return False
    channel = row.medium
    if row.session_key == SIMULATOR:
        if not submit_simulated:
            log.info("conversation.simulated_not_stored conversation=%s", survey_id)
            return False
        channel = f"simulated-{row.medium}"
    try:
        attachments = _media(row)
    except MediaRefused as refused:
        # Kept, not stored: `channels tick` tries the download again (a "media: " error).
        store.set_ingested(survey_id, error=f"{store.MEDIA_ERROR}{refused.reason}"[:1000])
        db.session.commit()
        log.warning("conversation.media_failed conversation=%s reason=%s", survey_id,
                    refused.reason)
        return False
    try:
        result = sync_ingest.ingest(
            project_id=row.project_id, xml=row.instance_xml.encode("utf-8"),
            attachments=attachments, channel=channel, submitter_id=row.channel_actor_id,
            device_id=None)
    except IngestError as error:
        message = f"{getattr(error, 'code', 'ingest')}: {error}"[:1000]
        store.set_ingested(survey_id, error=message)
        db.session.commit()
        log.warning("conversation.ingest_failed conversation=%s error=%s", survey_id, message)
        return False
    store.set_ingested(survey_id, instance_id=result.instance_id)
    db.session.commit()
    return row.session_key != SIMULATOR and ConversationSettings.from_json(
        row.conversation).sensitive


def _media(row: Any) -> dict[str, bytes]:
    """The photos and voice notes that answered questions (WhatsApp), downloaded from the
    provider with the channel's credentials: the submission's attachments."""
    media = (row.state or {}).get("media") or {}
    if not media:
        return {}
    channel = db.session.get(Channel, row.channel_id)
    provider = get_provider(channel.provider)
    credentials = channel_service.credentials(channel)
    return {name: provider.fetch_media(credentials, item["url"],
                                       max_bytes=setting("MAX_SUBMISSION_BYTES"),
                                       prefixes=setting("TWILIO_MEDIA_PREFIXES")).content
            for name, item in media.items()}
