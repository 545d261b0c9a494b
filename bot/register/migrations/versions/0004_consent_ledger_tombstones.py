"""The consent ledger (every opt-out and opt-in as an event) and erasure tombstones.

Backfills the ledger from what 0001-0002 held: each suppression becomes an opt-out of its
contact point, each marketing permission a customer has an opt-in by "migration", so that
the suppression list and the flags are derived from the ledger from here on. Every erased
customer number becomes a tombstone.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from bot.register.models import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    events = op.create_table(
        "consent_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("granted", sa.Boolean, nullable=False),
        sa.Column("address", sa.String(300)),
        sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id", ondelete="SET NULL")),
        sa.Column("source", sa.String(30), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("request_reference", sa.String(20)),
    )
    op.create_index("ix_consent_events_address", "consent_events", ["channel", "address"])
    op.create_index("ix_consent_events_customer", "consent_events", ["customer_id", "channel"])
    tombstones = op.create_table(
        "erasure_tombstones",
        sa.Column("customer_number", sa.String(20), primary_key=True),
        sa.Column("erased_at", UTCDateTime, nullable=False),
        sa.Column("request_reference", sa.String(20)),
    )
    bind = op.get_bind()
    from datetime import datetime, timezone

    now = datetime.now(timezone.utc)
    rows = []
    for channel, address, source in bind.execute(
        sa.text("SELECT channel, address, source_channel FROM suppressions")
    ):
        rows.append(
            {
                "at": now,
                "channel": channel,
                "granted": False,
                "address": address,
                "customer_id": None,
                "source": (source or "unknown")[:30],
                "actor": "migration",
                "reason": "suppression held before the ledger",
                "request_reference": None,
            }
        )
    customers = bind.execute(
        sa.text(
            "SELECT id, marketing_sms, marketing_email, marketing_post, customer_number, "
            "erased_at FROM customers"
        )
    ).fetchall()
    graves = []
    for cid, sms, email, post, number, erased_at in customers:
        if erased_at is not None:
            graves.append({"customer_number": number, "erased_at": now})
        for channel, flag in (("sms", sms), ("email", email), ("post", post)):
            if flag:
                rows.append(
                    {
                        "at": now,
                        "channel": channel,
                        "granted": True,
                        "address": None,
                        "customer_id": cid,
                        "source": "migration",
                        "actor": "migration",
                        "reason": "permission held before the ledger",
                        "request_reference": None,
                    }
                )
    if rows:
        op.bulk_insert(events, rows)
    if graves:
        op.bulk_insert(tombstones, graves)


def downgrade() -> None:
    op.drop_table("erasure_tombstones")
    op.drop_index("ix_consent_events_customer", table_name="consent_events")
    op.drop_index("ix_consent_events_address", table_name="consent_events")
    op.drop_table("consent_events")
