"""Phone numbers a channel has proved (a Telegram contact shared by its own user).

Called positionally ``(s, provider, user_id, phone)`` or with keywords
``(s, channel=..., external_id=..., phone=...)``; both name the same thing.
"""

from __future__ import annotations

from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.register.contacts import normalize_phone
from bot.register.models import ChannelIdentity, utcnow


def _key(provider: Optional[str], user_id: Optional[object], channel, external_id):
    provider = provider or channel
    user_id = user_id if user_id is not None else external_id
    if not provider or user_id is None or str(user_id) == "":
        raise ValueError("a provider and a user id are required")
    return str(provider), str(user_id)


def remember_verified_phone(
    s: Session,
    provider: Optional[str] = None,
    user_id: Optional[object] = None,
    phone: Optional[str] = None,
    *,
    channel: Optional[str] = None,
    external_id: Optional[object] = None,
    conversation_id: Optional[str] = None,
) -> None:
    """Remember (or replace) the phone number this channel user proved to own, and the
    conversation it was proved in (what ``bot.register.identity`` asks)."""
    provider, user_id = _key(provider, user_id, channel, external_id)
    number = normalize_phone(phone or "")
    if number is None:
        raise ValueError("not a valid phone number")
    row = s.execute(
        select(ChannelIdentity).where(
            ChannelIdentity.channel == provider, ChannelIdentity.external_id == user_id
        )
    ).scalar_one_or_none()
    if row is None:
        s.add(
            ChannelIdentity(
                channel=provider,
                external_id=user_id,
                phone=number,
                conversation_id=conversation_id,
            )
        )
    else:
        row.phone = number
        row.verified_at = utcnow()
        if conversation_id:
            row.conversation_id = conversation_id
    s.flush()


def verified_phone_for(
    s: Session,
    provider: Optional[str] = None,
    user_id: Optional[object] = None,
    *,
    channel: Optional[str] = None,
    external_id: Optional[object] = None,
) -> Optional[str]:
    """The phone number (E.164) this channel user proved, or None."""
    provider, user_id = _key(provider, user_id, channel, external_id)
    return s.execute(
        select(ChannelIdentity.phone).where(
            ChannelIdentity.channel == provider, ChannelIdentity.external_id == user_id
        )
    ).scalar_one_or_none()


verified_phone = verified_phone_for


def remember_conversation(
    s: Session, *, channel: str, external_id: object, conversation_id: str
) -> None:
    """Tie an existing proof to the conversation it belongs to, on a message from that
    channel user: the proof counts for ``identity.VERIFIED_FOR`` from the latest one."""
    row = s.execute(
        select(ChannelIdentity).where(
            ChannelIdentity.channel == channel, ChannelIdentity.external_id == str(external_id)
        )
    ).scalar_one_or_none()
    if row is not None:
        row.conversation_id = conversation_id
        row.verified_at = utcnow()
        s.flush()


def forget(s: Session, provider: str, user_id: object) -> bool:
    row = s.execute(
        select(ChannelIdentity).where(
            ChannelIdentity.channel == provider, ChannelIdentity.external_id == str(user_id)
        )
    ).scalar_one_or_none()
    if row is None:
        return False
    s.delete(row)
    return True
