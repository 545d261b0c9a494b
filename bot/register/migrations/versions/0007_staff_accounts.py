"""Staff inbox: personal staff accounts (Argon2id password, TOTP key, hashed recovery
codes, failed-login count and lock), enrolment links (hashed, 24 h, single use) and
server-side sessions (hashed id, idle and absolute expiry, revocable); who a ticket is
assigned to (staff_assignments, one row per ticket).

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

from bot.register.models import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_accounts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(254), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("password_hash", sa.String(200)),
        sa.Column("totp_secret", sa.String(64)),
        sa.Column("totp_last_step", sa.Integer),
        sa.Column("recovery_codes", sa.JSON, nullable=False),
        sa.Column("failed_logins", sa.Integer, nullable=False, server_default="0"),
        sa.Column("locked_at", UTCDateTime),
        sa.Column("disabled_at", UTCDateTime),
        sa.Column("enrolled_at", UTCDateTime),
        sa.Column("last_login_at", UTCDateTime),
        sa.Column("created_at", UTCDateTime),
    )
    op.create_table(
        "staff_enrolments",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column(
            "account_id",
            sa.Integer,
            sa.ForeignKey("staff_accounts.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("used_at", UTCDateTime),
        sa.Column("pending_secret", sa.String(64)),
    )
    op.create_table(
        "staff_sessions",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column(
            "account_id",
            sa.Integer,
            sa.ForeignKey("staff_accounts.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("stage", sa.String(10), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("last_seen_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("authenticated_at", UTCDateTime),
        sa.Column("revoked_at", UTCDateTime),
    )
    op.create_table(
        "staff_assignments",
        sa.Column(
            "request_id",
            sa.Integer,
            sa.ForeignKey("privacy_requests.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "account_id",
            sa.Integer,
            sa.ForeignKey("staff_accounts.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("assigned_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("staff_assignments")
    op.drop_table("staff_sessions")
    op.drop_table("staff_enrolments")
    op.drop_table("staff_accounts")
