"""Delivering an outbox message on Telegram (channel ``telegram``, ``to`` = the chat id):
the closing notice for a ticket that was asked for on Telegram.

One Bot API call, ``sendMessage`` at ``TELEGRAM_API_URL``; the token stays out of logs
(httpx logs URLs at INFO, and the URL holds the token).
"""

from __future__ import annotations

import logging
from typing import Optional

import httpx

from bot.config import Settings, get_settings

logger = logging.getLogger(__name__)
logging.getLogger("httpx").setLevel(logging.WARNING)


class TelegramNotConfigured(RuntimeError):
    pass


def deliver_telegram(chat_id: str, body: str, settings: Optional[Settings] = None) -> str:
    """Send ``body`` to the chat; ``"sent"``, or an exception (the caller records it)."""
    settings = settings or get_settings()
    if not settings.telegram_bot_token:
        raise TelegramNotConfigured("TELEGRAM_BOT_TOKEN is not set")
    url = f"{settings.telegram_api_url}/bot{settings.telegram_bot_token}/sendMessage"
    response = httpx.post(url, json={"chat_id": int(chat_id), "text": body}, timeout=15)
    response.raise_for_status()
    if not response.json().get("ok"):
        raise RuntimeError("Telegram refused the message")
    return "sent"
