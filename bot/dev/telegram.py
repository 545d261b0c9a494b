"""Bot API updates as Telegram posts them to the webhook (with the secret header)."""

from __future__ import annotations

import itertools
import random
import time
from typing import Any, Dict, Optional

WEBHOOK_PATH = "/webhooks/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
_update_ids = itertools.count(random.randint(10**6, 10**8))  # noqa: S311


def user(user_id: int, first_name: str = "Kari", language_code: str = "nb") -> Dict[str, Any]:
    return {
        "id": user_id,
        "is_bot": False,
        "first_name": first_name,
        "language_code": language_code,
    }


def message_update(sender: Dict[str, Any], text: Optional[str] = None, **extra: Any) -> dict:
    """An ``Update`` with a private-chat ``Message`` from ``sender``."""
    message: Dict[str, Any] = {
        "message_id": random.randint(1, 10**6),  # noqa: S311
        "from": sender,
        "chat": {"id": sender["id"], "first_name": sender["first_name"], "type": "private"},
        "date": int(time.time()),
    }
    if text is not None:
        message["text"] = text
        if text.startswith("/"):
            message["entities"] = [
                {"offset": 0, "length": len(text.split()[0]), "type": "bot_command"}
            ]
    message.update(extra)
    return {"update_id": next(_update_ids), "message": message}
