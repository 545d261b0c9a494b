"""A request is done only when its work is done (issue 19).

- ``privacy_requests.language``: the customer's language (nb, en); existing tickets: nb.
- ``kind``, ``status`` and ``language`` checked by the database (the Python enums of
  bot.register.models are the one list).
- ``customer_marks``: a restriction or objection on a customer and what it covers
  (marketing, surveys, analyses, all), until lifted by a recorded decision.
- ``service_stores``: the tracker store the Rasa server uses (recorded when it starts), so
  that an erasure refuses to clear another one.
- One history: the notes that 0001-0005 kept in ``details["notes"]`` move to the audit log
  (a note the audit log already holds, the same action and text, is not written twice),
  and ``details`` keeps no notes.

Revision ID: 0006
Revises: 0005
"""

from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

from bot.register.models import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


# the lists as of this revision (a later one that adds a value changes the check itself)
REQUEST_KINDS = (
    "opt_out", "access", "correction", "erasure", "restriction", "objection", "portability",
    "complaint",
)  # fmt: skip
STATUSES = ("received", "verified", "in_progress", "done", "rejected")
LANGUAGES = ("nb", "en")
PURPOSES = ("marketing", "surveys", "analyses", "all")


def _listed(values) -> str:
    return ", ".join(f"'{value}'" for value in values)


requests_table = sa.table(
    "privacy_requests",
    sa.column("id", sa.Integer),
    sa.column("reference", sa.String),
    sa.column("details", sa.JSON),
)
audit_table = sa.table(
    "audit_log",
    sa.column("at", UTCDateTime),
    sa.column("actor", sa.String),
    sa.column("action", sa.String),
    sa.column("entity", sa.String),
    sa.column("entity_id", sa.String),
    sa.column("reason", sa.Text),
    sa.column("changes", sa.JSON),
)


def _when(value) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value))
    except (TypeError, ValueError):
        return datetime.now(timezone.utc)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _move_notes(bind) -> None:
    rows = bind.execute(
        sa.select(requests_table.c.id, requests_table.c.reference, requests_table.c.details)
    ).fetchall()
    for request_id, reference, details in rows:
        if not isinstance(details, dict) or "notes" not in details:
            continue
        held = {
            (action, reason)
            for action, reason in bind.execute(
                sa.select(audit_table.c.action, audit_table.c.reason).where(
                    audit_table.c.entity == "request", audit_table.c.entity_id == reference
                )
            )
        }
        for note in details.get("notes") or []:
            if not isinstance(note, dict):
                note = {"note": str(note)}
            if "extended" in note:
                action, reason, changes = "extend", note.get("extended"), {}
            elif "status" in note:
                action, reason = "status", note.get("note")
                changes = {"status_to": note.get("status"), "moved_from": "notes"}
            else:
                action, reason, changes = "note", note.get("note"), {"moved_from": "notes"}
            if (action, reason) in held:
                continue
            bind.execute(
                audit_table.insert().values(
                    at=_when(note.get("at")),
                    actor=str(note.get("by") or "unknown")[:100],
                    action=action,
                    entity="request",
                    entity_id=reference,
                    reason=reason,
                    changes=changes,
                )
            )
        kept = {key: value for key, value in details.items() if key != "notes"}
        bind.execute(
            requests_table.update().where(requests_table.c.id == request_id).values(details=kept)
        )


def upgrade() -> None:
    with op.batch_alter_table("privacy_requests") as batch:
        batch.add_column(sa.Column("language", sa.String(2), nullable=False, server_default="nb"))
    with op.batch_alter_table("privacy_requests") as batch:
        batch.create_check_constraint(
            "ck_privacy_requests_kind", f"kind IN ({_listed(REQUEST_KINDS)})"
        )
        batch.create_check_constraint(
            "ck_privacy_requests_status", f"status IN ({_listed(STATUSES)})"
        )
        batch.create_check_constraint(
            "ck_privacy_requests_language", f"language IN ({_listed(LANGUAGES)})"
        )
    op.create_table(
        "customer_marks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "customer_id",
            sa.Integer,
            sa.ForeignKey("customers.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("covers", sa.String(20), nullable=False),
        sa.Column("request_reference", sa.String(20)),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("lifted_at", UTCDateTime),
        sa.Column("lifted_by", sa.String(100)),
        sa.Column("lift_reason", sa.Text),
        sa.CheckConstraint("kind IN ('restriction', 'objection')", name="ck_customer_marks_kind"),
        sa.CheckConstraint(f"covers IN ({_listed(PURPOSES)})", name="ck_customer_marks_covers"),
    )
    op.create_table(
        "service_stores",
        sa.Column("name", sa.String(30), primary_key=True),
        sa.Column("description", sa.String(500), nullable=False),
        sa.Column("recorded_at", UTCDateTime, nullable=False),
    )
    _move_notes(op.get_bind())


def downgrade() -> None:
    op.drop_table("service_stores")
    op.drop_table("customer_marks")
    with op.batch_alter_table("privacy_requests") as batch:
        batch.drop_constraint("ck_privacy_requests_language", type_="check")
        batch.drop_constraint("ck_privacy_requests_status", type_="check")
        batch.drop_constraint("ck_privacy_requests_kind", type_="check")
    with op.batch_alter_table("privacy_requests") as batch:
        batch.drop_column("language")
