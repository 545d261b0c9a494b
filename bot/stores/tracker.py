"""The tracker store named in endpoints.yml: Rasa's SQLTrackerStore, configured by URL."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Optional

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from sqlalchemy.engine import make_url

from bot import rasa_speedups
from bot.config import load_settings

logger = logging.getLogger(__name__)


def sql_store_arguments(url: str) -> dict:
    """Split an SQLAlchemy URL into SQLTrackerStore's keyword arguments."""
    parsed = make_url(url)
    dialect = parsed.drivername
    if dialect.startswith("sqlite"):
        db_path = Path(parsed.database or "var/conversations.db")
        db_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not db_path.exists():
            db_path.touch(mode=0o600)
        return {"dialect": "sqlite", "db": str(db_path)}
    return {
        "dialect": dialect,
        "host": parsed.host,
        "port": parsed.port,
        "db": parsed.database,
        "username": parsed.username,
        "password": parsed.password,
        "query": dict(parsed.query) or None,
    }


class ConfiguredTrackerStore(SQLTrackerStore):
    """SQLTrackerStore on ``KLBOT_TRACKER_STORE_URL``.

    Created once by each Rasa server, which is where Rasa's slow action-response check is
    replaced (bot.rasa_speedups).
    """

    def __init__(
        self,
        domain: Optional[Domain] = None,
        host: Optional[str] = None,
        event_broker: Optional[EventBroker] = None,
        **kwargs: Any,
    ) -> None:
        url = os.environ.get("KLBOT_TRACKER_STORE_URL") or load_settings().tracker_store_url
        arguments = sql_store_arguments(url)
        logger.info("Conversations are kept in an SQL tracker store (%s).", arguments["dialect"])
        super().__init__(domain=domain, event_broker=event_broker, **arguments)
        rasa_speedups.install()
