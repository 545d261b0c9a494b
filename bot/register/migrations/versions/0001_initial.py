"""The register's first schema: customers, suppressions, requests, challenges, outbox,
audit log, inbound de-duplication, channel identities.

Explicit operations (not ``create_all`` from models.py), so that this revision creates the
same tables however the models change later; later revisions add to it.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from bot.register.models import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("customer_number", sa.String(20), nullable=False, unique=True),
        sa.Column("name", sa.String(200)),
        sa.Column("address", sa.String(300)),
        sa.Column("postal_code", sa.String(10)),
        sa.Column("city", sa.String(100)),
        sa.Column("phone", sa.String(20), index=True),
        sa.Column("email", sa.String(254), index=True),
        sa.Column("contact_person", sa.String(200)),
        sa.Column("marketing_sms", sa.Boolean, nullable=False),
        sa.Column("marketing_email", sa.Boolean, nullable=False),
        sa.Column("marketing_post", sa.Boolean, nullable=False),
        sa.Column("erased_at", UTCDateTime),
        sa.Column("created_at", UTCDateTime),
        sa.Column("updated_at", UTCDateTime),
    )
    op.create_table(
        "suppressions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("address", sa.String(300), nullable=False),
        sa.Column("source_channel", sa.String(30)),
        sa.Column("created_at", UTCDateTime),
        sa.UniqueConstraint("channel", "address", name="uq_suppression"),
    )
    op.create_table(
        "privacy_requests",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("reference", sa.String(20), nullable=False, unique=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("channel", sa.String(30)),
        sa.Column("verified", sa.Boolean, nullable=False),
        sa.Column("verification_method", sa.String(30)),
        sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id", ondelete="SET NULL")),
        sa.Column("conversation_id", sa.String(200)),
        sa.Column("details", sa.JSON, nullable=False),
        sa.Column("created_at", UTCDateTime),
        sa.Column("due_at", UTCDateTime, nullable=False),
        sa.Column("extended_at", UTCDateTime),
        sa.Column("extension_reason", sa.Text),
        sa.Column("closed_at", UTCDateTime),
    )
    op.create_table(
        "challenges",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("conversation_id", sa.String(200), nullable=False, index=True),
        sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id", ondelete="CASCADE")),
        sa.Column("code_hash", sa.String(128)),
        sa.Column("salt", sa.String(64), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("created_at", UTCDateTime),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("used_at", UTCDateTime),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("to", sa.String(300), nullable=False),
        sa.Column("body", sa.Text),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", UTCDateTime),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", UTCDateTime),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("action", sa.String(50), nullable=False),
        sa.Column("entity", sa.String(50), nullable=False),
        sa.Column("entity_id", sa.String(50)),
        sa.Column("reason", sa.Text),
        sa.Column("changes", sa.JSON),
    )
    op.create_table(
        "inbound_messages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("provider", sa.String(30), nullable=False),
        sa.Column("message_id", sa.String(100), nullable=False),
        sa.Column("seen_at", UTCDateTime),
        sa.UniqueConstraint("provider", "message_id", name="uq_inbound"),
    )
    op.create_table(
        "channel_identities",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("channel", sa.String(30), nullable=False),
        sa.Column("external_id", sa.String(100), nullable=False),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("verified_at", UTCDateTime),
        sa.UniqueConstraint("channel", "external_id", name="uq_channel_identity"),
    )


def downgrade() -> None:
    for table in (
        "channel_identities",
        "inbound_messages",
        "audit_log",
        "outbox",
        "challenges",
        "privacy_requests",
        "suppressions",
        "customers",
    ):
        op.drop_table(table)
