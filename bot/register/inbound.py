"""De-duplication of inbound provider messages (Twilio MessageSid, Telegram update_id)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.register.models import InboundMessage, utcnow
from bot.register.sql import insert_ignore


def first_time_seen(s: Session, provider: str, message_id: str) -> bool:
    """True the first time; False on a retry (also across processes: one unique key, and an
    insert that does nothing on conflict). Kept in the caller's transaction, so a turn that
    fails and rolls back lets the provider's retry act."""
    return insert_ignore(
        s,
        InboundMessage.__table__,
        {"provider": provider, "message_id": str(message_id), "seen_at": utcnow()},
        ["provider", "message_id"],
    )
