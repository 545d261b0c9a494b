"""Engine and session factory from KLBOT_DATABASE_URL; Alembic upgrade.

SQLite (the default, a file under ``var/``): WAL, foreign keys on, a 30 s busy timeout, and
every transaction starts with ``BEGIN IMMEDIATE``. pysqlite otherwise begins lazily and a
transaction that read first and writes later fails at once ("database is locked") when
another process wrote in between; taking the write lock up front makes concurrent writers
from several processes wait their turn instead. The file is created owner-only (0600).
PostgreSQL works the same through the same functions.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Iterator, Optional

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.engine.url import make_url
from sqlalchemy.orm import Session, sessionmaker

from bot.config import get_settings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_S = 30


class RegisterUnavailable(RuntimeError):
    """The register database cannot be reached."""


def database_url(url: Optional[str] = None) -> str:
    return url or os.environ.get("KLBOT_DATABASE_URL") or get_settings().database_url


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _prepare_sqlite_file(url: str) -> None:
    path = make_url(url).database
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    file = Path(path)
    file.parent.mkdir(parents=True, exist_ok=True)
    if not file.exists():
        # personal data: owner-only from the first byte (SQLite gives -wal/-shm the same mode)
        fd = os.open(file, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)


def missing_sqlite_file(url: Optional[str] = None) -> bool:
    """Is ``url`` (default: KLBOT_DATABASE_URL) a SQLite file that does not exist yet?"""
    url = database_url(url)
    if not is_sqlite(url):
        return False
    path = make_url(url).database
    if not path or path == ":memory:" or path.startswith("file:"):
        return False
    return not Path(path).exists()


def _sqlite_engine(url: str) -> Engine:
    _prepare_sqlite_file(url)
    engine = create_engine(
        url,
        future=True,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # take transaction control from pysqlite (SQLAlchemy's documented recipe)
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


@lru_cache(maxsize=8)
def _engine(url: str) -> Engine:
    if is_sqlite(url):
        return _sqlite_engine(url)
    return create_engine(url, future=True, pool_pre_ping=True, pool_size=5, max_overflow=10)


def get_engine(url: Optional[str] = None) -> Engine:
    """The engine for ``url`` (default: KLBOT_DATABASE_URL), one per URL and process."""
    return _engine(database_url(url))


@lru_cache(maxsize=8)
def _factory(url: str) -> sessionmaker:
    return sessionmaker(bind=_engine(url), future=True, expire_on_commit=False)


@contextmanager
def session_scope(url: Optional[str] = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    session = _factory(database_url(url))()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def describe_database(url: Optional[str] = None) -> str:
    """Which database this is, for people: the URL without user name and password."""
    parsed = make_url(database_url(url))
    if parsed.get_backend_name() == "sqlite":
        return f"sqlite:///{parsed.database or ':memory:'}"
    return parsed.set(username=None, password=None).render_as_string(hide_password=True)


def dispose(url: Optional[str] = None) -> None:
    """Close the pooled connections of ``url`` (tests and forked workers use this)."""
    resolved = database_url(url)
    _engine(resolved).dispose()


def alembic_config(url: Optional[str] = None):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url(url).replace("%", "%%"))
    return config


def upgrade(url: Optional[str] = None) -> None:
    """``alembic upgrade head``; idempotent, and safe when two processes run it at once."""
    from alembic import command

    url = database_url(url)
    if is_sqlite(url):
        _prepare_sqlite_file(url)
    command.upgrade(alembic_config(url), "head")


def current_revision(url: Optional[str] = None) -> Optional[str]:
    from alembic.migration import MigrationContext

    with get_engine(url).connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
