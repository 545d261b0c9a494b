"""Identity checks decided by the register: a keyed contact point on each challenge (code
limits per contact point), wrong codes per customer and contact point (lock-out), the
conversation a channel proof belongs to, and a delivery queue on the outbox (purpose,
customer, the one-time code kept only until delivery, attempts, next attempt).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from bot.register.models import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("challenges") as batch:
        batch.add_column(sa.Column("contact_hash", sa.String(64)))
        batch.create_index("ix_challenges_contact_hash", ["contact_hash"])
        batch.create_index("ix_challenges_customer_id", ["customer_id"])
    op.create_table(
        "code_failures",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", UTCDateTime, nullable=False, index=True),
        sa.Column("contact_hash", sa.String(64), index=True),
        sa.Column("customer_id", sa.Integer, index=True),
        sa.Column("cleared_at", UTCDateTime),
    )
    with op.batch_alter_table("channel_identities") as batch:
        batch.add_column(sa.Column("conversation_id", sa.String(200)))
        batch.create_index("ix_channel_identities_conversation_id", ["conversation_id"])
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("purpose", sa.String(30)))
        batch.add_column(sa.Column("customer_id", sa.Integer))
        batch.add_column(sa.Column("secret", sa.String(64)))
        batch.add_column(sa.Column("attempts", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("next_attempt_at", UTCDateTime))
        batch.create_index("ix_outbox_status", ["status"])
        batch.create_index("ix_outbox_customer_purpose", ["customer_id", "purpose"])


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_index("ix_outbox_customer_purpose")
        batch.drop_index("ix_outbox_status")
        for column in ("next_attempt_at", "attempts", "secret", "customer_id", "purpose"):
            batch.drop_column(column)
    with op.batch_alter_table("channel_identities") as batch:
        batch.drop_index("ix_channel_identities_conversation_id")
        batch.drop_column("conversation_id")
    op.drop_table("code_failures")
    with op.batch_alter_table("challenges") as batch:
        batch.drop_index("ix_challenges_customer_id")
        batch.drop_index("ix_challenges_contact_hash")
        batch.drop_column("contact_hash")
