"""No delivery on the reply path: with real delivery (a local fake of Twilio's API that takes
3 seconds to answer) the identifier turn answers at once, the action server's outbox worker
delivers the code shortly after, and the stored body has the code masked."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from tests.support.fake_twilio import FakeTwilio
from tests.support.servers import klbot, start_assistant

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SLOW_PROVIDER_S = 3.0


@pytest.fixture(scope="module")
def twilio():
    fake = FakeTwilio()
    fake.delay = SLOW_PROVIDER_S
    yield fake
    fake.close()


@pytest.fixture(scope="module")
def bot(tmp_path_factory, twilio):
    from tests.support.servers import ROOT

    work = tmp_path_factory.mktemp("identity-delivery")
    env = {
        "KLBOT_RATE_LIMITS": "off",
        "KLBOT_NOTIFIER": "twilio,smtp",
        "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
        "TWILIO_AUTH_TOKEN": "test-auth-token",
        "TWILIO_FROM_NUMBER": "+4759440000",
        "TWILIO_API_URL": twilio.url,
    }
    running = start_assistant(work, env)
    klbot(running.env, "customers", "import", str(ROOT / "demo" / "customers.csv"))
    yield running
    running.stop()


def test_a_slow_provider_does_not_slow_the_turn_and_the_code_is_masked(bot, twilio):
    conversation = f"delivery-{uuid.uuid4().hex[:12]}"
    bot.say(conversation, "jeg vil ha innsyn")
    started = time.perf_counter()
    reply = " ".join(m.get("text", "") for m in bot.say(conversation, "912 34 567"))
    took = time.perf_counter() - started
    assert "engangskode" in reply, reply
    assert took < SLOW_PROVIDER_S, f"the turn waited for delivery ({took:.1f} s)"
    deadline = time.monotonic() + 30
    while not twilio.received and time.monotonic() < deadline:
        time.sleep(0.5)
    assert twilio.received, "the action server's worker delivered nothing"
    delivered = twilio.received[0]
    assert delivered["To"] == "+4791234567"
    code = [w.strip(".") for w in delivered["Body"].split() if w.strip(".").isdigit()][0]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        rows = json.loads(klbot(bot.env, "outbox", "list", "--json").stdout)
        if rows and rows[0]["status"] == "sent":
            break
        time.sleep(0.5)
    assert rows[0]["status"] == "sent"
    assert code not in rows[0]["body"] and "••••••" in rows[0]["body"]
