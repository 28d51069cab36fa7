"""0015 gives every channel an actor and existing channel submissions that actor as submitter."""
from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, text

from app import migrate
from tests.migrations.test_migrations import empty_url  # noqa: F401  (the fixture)

BEFORE = "0014_allow_phone_numbers_key"
AFTER = "0015_channel_actors"
NOW = "CURRENT_TIMESTAMP"


def _insert(conn, table: str, **values: Any) -> int:
    columns = ", ".join(values)
    params = ", ".join(NOW if v is NOW else f":{k}" for k, v in values.items())
    return conn.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({params}) RETURNING id"),
                        {k: v for k, v in values.items() if v is not NOW}).scalar_one()


def _channel(conn, project: int, provider: str, kind: str, address: str) -> int:
    return _insert(conn, "channels", project_id=project, provider=provider, kind=kind,
                   address=address, secret="s", settings="{}", enabled=True, created_at=NOW)


def _submission(conn, form: int, version: int, instance_id: str, channel: str,
                submitter: int | None = None) -> int:
    sid = _insert(conn, "submissions", form_id=form, instance_id=instance_id, channel=channel,
                  submitter_id=submitter, created_at=NOW)
    _insert(conn, "submission_defs", submission_id=sid, form_id=form, form_version_id=version,
            instance_id=instance_id, xml="<data/>", xml_sha256="0" * 64, data="{}",
            submitter_id=submitter, current=True, created_at=NOW)
    return sid


def _conversation(conn, project: int, channel: int, contact: int, form: int,
                  instance_id: str) -> None:
    _insert(conn, "conversations", project_id=project, channel_id=channel, contact_id=contact,
            form_id=form, medium="sms", status="completed", state="{}", version=1,
            started_at=NOW, last_activity_at=NOW, instance_id=instance_id)


def _seed(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.begin() as conn:
        user = _insert(conn, "actors", type="user", display_name="Amina", created_at=NOW)
        ids: dict[str, int] = {"user": user}
        for name in ("two_sms", "one_each"):
            project = _insert(conn, "projects", name=name, archived=False, settings="{}",
                              created_at=NOW)
            form = _insert(conn, "forms", project_id=project, xml_form_id="f", state="open",
                           created_at=NOW)
            version = _insert(conn, "form_versions", form_id=form, version="1", xml="<h/>",
                              hash="h", sha256="s", sdg_mapping="{}", disaggregation="{}",
                              validated=True, warnings="[]", created_at=NOW,
                              conversation="{}", indicators="[]")
            contact = _insert(conn, "contacts", project_id=project, phone_hash=f"h{project}",
                              phone_encrypted="e", created_at=NOW)
            ids.update({f"{name}.project": project, f"{name}.form": form,
                        f"{name}.version": version, f"{name}.contact": contact})
        p, f, v = ids["two_sms.project"], ids["two_sms.form"], ids["two_sms.version"]
        ids["at1"] = _channel(conn, p, "africastalking", "sms", "21606")
        ids["at2"] = _channel(conn, p, "twilio", "sms", "+254700000001")
        # By its conversation, although the project has two SMS channels.
        ids["by_conversation"] = _submission(conn, f, v, "uuid:conv", "sms")
        _conversation(conn, p, ids["at2"], ids["two_sms.contact"], f, "uuid:conv")
        # No conversation and two SMS channels: which one sent it cannot be known.
        ids["ambiguous"] = _submission(conn, f, v, "uuid:ambiguous", "sms")
        ids["collect"] = _submission(conn, f, v, "uuid:collect", "collect")
        ids["by_user"] = _submission(conn, f, v, "uuid:user", "sms", submitter=user)
        p, f, v = ids["one_each.project"], ids["one_each.form"], ids["one_each.version"]
        ids["ussd"] = _channel(conn, p, "africastalking", "ussd", "*384*1#")
        ids["sim"] = _channel(conn, p, "simulator", "sms", "")
        # No conversation: the project's one channel of that kind.
        ids["simulated"] = _submission(conn, f, v, "uuid:sim", "simulated-ussd")
        ids["compact"] = _submission(conn, f, v, "uuid:compact", "compact")
        ids["whatsapp"] = _submission(conn, f, v, "uuid:wa", "whatsapp")  # no such channel
    engine.dispose()
    return ids


def _read(url: str, sql: str) -> dict:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = dict(conn.execute(text(sql)).all())
    engine.dispose()
    return rows


def test_channels_get_actors_and_their_submissions_a_submitter_and_back(empty_url):  # noqa: F811
    migrate.upgrade(empty_url, BEFORE)
    ids = _seed(empty_url)
    migrate.upgrade(empty_url, AFTER)

    actor_of = _read(empty_url, "SELECT id, actor_id FROM channels")
    names = _read(empty_url, "SELECT a.display_name, a.type FROM channels c "
                             "JOIN actors a ON a.id = c.actor_id")
    assert names == {"SMS 21606 (Africa's Talking)": "channel",
                     "SMS +254700000001 (Twilio)": "channel",
                     "USSD *384*1# (Africa's Talking)": "channel",
                     "SMS (simulator)": "channel"}
    expected = {ids["by_conversation"]: actor_of[ids["at2"]], ids["ambiguous"]: None,
                ids["collect"]: None, ids["by_user"]: ids["user"],
                ids["simulated"]: actor_of[ids["ussd"]], ids["compact"]: actor_of[ids["sim"]],
                ids["whatsapp"]: None}
    assert _read(empty_url, "SELECT id, submitter_id FROM submissions") == expected
    assert _read(empty_url, "SELECT submission_id, submitter_id FROM submission_defs") == \
        expected

    migrate.downgrade(empty_url, BEFORE)
    back = {sid: (ids["user"] if sid == ids["by_user"] else None) for sid in expected}
    assert _read(empty_url, "SELECT id, submitter_id FROM submissions") == back
    assert _read(empty_url, "SELECT submission_id, submitter_id FROM submission_defs") == back
    assert _read(empty_url, "SELECT type, COUNT(*) FROM actors GROUP BY type") == {"user": 1}
