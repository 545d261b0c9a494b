"""`klbot telegram set-webhook / delete-webhook / webhook-info` against the fake Bot API."""

from __future__ import annotations

import os

from tests.channels.conftest import (
    PUBLIC_URL,
    TELEGRAM_PATH,
    TELEGRAM_SECRET,
    TELEGRAM_TOKEN,
)
from tests.support.servers import klbot


def cli_env(fake_telegram, **overrides):
    env = dict(os.environ)
    env.update(
        {
            "KLBOT_PUBLIC_URL": PUBLIC_URL,
            "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
            "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
            "TELEGRAM_API_URL": fake_telegram.url,
        }
    )
    env.update(overrides)
    return env


def test_set_webhook_gives_telegram_our_url_and_secret(fake_telegram):
    done = klbot(cli_env(fake_telegram), "telegram", "set-webhook", "--drop-pending-updates")
    assert f"{PUBLIC_URL}{TELEGRAM_PATH}" in done.stdout
    call = fake_telegram.calls_to("setWebhook")[-1]
    assert call.token == TELEGRAM_TOKEN
    assert call.params["url"] == PUBLIC_URL + TELEGRAM_PATH
    assert call.params["secret_token"] == TELEGRAM_SECRET
    assert call.params["allowed_updates"] == ["message", "callback_query"]
    assert call.params["drop_pending_updates"] in (True, "true", "True")

    info = klbot(cli_env(fake_telegram), "telegram", "webhook-info")
    assert PUBLIC_URL + TELEGRAM_PATH in info.stdout

    klbot(cli_env(fake_telegram), "telegram", "delete-webhook")
    assert fake_telegram.calls_to("deleteWebhook")


def test_set_webhook_without_credentials_says_what_is_missing(fake_telegram):
    before = len(fake_telegram.calls_to("setWebhook"))
    env = cli_env(fake_telegram, TELEGRAM_BOT_TOKEN="", TELEGRAM_WEBHOOK_SECRET="")
    result = klbot(env, "telegram", "set-webhook", check=False)
    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in result.stderr and "TELEGRAM_WEBHOOK_SECRET" in result.stderr
    assert len(fake_telegram.calls_to("setWebhook")) == before


def test_set_webhook_warns_that_telegram_needs_https(fake_telegram):
    env = cli_env(fake_telegram, KLBOT_PUBLIC_URL="http://localhost:5005")
    result = klbot(env, "telegram", "set-webhook")
    assert "https://" in result.stderr
