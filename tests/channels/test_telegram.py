"""The Telegram channel against the real servers and a local fake of the Bot API."""

from __future__ import annotations

import random
import time

import httpx
import pytest

from bot.channels.support import conversation_id
from tests.channels.conftest import (
    TELEGRAM_PATH,
    TELEGRAM_SECRET,
    TELEGRAM_TOKEN,
    last_user_metadata,
    post_update,
)

pytestmark = [pytest.mark.e2e]

BOT = {"id": 7000000001, "is_bot": True, "first_name": "KL Miljøvarme", "username": "klbot"}
_update_ids = iter(range(random.randint(10**6, 10**8), 10**9))  # noqa: S311


def new_user() -> dict:
    uid = random.randint(10**8, 2 * 10**9)  # noqa: S311
    return {"id": uid, "is_bot": False, "first_name": "Kari", "language_code": "nb"}


def chat_of(user: dict) -> dict:
    return {"id": user["id"], "first_name": user["first_name"], "type": "private"}


def message_update(user: dict, text: str = None, **extra) -> dict:
    message = {
        "message_id": random.randint(1, 10**6),  # noqa: S311
        "from": user,
        "chat": chat_of(user),
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


def callback_update(user: dict, data: str, title: str) -> dict:
    return {
        "update_id": next(_update_ids),
        "callback_query": {
            "id": str(random.randint(10**15, 10**16)),  # noqa: S311
            "from": user,
            "chat_instance": "-7358216912845",
            "data": data,
            "message": {
                "message_id": random.randint(1, 10**6),  # noqa: S311
                "from": BOT,
                "chat": chat_of(user),
                "date": int(time.time()),
                "text": "Hei! Jeg er personvernassistenten til KL Miljøvarme.",
                "reply_markup": {"inline_keyboard": [[{"text": title, "callback_data": data}]]},
            },
        },
    }


def sent_texts(fake, user) -> list:
    return [c.params.get("text", "") for c in fake.calls_to("sendMessage", user["id"])]


def ok(response: httpx.Response) -> None:
    assert response.status_code == 200, (response.status_code, response.text[:300])


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", "telegram-webhook-secret-012345678"])
def test_update_without_the_right_secret_is_refused(channels, fake_telegram, secret):
    user = new_user()
    response = post_update(channels, message_update(user, "hei"), secret=secret)
    assert response.status_code == 403
    assert fake_telegram.calls_to("sendMessage", user["id"]) == []


def test_text_message_is_answered_through_the_bot_api(channels, fake_telegram):
    user = new_user()
    ok(post_update(channels, message_update(user, "Hvor lenge lagrer dere opplysningene mine?")))
    calls = fake_telegram.calls_to("sendMessage", user["id"])
    assert calls, "no sendMessage reached the Bot API"
    assert {c.token for c in calls} == {TELEGRAM_TOKEN}  # <root>/bot<token>/sendMessage
    assert any("lagre" in c.params["text"].lower() for c in calls), sent_texts(fake_telegram, user)


def test_start_greets_with_buttons_and_offers_to_share_the_phone_number(channels, fake_telegram):
    user = new_user()
    ok(post_update(channels, message_update(user, "/start")))
    calls = fake_telegram.calls_to("sendMessage", user["id"])
    assert calls and "Hei" in calls[0].params["text"]
    inline = [c for c in calls if "inline_keyboard" in (c.params.get("reply_markup") or {})]
    assert inline, "the greeting's buttons should be an inline keyboard"
    buttons = [b for row in inline[0].params["reply_markup"]["inline_keyboard"] for b in row]
    assert all(b["callback_data"].startswith("/") for b in buttons)
    keyboards = [
        c.params["reply_markup"]
        for c in calls
        if "keyboard" in (c.params.get("reply_markup") or {})
    ]
    assert keyboards, "no reply keyboard offering to share the phone number"
    button = keyboards[-1]["keyboard"][0][0]
    assert button["text"] == "Del telefonnummeret mitt" and button["request_contact"] is True


def test_button_press_is_answered_and_its_payload_goes_to_rasa(channels, fake_telegram):
    user = new_user()
    update = callback_update(user, "/ask_rights", "Mine rettigheter")
    ok(post_update(channels, update))
    answered = [
        c
        for c in fake_telegram.calls_to("answerCallbackQuery")
        if c.params.get("callback_query_id") == update["callback_query"]["id"]
    ]
    assert len(answered) == 1
    assert any("innsyn" in t.lower() for t in sent_texts(fake_telegram, user)), sent_texts(
        fake_telegram, user
    )
    metadata = last_user_metadata(
        channels, conversation_id("telegram", str(user["id"]), TELEGRAM_TOKEN)
    )
    assert metadata == {"channel": "telegram", "chat_id": user["id"]}  # (for closing notices)


def test_own_contact_is_remembered_and_later_messages_carry_verified_phone(channels, fake_telegram):
    user = new_user()
    contact = {"phone_number": "4791234567", "first_name": "Kari", "user_id": user["id"]}
    ok(post_update(channels, message_update(user, contact=contact)))
    replies = fake_telegram.calls_to("sendMessage", user["id"])
    assert replies and "Takk" in replies[-1].params["text"]
    assert replies[-1].params.get("reply_markup") == {"remove_keyboard": True}
    assert "91234567" not in replies[-1].params["text"], "the number is not echoed"

    ok(post_update(channels, message_update(user, "Jeg vil ikke ha reklame på SMS")))
    conversation = conversation_id("telegram", str(user["id"]), TELEGRAM_TOKEN)
    metadata = last_user_metadata(channels, conversation)
    assert metadata == {
        "channel": "telegram",
        "chat_id": user["id"],
        "verified_phone": "+4791234567",
    }


@pytest.mark.parametrize("whose", ["another user", "no user id"])
def test_someone_elses_contact_is_refused_and_not_remembered(channels, fake_telegram, whose):
    user = new_user()
    contact = {"phone_number": "+4741234567", "first_name": "Ola"}
    if whose == "another user":
        contact["user_id"] = user["id"] + 1
    ok(post_update(channels, message_update(user, contact=contact)))
    assert "eget telefonnummer" in sent_texts(fake_telegram, user)[-1]

    ok(post_update(channels, message_update(user, "hei")))
    conversation = conversation_id("telegram", str(user["id"]), TELEGRAM_TOKEN)
    assert "verified_phone" not in last_user_metadata(channels, conversation)


def test_a_repeated_update_id_acts_once(channels, fake_telegram):
    user = new_user()
    update = message_update(user, "hei")
    ok(post_update(channels, update))
    count = len(fake_telegram.calls_to("sendMessage", user["id"]))
    assert count >= 1
    ok(post_update(channels, update))
    assert len(fake_telegram.calls_to("sendMessage", user["id"])) == count


def test_non_text_message_gets_a_plain_answer(channels, fake_telegram):
    user = new_user()
    sticker = {
        "file_id": "CAACAgIAAxkBAAEB",
        "file_unique_id": "AgADBAADr",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
    }
    ok(post_update(channels, message_update(user, sticker=sticker)))
    assert "tekstmeldinger" in sent_texts(fake_telegram, user)[-1]


@pytest.mark.parametrize(
    "body", [b"{not json", b"", b"[]", b'{"update_id": "x"}', b'{"update_id": 5, "message": 7}']
)
def test_bad_bodies_with_the_right_secret_still_get_200(channels, body):
    response = httpx.post(
        channels.url + TELEGRAM_PATH,
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET,
        },
        timeout=30,
    )
    assert response.status_code == 200, response.text[:300]
