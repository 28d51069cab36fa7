"""After a turn's commit: finished surveys go through the one door (sync.ingest), stored
replies to the sender."""
from __future__ import annotations

import logging

from app.extensions import db
from app.messaging import jobs, store
from app.messaging.store import SIMULATOR
from app.messaging.turn import Outcome
from sync import ingest as sync_ingest
from sync.errors import IngestError

log = logging.getLogger(__name__)


def after_commit(outcome: Outcome) -> None:
    """Ingest finished surveys, then hand stored replies to the send job."""
    for survey_id in outcome.finished:
        ingest_finished(survey_id, submit_simulated=outcome.submit_simulated)
    if outcome.send:
        jobs.enqueue_send(outcome.send)


def ingest_finished(survey_id: int, *, submit_simulated: bool = False) -> None:
    """Store a completed survey through sync.ingest (idempotent by instanceID); commits.

    A simulated conversation is stored only when `submit_simulated`, with the channel
    `simulated-<medium>`; otherwise its instance stays on the conversation only.
    """
    row = store.by_id(survey_id)
    if row is None or row.instance_id or not row.instance_xml:
        return
    channel = row.medium
    if row.session_key == SIMULATOR:
        if not submit_simulated:
            log.info("conversation.simulated_not_stored conversation=%s", survey_id)
            return
        channel = f"simulated-{row.medium}"
    try:
        result = sync_ingest.ingest(
            project_id=row.project_id, xml=row.instance_xml.encode("utf-8"), attachments={},
            channel=channel, submitter_id=None, device_id=None)
    except IngestError as error:
        message = f"{getattr(error, 'code', 'ingest')}: {error}"[:1000]
        store.set_ingested(survey_id, error=message)
        db.session.commit()
        log.warning("conversation.ingest_failed conversation=%s error=%s", survey_id, message)
        return
    store.set_ingested(survey_id, instance_id=result.instance_id)
    db.session.commit()
