"""An assistant started the production way, with every channel on and the rate limits on.

The attacks in this folder go over HTTP to the real Rasa server and action server, holding
no secret (or a wrong one). Behind a proxy Sanic takes the client's address from the
proxy's ``X-Forwarded-For`` (``SANIC_PROXIES_COUNT=1``, as docker-compose.yml sets it), so
each test names its own client address and the tests do not share one counter.
"""

from __future__ import annotations

import itertools
import json
import uuid
from typing import Dict, List

import pytest

from bot.dev.fake_telegram import FakeTelegram
from tests.channels.conftest import (
    OUR_NUMBER,
    PUBLIC_URL,
    TELEGRAM_SECRET,
    TELEGRAM_TOKEN,
    TWILIO_ACCOUNT,
    TWILIO_TOKEN,
)
from tests.support.servers import ROOT, RunningAssistant, klbot, start_assistant

EXTRA_ORIGIN = "https://www.miljovarme.example"
_addresses = itertools.count(10)


def new_address() -> Dict[str, str]:
    """Headers that make the next requests come from a client address of their own."""
    n = next(_addresses)
    return {"X-Forwarded-For": f"198.51.100.{n}"}


@pytest.fixture(scope="session")
def fake_api():
    fake = FakeTelegram().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="session")
def secure(tmp_path_factory, fake_api) -> RunningAssistant:
    work = tmp_path_factory.mktemp("secure")
    running = start_assistant(
        work,
        env_overrides={
            "KLBOT_PUBLIC_URL": PUBLIC_URL,
            "KLBOT_WEB_ORIGINS": EXTRA_ORIGIN,
            "KLBOT_RATE_LIMITS": "on",
            "SANIC_PROXIES_COUNT": "1",
            "TWILIO_ACCOUNT_SID": TWILIO_ACCOUNT,
            "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
            "TWILIO_FROM_NUMBER": OUR_NUMBER,
            "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
            "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
            "TELEGRAM_API_URL": fake_api.url,
        },
    )
    klbot(running.env, "customers", "import", str(ROOT / "demo" / "customers.csv"))
    yield running
    running.stop()


@pytest.fixture
def register(tmp_path, monkeypatch):
    """A fresh SQLite register with the demo customers, for the in-process attacks (the
    real register and actions, no servers)."""
    from bot.config import get_settings
    from bot.register.customers import import_csv
    from bot.register.db import session_scope, upgrade

    url = f"sqlite:///{tmp_path / 'register.db'}"
    monkeypatch.setenv("KLBOT_DATABASE_URL", url)
    get_settings.cache_clear()
    upgrade(url)
    with session_scope(url) as s:
        import_csv(s, ROOT / "demo" / "customers.csv")
    yield url
    get_settings.cache_clear()


def register_rows(assistant: RunningAssistant) -> Dict[str, List[dict]]:
    """Everything an attack could have written: tickets and notifications."""
    requests = json.loads(klbot(assistant.env, "requests", "list", "--json").stdout)
    outbox = json.loads(klbot(assistant.env, "outbox", "list", "--json").stdout)
    return {"requests": requests, "outbox": outbox}


def new_sender(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"
