"""Tickets: repeated attempts merged into one (attempt count), where the customer is told
when the ticket is closed (reply channel and address), and a rejection's category.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("privacy_requests") as batch:
        batch.add_column(sa.Column("attempts", sa.Integer, nullable=False, server_default="1"))
        batch.add_column(sa.Column("reply_channel", sa.String(20)))
        batch.add_column(sa.Column("reply_to", sa.String(300)))
        batch.add_column(sa.Column("rejection_category", sa.String(40)))
    op.create_index("ix_privacy_requests_kind_status", "privacy_requests", ["kind", "status"])


def downgrade() -> None:
    op.drop_index("ix_privacy_requests_kind_status", "privacy_requests")
    with op.batch_alter_table("privacy_requests") as batch:
        batch.drop_column("rejection_category")
        batch.drop_column("reply_to")
        batch.drop_column("reply_channel")
        batch.drop_column("attempts")
