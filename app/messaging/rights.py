"""MYDATA and DELETE in a turn, by text or USSD, whatever survey is open (app.rights.erasure
finds and erases; sms_flows.rights says it in the person's language).

DELETE asks first and records an erasure request; the person's next text answers it (only an
explicit yes erases; anything else, or nothing within ERASURE_CONFIRM_SECONDS, keeps
everything). On USSD the replies carry their own `CON `/`END `.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.config import setting
from app.extensions import db
from app.messaging.turn import Turn
from app.messaging.turn import command as turn_command
from app.models import Contact, ErasureRequest
from app.models.messaging import ErasureStatus
from app.rights import erasure
from sms_flows import keywords, prompts, rights
from sms_flows.messages import message


def pending(turn: Turn) -> bool:
    """Whether the person's DELETE waits for their answer (a stale one is kept, not asked)."""
    requested = turn.person.erasure_requested_at
    if requested is None:
        return False
    if turn.now - requested <= timedelta(seconds=setting("ERASURE_CONFIRM_SECONDS")):
        return True
    _decide(turn, keep=True)
    return False


def answer(turn: Turn, text: str) -> list[str] | None:
    """The replies when the text is MYDATA, DELETE or the answer to a DELETE; else None (the
    turn goes on as usual: STOP, an opted-out person's silence, the survey)."""
    if turn.person.opted_out_at is not None:
        return None
    command = turn_command(turn, text)
    if command == keywords.STOP:
        return None
    if pending(turn):
        return _confirm(turn, text)
    if command == keywords.MYDATA:
        return _mydata(turn)
    if command == keywords.DELETE:
        return _ask(turn)
    return None


def menu_choice(turn: Turn, index: int) -> list[str] | None:
    """A USSD menu entry past the surveys: 0 is "My data", 1 "Delete my data"."""
    if index == 0:
        return _mydata(turn)
    if index == 1:
        return _ask(turn)
    return None


def _language(turn: Turn) -> str | None:
    state = turn.survey.state if turn.survey is not None else {}
    return (state or {}).get("language") or turn.person.language


def _medium(turn: Turn) -> str:
    return turn.survey.medium if turn.survey is not None and turn.survey.medium != "compact" \
        else turn.place.kind


def _say(turn: Turn, text: str, *, more: bool) -> list[str]:
    medium = _medium(turn)
    fitted = prompts.fit(medium, turn.place.channel_settings, [text])
    if medium == "ussd":
        return [("CON " if more else "END ") + fitted[0]]
    return fitted


def _mydata(turn: Turn) -> list[str]:
    limit = 3 if _medium(turn) == "ussd" else 10
    text = rights.mydata(erasure.holdings(turn.person.id), _language(turn),
                         turn.place.project_settings.get("smsCommands"), limit=limit,
                         unfinished=erasure.unfinished(turn.person.id))
    return _say(turn, text, more=False)


def _ask(turn: Turn) -> list[str]:
    db.session.add(ErasureRequest(project_id=turn.project_id, channel_id=turn.channel_id,
                                  contact_id=turn.person.id, via=_medium(turn),
                                  status=ErasureStatus.PENDING, requested_at=turn.now))
    _contact(turn).erasure_requested_at = turn.now
    turn.person.erasure_requested_at = turn.now
    count = len(erasure.submission_ids(turn.person.id))
    return _say(turn, rights.confirm_delete(count, _language(turn)), more=True)


def _confirm(turn: Turn, text: str) -> list[str]:
    language, medium = _language(turn), _medium(turn)
    if not rights.confirmed(text):
        _decide(turn, keep=True)
        return _say(turn, message("kept", language), more=False)
    request = _request(turn)
    erased = erasure.erase(_contact(turn), request, turn.now)
    turn.survey = None  # erased with the rest: the replies belong to no conversation
    turn.person.erasure_requested_at = None
    turn.outcome.erased_contact = turn.person.id
    turn.outcome.erased_files += erased.files
    fitted = prompts.fit(medium, turn.place.channel_settings, [message("erased", language)])
    return ["END " + fitted[0]] if medium == "ussd" else fitted


def _decide(turn: Turn, *, keep: bool) -> None:
    request = _request(turn)
    if request is not None:
        request.status = ErasureStatus.KEPT if keep else ErasureStatus.ERASED
        request.decided_at = turn.now
        request.contact_id = None  # nothing personal stays on the request
    _contact(turn).erasure_requested_at = None
    turn.person.erasure_requested_at = None


def _request(turn: Turn) -> ErasureRequest:
    request = db.session.scalar(select(ErasureRequest).where(
        ErasureRequest.contact_id == turn.person.id, ErasureRequest.status == ErasureStatus.PENDING)
        .order_by(ErasureRequest.id.desc()).limit(1))
    if request is None:  # asked before this request list existed: make one now
        request = ErasureRequest(project_id=turn.project_id, channel_id=turn.channel_id,
                                 contact_id=turn.person.id, via=_medium(turn),
                                 status=ErasureStatus.PENDING, requested_at=turn.now)
        db.session.add(request)
        db.session.flush()
    return request


def _contact(turn: Turn) -> Contact:
    contact = db.session.get(Contact, turn.person.id)
    assert contact is not None
    return contact
