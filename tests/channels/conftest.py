"""One real assistant (Rasa server + action server) with the SMS and Telegram channels on.

Twilio signs against ``PUBLIC_URL`` (not the address the test posts to, as behind a reverse
proxy); Telegram's Bot API is a local fake that records every call.
"""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Dict, List, Optional

import httpx
import pytest
from playwright.sync_api import sync_playwright

from bot.dev import sms
from bot.dev.fake_telegram import FakeTelegram
from tests.support.missing import missing
from tests.support.servers import ROOT, RunningAssistant, klbot, start_assistant

PUBLIC_URL = "https://chat.miljovarme.example"
SMS_PATH = "/webhooks/twilio_sms/webhook"
TELEGRAM_PATH = "/webhooks/telegram/webhook"
TWILIO_TOKEN = "twilio-test-auth-token-0123456789"  # noqa: S105 - test credential
TWILIO_ACCOUNT = "AC" + "0" * 32
TELEGRAM_TOKEN = "123456789:TEST-token_for-the-fake-api"  # noqa: S105
TELEGRAM_SECRET = "telegram-webhook-secret-0123456789"  # noqa: S105
OUR_NUMBER = "+4759440000"
# the browser tests (test_webchat_browser.py, test_widget_browser.py)
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "tests" / "artifacts"  # their screenshots
ANSWER_TIMEOUT = 60_000  # ms; the first turn of a fresh server can be slow


@pytest.fixture(scope="session")
def fake_telegram():
    fake = FakeTelegram().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium (Debian's, driven by Playwright) for a browser test module;
    skips, saying why, when there is none."""
    executable = CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")
    if not executable:
        missing(
            "No Chromium at /usr/bin/chromium: install Debian's (`apt-get install chromium`; "
            "CI's .ci/run does) to run the browser test."
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(executable), headless=True, args=["--no-sandbox"]
        )
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def channels(tmp_path_factory, fake_telegram) -> RunningAssistant:
    work = tmp_path_factory.mktemp("channels")
    # the register in a folder of its own, so that a test can take it away (an outage)
    (work / "register").mkdir()
    running = start_assistant(
        work,
        env_overrides={
            "KLBOT_DATABASE_URL": f"sqlite:///{work / 'register' / 'register.db'}",
            "KLBOT_PUBLIC_URL": PUBLIC_URL,
            "TWILIO_ACCOUNT_SID": TWILIO_ACCOUNT,
            "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
            "TWILIO_FROM_NUMBER": OUR_NUMBER,
            "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
            "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
            "TELEGRAM_API_URL": fake_telegram.url,
            # every alert at once: these tests count one alert per ticket (batching is
            # tested on its own, tests/security/test_verified_ticket.py)
            "KLBOT_STAFF_ALERT_EVERY": "0",
        },
    )
    klbot(running.env, "customers", "import", str(ROOT / "demo" / "customers.csv"))
    yield running
    running.stop()


# --- SMS helpers ------------------------------------------------------------------------------


def new_sid() -> str:
    return sms.new_sid()


def sms_params(body: str, sender: str, sid: Optional[str] = None) -> Dict[str, str]:
    return sms.sms_params(body, sender, OUR_NUMBER, TWILIO_ACCOUNT, sid)


def post_sms(
    assistant: RunningAssistant,
    body: str,
    sender: str,
    sid: Optional[str] = None,
    token: str = TWILIO_TOKEN,
    sign_url: str = PUBLIC_URL + SMS_PATH,
    signature: Optional[str] = "compute",
) -> httpx.Response:
    """POST an inbound SMS the way Twilio does, signed with Twilio's own validator (the
    signer `klbot dev sms` uses)."""
    params = sms_params(body, sender, sid)
    headers = {}
    if signature == "compute":
        headers["X-Twilio-Signature"] = sms.sign(token, sign_url, params)
    elif signature is not None:
        headers["X-Twilio-Signature"] = signature
    return httpx.post(assistant.url + SMS_PATH, data=params, headers=headers, timeout=90)


def twiml_messages(response: httpx.Response) -> List[str]:
    assert response.status_code == 200, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("text/xml"), response.headers
    root = ET.fromstring(response.text)  # noqa: S314 - our own server, in a test
    assert root.tag == "Response"
    return sms.twiml_messages(response.text)


def suppressed(assistant: RunningAssistant, channel: str = "sms") -> List[str]:
    """Addresses in `klbot suppressions export` (what the marketing tool reads)."""
    out = klbot(assistant.env, "suppressions", "export", "--channel", channel, "--json")
    return [row["address"] for row in json.loads(out.stdout)]


def requests_for(assistant: RunningAssistant, kind: str) -> List[dict]:
    out = klbot(assistant.env, "requests", "list", "--json")
    return [r for r in json.loads(out.stdout) if r["kind"] == kind]


# --- Telegram helpers -------------------------------------------------------------------------


def post_update(
    assistant: RunningAssistant, update: dict, secret: Optional[str] = TELEGRAM_SECRET
) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    return httpx.post(
        assistant.url + TELEGRAM_PATH, content=json.dumps(update), headers=headers, timeout=90
    )


def tracker(assistant: RunningAssistant, conversation: str) -> dict:
    response = httpx.get(assistant.api_url(f"/conversations/{conversation}/tracker"), timeout=30)
    response.raise_for_status()
    return response.json()


def last_user_metadata(assistant: RunningAssistant, conversation: str) -> dict:
    """What the channel put in the last user message's metadata (Rasa adds model_id and
    assistant_id itself; those are left out)."""
    events = tracker(assistant, conversation)["events"]
    users = [e for e in events if e["event"] == "user"]
    assert users, "the conversation has no user message"
    metadata = dict(users[-1].get("metadata") or {})
    for added_by_rasa in ("model_id", "assistant_id"):
        metadata.pop(added_by_rasa, None)
    return metadata
