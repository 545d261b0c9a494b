"""Invoices (bookkeeping, kept after erasure), customer applications (kept 3 months), and
delivery details on the outbox (notifier, sent_at, error type).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from bot.register.models import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("notifier", sa.String(20)))
    op.add_column("outbox", sa.Column("sent_at", UTCDateTime))
    op.add_column("outbox", sa.Column("error", sa.String(100)))
    op.create_index("ix_outbox_created_at", "outbox", ["created_at"])
    op.create_index("ix_privacy_requests_customer_id", "privacy_requests", ["customer_id"])
    op.create_index("ix_challenges_expires_at", "challenges", ["expires_at"])
    op.create_index("ix_inbound_messages_seen_at", "inbound_messages", ["seen_at"])
    op.create_index("ix_audit_log_entity_id", "audit_log", ["entity", "entity_id"])
    op.create_table(
        "invoices",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "customer_id",
            sa.Integer,
            sa.ForeignKey("customers.id", ondelete="RESTRICT"),
            nullable=False,
            index=True,
        ),
        sa.Column("invoice_number", sa.String(30), nullable=False, unique=True),
        sa.Column("issued_on", sa.Date, nullable=False),
        sa.Column("amount", sa.Numeric(12, 2), nullable=False),
        sa.Column("billed_name", sa.String(200)),
        sa.Column("billed_address", sa.String(300)),
        sa.Column("created_at", UTCDateTime),
    )
    op.create_table(
        "customer_applications",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("received_at", UTCDateTime, nullable=False, index=True),
        sa.Column("name", sa.String(200)),
        sa.Column("phone", sa.String(20)),
        sa.Column("email", sa.String(254)),
        sa.Column("details", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("customer_applications")
    op.drop_table("invoices")
    for index, table in (
        ("ix_audit_log_entity_id", "audit_log"),
        ("ix_inbound_messages_seen_at", "inbound_messages"),
        ("ix_challenges_expires_at", "challenges"),
        ("ix_privacy_requests_customer_id", "privacy_requests"),
        ("ix_outbox_created_at", "outbox"),
    ):
        op.drop_index(index, table_name=table)
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("error")
        batch.drop_column("sent_at")
        batch.drop_column("notifier")
