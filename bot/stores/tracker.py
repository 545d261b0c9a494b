"""The tracker store named in endpoints.yml: Rasa's SQLTrackerStore, configured by URL.

Rasa's SQLTrackerStore reads and writes synchronously, on the server's event loop: while
one turn's events are committed, no other conversation moves. On SQLite (the default, one
server) each commit was an fsync in rollback-journal mode: profiled (bench.profile, 8
users), 12 % of the Rasa server's time went to ``Connection.commit``, and on a machine with
a busy disk an fsync takes tens of milliseconds, for every turn of every user. So an
SQLite store runs in WAL mode with ``synchronous=NORMAL`` (SQLite's recommended setting for
WAL): a commit appends to the log without waiting for the disk; the database stays
consistent after a crash, and at worst the last turns before a power loss are not kept.
PostgreSQL (production) is left as it is.

SQLAlchemy 1.4 gives a file SQLite database no pool (``NullPool``): every session of the
store, several each turn, opened a new connection (and ran the pragmas) and closed it
again; closing the last connection of a WAL database checkpoints the log into the database
and deletes it, i.e. waits for the disk after all (profiled at 32 users: 8 % of the
server's time in opening and closing connections). The store's SQLite engine keeps its
connections in a pool instead (``SQLITE_POOL_SIZE``); a connection serves one session at
a time, whichever thread it is in (``check_same_thread`` off, as SQLAlchemy 2 does for
file databases); WAL lets other processes (``klbot`` erasure) read and write meanwhile.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Optional

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool

from bot import rasa_speedups
from bot.config import load_settings

logger = logging.getLogger(__name__)

SQLITE_PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL")
SQLITE_POOL_SIZE = 2  # connections kept open (the store works on the event loop: one at a time)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def sqlite_engine(url: Any) -> sa.engine.Engine:
    """A file SQLite engine that keeps its connections, each with ``SQLITE_PRAGMAS``."""
    engine = sa.create_engine(
        url,
        poolclass=QueuePool,
        pool_size=SQLITE_POOL_SIZE,
        max_overflow=8,
        connect_args={"check_same_thread": False},
    )
    sa.event.listen(engine, "connect", _sqlite_pragmas)
    return engine


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
        if arguments["dialect"] == "sqlite":
            # Rasa's engine (no pool) created the table; its connections are closed, and the
            # store goes on with a pooled engine whose every connection has the pragmas
            url_used = self.engine.url
            self.engine.dispose()
            self.engine = sqlite_engine(url_used)
            self.sessionmaker = sessionmaker(bind=self.engine)
        rasa_speedups.install()
