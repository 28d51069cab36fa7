"""Every SMS/USSD/WhatsApp channel has an actor of its own, the submitter of its surveys.

Submissions that came in over a channel were stored with no submitter, so the API answered
`"submitterId": null`, which pyodk's model (an integer, as ODK Central always has) refuses for
the whole listing. `channels.actor_id` now names an actor of type `channel` (it never logs
in), named after the channel: kind, address and provider, e.g. "SMS 21606 (Africa's Talking)"
(no personal data: the channel is not the citizen who answered).

Upgrade creates that actor for every channel, deleted ones included, then gives existing
channel submissions with no submitter their channel's actor, on `submissions` and on
`submission_defs` (the version the conversation stored):

1. by the conversation that produced the submission: the conversation's `instance_id` and
   `form_id` name it, its `channel_id` names the channel (of the conversation's project);
2. otherwise (no such conversation left, or a `simulated-*` submission), a submission whose
   channel is a messaging medium (`sms`, `compact`, `ussd`, `whatsapp`, or `simulated-` one of
   these) gets the actor of the project's one channel of that kind (`compact` SMS travel over
   an SMS or a WhatsApp channel), counting deleted channels too;
3. anything else keeps its NULL submitter: a project with no channel or with more than one
   channel of that kind (which of them sent it cannot be known), or a version other than the
   one the channel stored (an edit's submitter is its editor). Such rows are only those.

Rule 2 also applies to SMS/USSD submissions a field office synced up before it had this
revision (they arrive with no submitter and no conversation here): where the central project
has exactly one channel of that kind, they are attributed to it.

Downgrade sets the submitter of every submission and version that a channel actor holds back
to NULL, drops `channels.actor_id` and deletes the channel actors.

Revision ID: 0015_channel_actors
Revises: 0014_allow_phone_numbers_key
Create Date: 2026-12-07
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from migrations.helpers import TS

revision = "0015_channel_actors"
down_revision = "0014_allow_phone_numbers_key"
branch_labels = None
depends_on = None

ACTOR_TYPE = "channel"
# A frozen copy of app.messaging.channels.actor_name's names (history must not follow the app).
KIND_NAMES = {"sms": "SMS", "ussd": "USSD", "whatsapp": "WhatsApp"}
PROVIDER_NAMES = {"africastalking": "Africa's Talking", "twilio": "Twilio",
                  "simulator": "simulator"}
# A submission's channel (the conversation's medium) -> the kinds of channel it travels over.
MEDIUM_KINDS = {"sms": ("sms",), "compact": ("sms", "whatsapp"), "ussd": ("ussd",),
                "whatsapp": ("whatsapp",)}

actors = sa.table("actors", sa.column("id", sa.Integer()), sa.column("type", sa.String()),
                  sa.column("display_name", sa.String()), sa.column("created_at", TS))
channels = sa.table("channels", sa.column("id", sa.Integer()),
                    sa.column("project_id", sa.Integer()), sa.column("provider", sa.String()),
                    sa.column("kind", sa.String()), sa.column("address", sa.String()),
                    sa.column("created_at", TS), sa.column("actor_id", sa.Integer()))
conversations = sa.table("conversations", sa.column("project_id", sa.Integer()),
                         sa.column("channel_id", sa.Integer()), sa.column("form_id", sa.Integer()),
                         sa.column("instance_id", sa.String()))
forms = sa.table("forms", sa.column("id", sa.Integer()), sa.column("project_id", sa.Integer()))
submissions = sa.table("submissions", sa.column("id", sa.Integer()),
                       sa.column("form_id", sa.Integer()), sa.column("instance_id", sa.String()),
                       sa.column("channel", sa.String()), sa.column("submitter_id", sa.Integer()))
defs = sa.table("submission_defs", sa.column("submission_id", sa.Integer()),
                sa.column("form_id", sa.Integer()), sa.column("instance_id", sa.String()),
                sa.column("submitter_id", sa.Integer()))


def _name(provider: str, kind: str, address: str | None) -> str:
    words = [KIND_NAMES.get(kind, kind), *([address] if address else [])]
    return f"{' '.join(words)} ({PROVIDER_NAMES.get(provider, provider)})"[:255]


def _create_actors(connection: sa.Connection) -> None:
    rows = connection.execute(sa.select(channels.c.id, channels.c.provider, channels.c.kind,
                                        channels.c.address, channels.c.created_at)
                              .order_by(channels.c.id)).all()
    for row in rows:
        actor_id = connection.execute(actors.insert().values(
            type=ACTOR_TYPE, display_name=_name(row.provider, row.kind, row.address),
            created_at=row.created_at or datetime.now(UTC)).returning(actors.c.id)).scalar_one()
        connection.execute(channels.update().where(channels.c.id == row.id)
                           .values(actor_id=actor_id))


def _by_conversation(connection: sa.Connection, table: sa.TableClause) -> None:
    """Rule 1 on `table` (submissions or submission_defs: both have form_id + instance_id)."""
    actor = (sa.select(sa.func.min(channels.c.actor_id))
             .select_from(conversations.join(channels,
                                             channels.c.id == conversations.c.channel_id))
             .where(conversations.c.form_id == table.c.form_id,
                    conversations.c.instance_id == table.c.instance_id,
                    channels.c.project_id == conversations.c.project_id)
             .scalar_subquery())
    connection.execute(table.update().where(table.c.submitter_id.is_(None),
                                            actor.is_not(None)).values(submitter_id=actor))


def _by_project_channel(connection: sa.Connection) -> None:
    """Rule 2: the project's one channel of the medium's kind, if it has exactly one."""
    media = [*MEDIUM_KINDS, *(f"simulated-{m}" for m in MEDIUM_KINDS)]
    pending = connection.execute(
        sa.select(forms.c.project_id, submissions.c.channel).distinct()
        .select_from(submissions.join(forms, forms.c.id == submissions.c.form_id))
        .where(submissions.c.submitter_id.is_(None), submissions.c.channel.in_(media))).all()
    for project_id, medium in pending:
        kinds = MEDIUM_KINDS[medium.removeprefix("simulated-")]
        found = connection.scalars(sa.select(channels.c.actor_id).where(
            channels.c.project_id == project_id, channels.c.kind.in_(kinds))).all()
        if len(found) != 1:
            continue
        actor_id = found[0]
        in_project = sa.select(forms.c.id).where(forms.c.project_id == project_id)
        chosen = sa.select(submissions.c.id).where(
            submissions.c.form_id.in_(in_project), submissions.c.channel == medium,
            submissions.c.submitter_id.is_(None))
        ids = connection.scalars(chosen).all()
        for start in range(0, len(ids), 500):
            batch = ids[start:start + 500]
            connection.execute(submissions.update().where(submissions.c.id.in_(batch))
                               .values(submitter_id=actor_id))
            # The version the channel stored: the first, named by the submission's instanceID.
            first = sa.select(submissions.c.id).where(
                submissions.c.id == defs.c.submission_id,
                submissions.c.instance_id == defs.c.instance_id).exists()
            connection.execute(defs.update().where(defs.c.submission_id.in_(batch),
                                                   defs.c.submitter_id.is_(None), first)
                               .values(submitter_id=actor_id))


def upgrade() -> None:
    with op.batch_alter_table("channels") as batch:
        batch.add_column(sa.Column("actor_id", sa.Integer(), nullable=True))
    connection = op.get_bind()
    _create_actors(connection)
    with op.batch_alter_table("channels") as batch:
        batch.alter_column("actor_id", existing_type=sa.Integer(), nullable=False)
        batch.create_foreign_key(op.f("fk_channels_actor_id_actors"), "actors",
                                 ["actor_id"], ["id"])
    _by_conversation(connection, submissions)
    _by_conversation(connection, defs)
    _by_project_channel(connection)


def downgrade() -> None:
    connection = op.get_bind()
    channel_actors = sa.select(actors.c.id).where(actors.c.type == ACTOR_TYPE)
    for table in (submissions, defs):
        connection.execute(table.update().where(table.c.submitter_id.in_(channel_actors))
                           .values(submitter_id=None))
    with op.batch_alter_table("channels") as batch:
        batch.drop_constraint(op.f("fk_channels_actor_id_actors"), type_="foreignkey")
        batch.drop_column("actor_id")
    connection.execute(actors.delete().where(actors.c.type == ACTOR_TYPE))
