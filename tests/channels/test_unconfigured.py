"""Without credentials the SMS and Telegram channels stay off, say so once, break nothing."""

from __future__ import annotations

import httpx
import pytest

from bot.config import load_settings
from tests.support.missing import missing

pytestmark = [pytest.mark.e2e]


def test_channels_without_credentials_stay_off_with_one_log_line_each(assistant):
    settings = load_settings()
    if settings.twilio_enabled or settings.telegram_enabled:
        missing("SMS or Telegram credentials are set in this environment or .env")
    sms = httpx.post(
        assistant.url + "/webhooks/twilio_sms/webhook",
        data={"From": "+4791234567", "Body": "STOPP", "MessageSid": "SM" + "0" * 32},
        timeout=30,
    )
    assert sms.status_code == 404 and "not configured" in sms.text
    telegram = httpx.post(
        assistant.url + "/webhooks/telegram/webhook",
        json={"update_id": 1, "message": {"text": "hei"}},
        headers={"X-Telegram-Bot-Api-Secret-Token": ""},
        timeout=30,
    )
    assert telegram.status_code == 404 and "not configured" in telegram.text

    log = (assistant.workdir / "logs" / "rasa.log").read_text(errors="replace")
    assert log.count("Channel twilio_sms is OFF: TWILIO_AUTH_TOKEN not set") == 1
    assert log.count("Channel telegram is OFF:") == 1

    # the rest of the server is up: the web chat page and the REST channel
    assert httpx.get(assistant.url + "/webhooks/webchat/", timeout=30).status_code == 200
    assert assistant.say("unconfigured-channels", "hei")
