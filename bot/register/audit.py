"""Append-only audit log of every change to customers, consents and tickets."""

from __future__ import annotations

from typing import Any, Optional

from sqlalchemy.orm import Session

from bot.register.models import AuditEntry


def record(
    s: Session,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: Any = None,
    reason: Optional[str] = None,
    changes: Optional[dict] = None,
) -> None:
    s.add(
        AuditEntry(
            actor=actor,
            action=action,
            entity=entity,
            entity_id=None if entity_id is None else str(entity_id),
            reason=reason,
            changes=changes,
        )
    )
