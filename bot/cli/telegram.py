"""`klbot telegram ...`: register or remove the Telegram webhook (Bot API setWebhook).

Telegram calls ``KLBOT_PUBLIC_URL`` + ``/webhooks/telegram/webhook`` with the header
``X-Telegram-Bot-Api-Secret-Token: $TELEGRAM_WEBHOOK_SECRET``; ``set-webhook`` tells Telegram
both. The Bot API is reached at ``TELEGRAM_API_URL`` (default https://api.telegram.org).
"""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable, Optional

import typer

from bot.config import Settings, load_settings

WEBHOOK_PATH = "/webhooks/telegram/webhook"
ALLOWED_UPDATES = ["message", "callback_query"]

app = typer.Typer(help="Telegram: register or remove the bot's webhook.", no_args_is_help=True)


def _error(label: str, text: str, colour: str = "red") -> None:
    typer.secho(label, fg=colour, err=True, nl=False)
    typer.echo(f" {text}", err=True)


def _settings(need_secret: bool) -> Settings:
    settings = load_settings()
    missing = [
        name
        for name, value in (
            ("TELEGRAM_BOT_TOKEN", settings.telegram_bot_token),
            ("TELEGRAM_WEBHOOK_SECRET", settings.telegram_webhook_secret if need_secret else "-"),
        )
        if not value
    ]
    if missing:
        _error("Not configured:", f"set {', '.join(missing)} (environment or .env).")
        raise typer.Exit(2)
    return settings


def _call(settings: Settings, action: Callable[[Any], Awaitable[Any]]) -> Any:
    from telegram.error import TelegramError

    from bot.channels.telegram import make_bot

    async def run() -> Any:
        async with make_bot(settings) as bot:
            return await action(bot)

    try:
        return asyncio.run(run())
    except TelegramError as exc:
        _error("Telegram refused:", str(exc))
        raise typer.Exit(1) from exc


@app.command("set-webhook")
def set_webhook(
    url: Optional[str] = typer.Option(
        None, help=f"Webhook URL (default: KLBOT_PUBLIC_URL + {WEBHOOK_PATH})."
    ),
    drop_pending_updates: bool = typer.Option(
        False, "--drop-pending-updates", help="Discard updates Telegram has queued."
    ),
) -> None:
    """Tell Telegram where to send updates, and the secret token it must send with them."""
    settings = _settings(need_secret=True)
    target = url or settings.public_url + WEBHOOK_PATH
    if not target.startswith("https://"):
        _error(
            "Note:",
            "Telegram only delivers to https:// URLs (ports 443, 80, 88 or 8443); set "
            "KLBOT_PUBLIC_URL to the public HTTPS address.",
            colour="yellow",
        )
    _call(
        settings,
        lambda bot: bot.set_webhook(
            url=target,
            secret_token=settings.telegram_webhook_secret,
            allowed_updates=ALLOWED_UPDATES,
            drop_pending_updates=drop_pending_updates,
        ),
    )
    typer.echo(f"Webhook set: {target}")


@app.command("delete-webhook")
def delete_webhook(
    drop_pending_updates: bool = typer.Option(
        False, "--drop-pending-updates", help="Discard updates Telegram has queued."
    ),
) -> None:
    """Stop Telegram from calling the webhook."""
    settings = _settings(need_secret=False)
    _call(settings, lambda bot: bot.delete_webhook(drop_pending_updates=drop_pending_updates))
    typer.echo("Webhook deleted.")


@app.command("webhook-info")
def webhook_info() -> None:
    """Show what Telegram has registered (URL, queued updates, last delivery error)."""
    settings = _settings(need_secret=False)
    info = _call(settings, lambda bot: bot.get_webhook_info())
    typer.echo(f"URL: {info.url or '(none)'}")
    typer.echo(f"Pending updates: {info.pending_update_count}")
    if info.last_error_message:
        typer.echo(f"Last error: {info.last_error_message} ({info.last_error_date})")
