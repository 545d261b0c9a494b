"""Alembic environment: the URL comes from the caller (bot.register.db.upgrade).

Runs on the register's own engine (SQLite: BEGIN IMMEDIATE, so a second upgrader waits).
On PostgreSQL a transaction-scoped advisory lock serialises concurrent upgrades, so two
processes that start at once do not both try to create the tables.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from bot.register.db import get_engine, is_sqlite
from bot.register.models import Base

MIGRATION_LOCK = 7_346_221  # any constant; the same in every process

url = context.config.get_main_option("sqlalchemy.url")
engine = get_engine(url)
with engine.connect() as connection:
    if not is_sqlite(url):
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=is_sqlite(url),
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
