"""Fixtures for whole conversations in the fast layer (tests/support/dialogue.py): the rules
trained once per session, a fresh SQLite register with the demo customers per test."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import select

from tests.support.dialogue import Dialogue, InProcessActions, train_rules
from tests.support.servers import ROOT


@pytest.fixture(scope="session")
def rules(tmp_path_factory):
    return train_rules(tmp_path_factory.mktemp("rules"))


@pytest.fixture(scope="session")
def endpoint():
    return InProcessActions()


@pytest.fixture
def register(tmp_path, monkeypatch):
    from bot.register.customers import import_csv
    from bot.register.db import session_scope, upgrade

    url = f"sqlite:///{tmp_path / 'register.db'}"
    monkeypatch.setenv("KLBOT_DATABASE_URL", url)
    upgrade(url)
    with session_scope(url) as s:
        import_csv(s, ROOT / "demo" / "customers.csv")
    return url


@pytest.fixture
def chat(rules, endpoint, register):
    """A new conversation (REST channel) against the fresh register."""
    domain, policy = rules

    def start(channel: str = "rest", **metadata) -> Dialogue:
        sender = f"dlg-{uuid.uuid4().hex[:10]}"
        return Dialogue(domain, policy, endpoint, sender=sender, channel=channel, metadata=metadata)

    return start


def outbox_bodies(to: str | None = None) -> list:
    from bot.register.db import session_scope
    from bot.register.models import OutboxMessage

    with session_scope() as s:
        rows = s.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars().all()
        return [r.body for r in rows if to is None or str(r.to).lower() == to.lower()]


def codes_sent(to: str | None = None) -> list:
    found = []
    for body in outbox_bodies(to):
        if "engangskode" in body.lower() or "one-time code" in body.lower():
            found.append(re.search(r"(?<!\d)(\d{6})(?!\d)", body).group(1))
    return found


def tickets() -> list:
    from bot.register.db import session_scope
    from bot.register.models import PrivacyRequest as Request

    with session_scope() as s:
        rows = s.execute(select(Request).order_by(Request.id)).scalars().all()
        return [{"kind": r.kind, "details": r.details, "verified": r.verified} for r in rows]
