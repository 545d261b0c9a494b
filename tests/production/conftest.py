"""Real PostgreSQL and Redis for the production-shaped tests (skipped, saying why, without)."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import service_up
from tests.support.missing import missing

PG = ("127.0.0.1", 5432)
REDIS = ("127.0.0.1", 6379)


@pytest.fixture(scope="module")
def pg_url():
    """A fresh PostgreSQL database for the module, dropped afterwards."""
    if not service_up(*PG):
        missing("PostgreSQL is not running on 127.0.0.1:5432 (CI has it)")
    import psycopg2

    name = f"klbot_prod_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(host=PG[0], port=PG[1], user="postgres", dbname="test")
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql://postgres@{PG[0]}:{PG[1]}/{name}"
    cur = admin.cursor()
    cur.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
    )
    cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.close()


@pytest.fixture(scope="module")
def redis_url():
    if not service_up(*REDIS):
        missing("Redis is not running on 127.0.0.1:6379 (CI has it)")
    return "redis://127.0.0.1:6379/7"
