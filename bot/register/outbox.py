"""The outbox: every notification is recorded here, and delivered from here off the turn.

``record_notification`` is THE one way to send anything (codes, confirmations, staff
alerts). It never delivers: with the ``outbox`` notifier (development) the message is only
``recorded``, its body whole, so a developer can read a code; with real delivery it is
``queued`` and a worker (``bot.notify.worker``: in the action server, or
``klbot outbox deliver``) sends it, retries, and leaves it ``sent`` or ``failed``. A
one-time code passed as ``secret`` is masked in the stored body and kept apart only until
it is delivered (or given up).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import List, Optional

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from bot.config import get_settings
from bot.register.models import OutboxMessage, utcnow

MASK = "••••••"
# an erasure's receipt: the one message to an erased person, whose address goes once sent
RECEIPT = "erasure_receipt"
SENT_TO_ERASED = "(erased)"
MAX_ATTEMPTS = 5  # delivery rounds before a message is ``failed``
LEASE = timedelta(minutes=5)  # a message being sent by a worker that died is retried after
SECRET_LIFETIME = timedelta(minutes=10)  # a one-time code older than this is not delivered


def delivers() -> bool:
    """Real delivery (any notifier but ``outbox``)?"""
    return (get_settings().notifier or "outbox") != "outbox"


def record_notification(
    s: Session,
    *,
    channel: str,
    to: str,
    body: str,
    status: Optional[str] = None,
    secret: Optional[str] = None,
    purpose: Optional[str] = None,
    customer_id: Optional[int] = None,
) -> OutboxMessage:
    """Queue (or, in development, record) one notification to ``to`` over ``channel``."""
    if status is None:
        status = "queued" if delivers() else "recorded"
    stored, kept = body, None
    if secret and status == "queued":
        stored, kept = body.replace(secret, MASK), secret
    message = OutboxMessage(
        channel=channel,
        to=to,
        body=stored,
        status=status,
        secret=kept,
        purpose=purpose,
        customer_id=customer_id,
        attempts=0,
    )
    s.add(message)
    s.flush()
    return message


def list_outbox(s: Session) -> List[OutboxMessage]:
    return list(s.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars())


def sent_recently(s: Session, *, customer_id: int, purpose: str, within: timedelta) -> bool:
    """Has a ``purpose`` notification to this customer been queued within ``within``?"""
    return (
        s.execute(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.customer_id == customer_id,
                OutboxMessage.purpose == purpose,
                OutboxMessage.created_at >= utcnow() - within,
            )
            .limit(1)
        ).first()
        is not None
    )


@dataclass(frozen=True)
class Claimed:
    id: int
    channel: str
    to: str
    body: str  # with the code put back: for the wire only, never stored
    attempts: int
    created_at: datetime
    has_secret: bool


def claim_next(s: Session) -> Optional[Claimed]:
    """Take the next message due for delivery (atomically: one worker per message)."""
    now = utcnow()
    due = or_(
        and_(
            OutboxMessage.status == "queued",
            or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
        ),
        and_(OutboxMessage.status == "sending", OutboxMessage.next_attempt_at <= now),
    )
    candidates = s.execute(
        select(OutboxMessage.id, OutboxMessage.status)
        .where(due)
        .order_by(OutboxMessage.id)
        .limit(10)
    ).all()
    for message_id, status in candidates:
        taken = s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.status == status, due)
            .values(
                status="sending",
                attempts=OutboxMessage.attempts + 1,
                next_attempt_at=now + LEASE,
            )
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount == 1:
            message = s.get(OutboxMessage, message_id, populate_existing=True)
            body = message.body or ""
            if message.secret:
                body = body.replace(MASK, message.secret)
            return Claimed(
                message.id,
                message.channel,
                message.to,
                body,
                message.attempts,
                message.created_at,
                bool(message.secret),
            )
    return None


def mark_sent(s: Session, message_id: int, *, notifier: str) -> None:
    s.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(status="sent", sent_at=utcnow(), secret=None, notifier=notifier, error=None)
        .execution_options(synchronize_session=False)
    )
    s.execute(  # an erasure's receipt keeps the erased person's address only until sent
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.purpose == RECEIPT)
        .values(to=SENT_TO_ERASED)
        .execution_options(synchronize_session=False)
    )


def mark_failed(
    s: Session, message_id: int, *, error: str, notifier: str, retry_after: Optional[timedelta]
) -> str:
    """Back to the queue for another round after ``retry_after``, or ``failed`` for good
    (``retry_after`` None, or the last round): the code is dropped then. Returns the status."""
    message = s.get(OutboxMessage, message_id, populate_existing=True)
    if message is None:
        return "gone"
    message.notifier = notifier
    message.error = error[:100]
    if retry_after is not None and message.attempts < MAX_ATTEMPTS:
        message.status = "queued"
        message.next_attempt_at = utcnow() + retry_after
    else:
        message.status = "failed"
        message.secret = None
        message.next_attempt_at = None
    s.flush()
    return message.status


def failed_messages(s: Session) -> List[OutboxMessage]:
    return list(
        s.execute(
            select(OutboxMessage).where(OutboxMessage.status == "failed").order_by(OutboxMessage.id)
        ).scalars()
    )
