"""The checks at every door, in the fast layer: real apps on real sockets, no Rasa, no model.

The e2e suite performs these attacks through `make run`'s servers; here the same attacks hit
the real action-server app (``bot.action_server.create_app``) and the real SMS and Telegram
webhook blueprints served in this process (tests/support/inprocess.py), so a regression in
the token, signature or secret check fails within a minute of `make test-fast`. Each attack
has a control that the same request, properly authenticated, does get through: the check
can fail.
"""

from __future__ import annotations

from typing import List

import httpx
import pytest
from rasa.core.channels.channel import UserMessage
from sanic import Sanic

from bot.dev import sms
from bot.dev.fake_telegram import FakeTelegram
from bot.dev.telegram import SECRET_HEADER, message_update, user
from tests.support.inprocess import serve

Sanic.test_mode = True  # several apps of one name in one process

ACTION_TOKEN = "inprocess-action-token-0123456789"  # noqa: S105 - test credential
TWILIO_TOKEN = "inprocess-twilio-token-0123456789"  # noqa: S105
TELEGRAM_SECRET = "inprocess-telegram-secret-0123456789"  # noqa: S105
PUBLIC_URL = "https://chat.miljovarme.example"
VICTIM = "+4797527747"


@pytest.fixture
def register(tmp_path, monkeypatch):
    from bot.config import get_settings
    from bot.register.db import upgrade

    url = f"sqlite:///{tmp_path / 'register.db'}"
    monkeypatch.setenv("KLBOT_DATABASE_URL", url)
    monkeypatch.setenv("KLBOT_PUBLIC_URL", PUBLIC_URL)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TWILIO_TOKEN)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:inprocess")
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", TELEGRAM_SECRET)
    get_settings.cache_clear()
    upgrade(url)
    yield url
    get_settings.cache_clear()


def rows(url: str) -> dict:
    from sqlalchemy import text

    from bot.register.db import get_engine

    with get_engine(url).connect() as c:
        return {
            table: c.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar()  # noqa: S608
            for table in ("privacy_requests", "suppressions", "outbox")
        }


def forged_call(action: str) -> dict:
    from tests.security.test_action_server import forged_call as forged

    return forged(action)


# --- the action server ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": ACTION_TOKEN}],
    ids=["no token", "wrong token", "no scheme"],
)
def test_a_forged_action_call_is_refused_before_any_action_runs(register, headers):
    from bot.action_server import create_app

    before = rows(register)
    with serve(create_app("actions", ACTION_TOKEN)) as url:
        for action in ("action_submit_request", "action_opt_out", "action_submit_complaint"):
            answer = httpx.post(url + "/webhook", json=forged_call(action), headers=headers)
            assert answer.status_code == 401, (action, answer.status_code, answer.text[:200])
        assert httpx.get(url + "/actions", headers=headers).status_code == 401
        control = httpx.get(url + "/actions", headers={"Authorization": f"Bearer {ACTION_TOKEN}"})
        assert control.status_code == 200
    assert rows(register) == before


# --- SMS: Twilio's signature ------------------------------------------------------------------


def sms_app(received: List[UserMessage]) -> Sanic:
    from bot.channels.twilio_sms import TwilioSmsInput
    from bot.config import load_settings

    async def on_new_message(message: UserMessage) -> None:
        received.append(message)

    app = Sanic("sms_inprocess")
    app.ctx.agent = None
    app.blueprint(
        TwilioSmsInput(load_settings()).blueprint(on_new_message), url_prefix="/webhooks/twilio_sms"
    )
    return app


def suppressed(url: str) -> List[str]:
    from bot.register.db import session_scope
    from bot.register.suppressions import list_suppressions

    with session_scope(url) as s:
        return [x.address for x in list_suppressions(s, "sms")]


@pytest.mark.parametrize(
    "how", ["missing", "wrong token", "signed for another url", "body changed after signing"]
)
def test_an_unsigned_or_forged_sms_is_refused_and_changes_nothing(register, how):
    received: List[UserMessage] = []
    form, headers = sms.signed_sms("STOPP", VICTIM, TWILIO_TOKEN, PUBLIC_URL)
    if how == "missing":
        headers = {}
    elif how == "wrong token":
        form, headers = sms.signed_sms("STOPP", VICTIM, "not-the-token", PUBLIC_URL)
    elif how == "signed for another url":
        form, headers = sms.signed_sms("STOPP", VICTIM, TWILIO_TOKEN, "http://127.0.0.1:5005")
    else:
        form, headers = sms.signed_sms("hei", VICTIM, TWILIO_TOKEN, PUBLIC_URL)
        form["Body"] = "STOPP"
    with serve(sms_app(received)) as url:
        answer = httpx.post(url + sms.SMS_PATH, data=form, headers=headers)
    assert answer.status_code == 403, (answer.status_code, answer.text[:200])
    assert not received and VICTIM not in suppressed(register)


def test_control_a_signed_stopp_gets_through_and_opts_out(register):
    form, headers = sms.signed_sms("STOPP", VICTIM, TWILIO_TOKEN, PUBLIC_URL)
    with serve(sms_app([])) as url:
        answer = httpx.post(url + sms.SMS_PATH, data=form, headers=headers)
    assert answer.status_code == 200, (answer.status_code, answer.text[:200])
    assert VICTIM in suppressed(register)


# --- Telegram: the webhook secret -------------------------------------------------------------


@pytest.mark.parametrize("secret", [None, "", "wrong", TELEGRAM_SECRET[:-1]])
def test_a_telegram_update_without_the_secret_is_refused(register, monkeypatch, secret):
    received: List[UserMessage] = []
    fake = FakeTelegram().start()
    monkeypatch.setenv("TELEGRAM_API_URL", fake.url)
    try:
        with serve(telegram_app(received)) as url:
            headers = {} if secret is None else {SECRET_HEADER: secret}
            update = message_update(user(424242), "slett meg")
            answer = httpx.post(url + "/webhooks/telegram/webhook", json=update, headers=headers)
            assert answer.status_code == 403
            assert not received
            control = httpx.post(
                url + "/webhooks/telegram/webhook",
                json=message_update(user(424242), "hei"),
                headers={SECRET_HEADER: TELEGRAM_SECRET},
            )
            assert control.status_code == 200
    finally:
        fake.stop()
    assert [m.text for m in received] == ["hei"]


def telegram_app(received: List[UserMessage]) -> Sanic:
    from bot.channels.telegram import TelegramInput
    from bot.config import load_settings

    async def on_new_message(message: UserMessage) -> None:
        received.append(message)

    app = Sanic("telegram_inprocess")
    app.blueprint(
        TelegramInput(load_settings()).blueprint(on_new_message), url_prefix="/webhooks/telegram"
    )
    return app


# --- REST: body limits and JSON only ----------------------------------------------------------


def rest_app(received: List[UserMessage]) -> Sanic:
    from bot.channels.rest import RestInput

    async def on_new_message(message: UserMessage) -> None:
        received.append(message)

    app = Sanic("rest_inprocess")
    app.blueprint(RestInput().blueprint(on_new_message), url_prefix="/webhooks/rest")
    return app


@pytest.mark.parametrize(
    "body, content_type, status",
    [
        (b'{"sender": "a", "message": "' + b"x" * 70_000 + b'"}', "application/json", 413),
        (b'{"sender": "a", "message": "slett meg"}', "text/plain", 415),
        (b"sender=a&message=slett+meg", "application/x-www-form-urlencoded", 415),
        (b'{"sender": "a", "message": ', "application/json", 400),
        (b'["a", "slett meg"]', "application/json", 400),
    ],
    ids=["too large", "text/plain", "a form", "broken json", "not an object"],
)
def test_a_rest_body_that_is_too_large_or_not_json_never_reaches_the_assistant(
    register, body, content_type, status
):
    received: List[UserMessage] = []
    with serve(rest_app(received)) as url:
        answer = httpx.post(
            url + "/webhooks/rest/webhook", content=body, headers={"Content-Type": content_type}
        )
        assert answer.status_code == status, (answer.status_code, answer.text[:200])
        assert "Traceback" not in answer.text
        assert not received
        control = httpx.post(
            url + "/webhooks/rest/webhook", json={"sender": "kunde-1", "message": "hei"}
        )
        assert control.status_code == 200, control.text[:200]
    assert [m.text for m in received] == ["hei"]


# --- the web chat's socket: allowed origins only ----------------------------------------------


def socket_app() -> Sanic:
    from bot.channels.socketio import GuardedSocketIOInput

    async def on_new_message(message: UserMessage) -> None:
        return None

    app = Sanic("socket_inprocess")
    channel = GuardedSocketIOInput(
        user_message_evt="user_uttered", bot_message_evt="bot_uttered", session_persistence=True
    )
    app.blueprint(channel.blueprint(on_new_message), url_prefix="/webhooks/socketio")
    return app


def test_a_page_of_another_site_cannot_open_the_chat_socket(register, monkeypatch):
    monkeypatch.setenv("KLBOT_ENV", "production")
    monkeypatch.setenv("KLBOT_WEB_ORIGINS", "https://www.miljovarme.example")
    from bot.config import get_settings

    get_settings.cache_clear()
    with serve(socket_app()) as url:
        handshake = url + "/socket.io/?EIO=4&transport=polling"
        evil = httpx.get(handshake, headers={"Origin": "https://evil.example"})
        assert evil.status_code == 400, (evil.status_code, evil.text[:200])
        own = httpx.get(handshake, headers={"Origin": "https://www.miljovarme.example"})
        assert own.status_code == 200 and '"sid"' in own.text, (own.status_code, own.text[:200])


# --- Telegram: the channel's own texts in the user's language ---------------------------------


@pytest.mark.parametrize(
    "language_code, words, button",
    [("en", "recognise your phone number", "Share my phone number"),
     ("nb", "kjenne igjen telefonnummeret", "Del telefonnummeret mitt")],
)  # fmt: skip
def test_telegram_speaks_the_users_language_in_its_own_texts(
    register, monkeypatch, language_code, words, button
):
    fake = FakeTelegram().start()
    monkeypatch.setenv("TELEGRAM_API_URL", fake.url)
    chat = 5150 if language_code == "en" else 5151
    sender = user(chat, first_name="Ann", language_code=language_code)
    try:
        with serve(telegram_app([])) as url:
            headers = {SECRET_HEADER: TELEGRAM_SECRET}
            for update in (message_update(sender, "/telefon"), message_update(sender)):
                answer = httpx.post(
                    url + "/webhooks/telegram/webhook", json=update, headers=headers
                )
                assert answer.status_code == 200
            sent = fake.wait_for("sendMessage", count=2, chat_id=chat, timeout=20)
    finally:
        fake.stop()
    offer, text_only = sent[0].params, sent[1].params
    assert words in offer["text"]
    assert offer["reply_markup"]["keyboard"][0][0]["text"] == button
    english = "only read text messages" in text_only["text"]
    assert english == (language_code == "en"), text_only["text"]
