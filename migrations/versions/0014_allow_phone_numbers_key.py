"""One key for the project switch that keeps phone numbers in clear: `allowPhoneNumbers`.

The SMS service read `allowPhoneNumbers` and the pipeline `allow_phone_numbers`, so a project
could hold one, the other or both with different values. The API's camelCase name wins; a
project that had either set to true keeps clear numbers (the more permissive reading is what
that project's SMS or pipeline already did), and `allow_phone_numbers` is removed.

Revision ID: 0014_allow_phone_numbers_key
Revises: 0013_webhook_networks
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from migrations.helpers import JSON

revision = "0014_allow_phone_numbers_key"
down_revision = "0013_webhook_networks"
branch_labels = None
depends_on = None

projects = sa.table("projects", sa.column("id", sa.Integer()), sa.column("settings", JSON))
OLD, NEW = "allow_phone_numbers", "allowPhoneNumbers"


def _rewrite(change) -> None:
    connection = op.get_bind()
    for project_id, settings in connection.execute(sa.select(projects.c.id, projects.c.settings)):
        if isinstance(settings, dict):
            updated = change(dict(settings))
            if updated != settings:
                connection.execute(projects.update().where(projects.c.id == project_id)
                                   .values(settings=updated))


def _to_camel(settings: dict) -> dict:
    if OLD in settings:
        settings[NEW] = bool(settings.pop(OLD)) or bool(settings.get(NEW))
    return settings


def _to_snake(settings: dict) -> dict:
    # Before this revision the pipeline read the snake_case key: give it the same value.
    if NEW in settings:
        settings[OLD] = bool(settings[NEW])
    return settings


def upgrade() -> None:
    _rewrite(_to_camel)


def downgrade() -> None:
    _rewrite(_to_snake)
