"""A closing notice queued for Telegram reaches the chat through the Bot API (the local fake
of Telegram's API), with the reference and nothing else about the customer."""

from __future__ import annotations

from bot.config import Settings
from bot.notify import send_telegram
from bot.register.wording import closing_notice
from tests.channels.conftest import TELEGRAM_TOKEN


def test_a_closing_notice_is_sent_to_the_chat(fake_telegram):
    settings = Settings(telegram_bot_token=TELEGRAM_TOKEN, telegram_api_url=fake_telegram.url)
    body = closing_notice("PV-ABC234", "done")
    send_telegram(settings, "4242", body)
    (call,) = [c for c in fake_telegram.calls if c.params.get("text") == body]
    assert call.method == "sendMessage" and str(call.params["chat_id"]) == "4242"
    assert call.token == TELEGRAM_TOKEN
