"""Which stores the servers use, as the register knows it: the Rasa server records its
tracker store when it starts (``record``), and ``klbot`` compares the one it would clear
(``check_tracker_store``) before an erasure. Descriptions never hold a password."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Optional

from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bot.register.models import ServiceStore, utcnow

logger = logging.getLogger(__name__)
TRACKER = "tracker"


def describe_store(url: str) -> str:
    """The store as people compare it: an SQLite file by its absolute path, a server by
    dialect, host, port and database (no user name, no password)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database or ":memory:"
        if path != ":memory:":
            path = str(Path(path).expanduser().resolve())
        return f"sqlite:///{path}"
    # URL.set ignores None: a namedtuple's _replace clears them (SQLAlchemy 1.4)
    return parsed._replace(username=None, password=None).render_as_string(hide_password=True)


def record(name: str, url: str, *, database_url: Optional[str] = None) -> None:
    """Note (in its own transaction) that this server uses ``url`` for ``name``; a register
    that cannot be reached or is not migrated yet is logged, not raised."""
    from bot.register.db import session_scope

    try:
        with session_scope(database_url) as s:
            row = s.get(ServiceStore, name)
            if row is None:
                s.add(ServiceStore(name=name, description=describe_store(url)))
            else:
                row.description, row.recorded_at = describe_store(url), utcnow()
    except Exception as exc:  # noqa: BLE001 - the server runs on; klbot will refuse to erase
        logger.warning(
            "Could not record the %s store in the register (%s)", name, type(exc).__name__
        )


def recorded(s: Session, name: str) -> Optional[str]:
    row = s.get(ServiceStore, name)
    return row.description if row is not None else None
