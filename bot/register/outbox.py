"""The outbox: every notification, recorded whether or not it was delivered."""

from __future__ import annotations

from typing import List

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.register.models import OutboxMessage


def record_notification(s: Session, *, channel: str, to: str, body: str, status: str = "recorded"):
    message = OutboxMessage(channel=channel, to=to, body=body, status=status)
    s.add(message)
    s.flush()
    return message


def list_outbox(s: Session) -> List[OutboxMessage]:
    return list(s.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars())
