"""Small SQL helpers that differ by backend (kept inside the register)."""

from __future__ import annotations

import hashlib
from typing import Any, Dict, List

from sqlalchemy import Table, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session


def insert_ignore(s: Session, table: Table, values: Dict[str, Any], keys: List[str]) -> bool:
    """``INSERT ... ON CONFLICT (keys) DO NOTHING``; True when a row was inserted.

    Atomic on SQLite and PostgreSQL: a concurrent insert of the same key waits for the other
    transaction and then does nothing, instead of failing the caller's transaction.
    """
    dialect = s.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - other backends: a savepoint around a plain insert
        try:
            with s.begin_nested():
                s.execute(table.insert().values(**values))
        except IntegrityError:
            return False
        return True
    statement = insert(table).values(**values).on_conflict_do_nothing(index_elements=keys)
    return s.execute(statement).rowcount == 1


def serialize_on(s: Session, key: str) -> None:
    """Hold a lock named ``key`` until the transaction ends, so that check-then-write on that
    key (is a ticket of this kind open for this person?) runs one at a time across processes.

    PostgreSQL: a transaction-level advisory lock. SQLite: every transaction already holds
    the database's write lock from its start (``BEGIN IMMEDIATE``, see ``db.py``).
    """
    if s.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    number = int.from_bytes(digest[:8], "big", signed=True)
    s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": number})
