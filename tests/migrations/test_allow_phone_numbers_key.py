"""0014 folds the pipeline's `allow_phone_numbers` into the API's `allowPhoneNumbers`."""
from __future__ import annotations

import json

from sqlalchemy import create_engine, text

from app import migrate
from tests.migrations.test_migrations import empty_url  # noqa: F401  (the fixture)

BEFORE = "0013_webhook_networks"
AFTER = "0014_allow_phone_numbers_key"


def _projects(url: str) -> dict[str, dict]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT name, settings FROM projects ORDER BY id")).all()
    engine.dispose()
    return {name: settings if isinstance(settings, dict) else json.loads(settings)
            for name, settings in rows}


def test_stored_settings_move_to_the_one_key_and_back(empty_url):  # noqa: F811
    migrate.upgrade(empty_url, BEFORE)
    engine = create_engine(empty_url)
    with engine.begin() as conn:
        for name, settings in [
                ("snake", {"allow_phone_numbers": True, "smsCommands": {"stop": ["ACHA"]}}),
                ("camel", {"allowPhoneNumbers": True}),
                ("both-disagree", {"allow_phone_numbers": False, "allowPhoneNumbers": True}),
                ("snake-false", {"allow_phone_numbers": False}),
                ("none", {})]:
            conn.execute(text("INSERT INTO projects (name, archived, settings, created_at) "
                              "VALUES (:n, false, :s, CURRENT_TIMESTAMP)"),
                         {"n": name, "s": json.dumps(settings)})
    engine.dispose()
    migrate.upgrade(empty_url, AFTER)
    assert _projects(empty_url) == {
        "snake": {"allowPhoneNumbers": True, "smsCommands": {"stop": ["ACHA"]}},
        "camel": {"allowPhoneNumbers": True},
        "both-disagree": {"allowPhoneNumbers": True},
        "snake-false": {"allowPhoneNumbers": False},
        "none": {}}
    migrate.downgrade(empty_url, BEFORE)
    assert _projects(empty_url)["snake"] == {"allowPhoneNumbers": True, "allow_phone_numbers": True,
                                             "smsCommands": {"stop": ["ACHA"]}}
