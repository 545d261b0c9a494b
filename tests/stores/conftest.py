"""Tracker-store URLs for SQLite and for a throwaway PostgreSQL database."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import service_up
from tests.support.missing import missing

PG_HOST, PG_PORT = "127.0.0.1", 5432


@pytest.fixture(params=["sqlite", "postgresql"])
def tracker_store_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'conversations.db'}"
        return
    if not service_up(PG_HOST, PG_PORT):
        missing(f"PostgreSQL is not running on {PG_HOST}:{PG_PORT}")
    import psycopg2

    name = f"klbot_conv_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(host=PG_HOST, port=PG_PORT, user="postgres", dbname="test")
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        admin.cursor().execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
        )
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()
