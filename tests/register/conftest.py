"""The register on a fresh SQLite file and on a fresh PostgreSQL database."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import service_up
from tests.support.missing import missing

PG = ("127.0.0.1", 5432)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path, monkeypatch, tracker_store):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'register.db'}"
        monkeypatch.setenv("KLBOT_DATABASE_URL", url)
        yield url
        return
    if not service_up(*PG):
        missing("PostgreSQL is not running on 127.0.0.1:5432 (CI has it)")
    import psycopg2

    name = f"klbot_reg_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(host=PG[0], port=PG[1], user="postgres", dbname="test")
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql://postgres@{PG[0]}:{PG[1]}/{name}"
    monkeypatch.setenv("KLBOT_DATABASE_URL", url)
    yield url
    from bot.register.db import get_engine

    get_engine(url).dispose()
    cur = admin.cursor()
    cur.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
    )
    cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.close()


@pytest.fixture
def tracker_store(tmp_path, monkeypatch):
    """The tracker store this test's klbot and erasures use (KLBOT_TRACKER_STORE_URL)."""
    from bot.config import get_settings
    from tests.support.tracker import make_tracker_store

    url = make_tracker_store(tmp_path / "conversations.db")
    monkeypatch.setenv("KLBOT_TRACKER_STORE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


@pytest.fixture
def register(db_url):
    """A migrated register with the demo customers."""
    from pathlib import Path

    from bot.register.customers import import_csv
    from bot.register.db import session_scope, upgrade

    upgrade(db_url)
    with session_scope(db_url) as s:
        import_csv(s, Path(__file__).resolve().parents[2] / "demo" / "customers.csv")
    return db_url
