"""`klbot dev ...`: try SMS and Telegram on your own machine, without Twilio or Telegram.

- ``klbot dev sms --from +4791234567 "STOPP"`` posts an inbound SMS to the local assistant,
  signed as Twilio signs it (``TWILIO_AUTH_TOKEN`` over ``KLBOT_PUBLIC_URL`` + the webhook
  path), and prints the assistant's replies.
- ``klbot dev telegram`` runs a local fake of Telegram's Bot API that prints what the bot
  sends; start the assistant with ``TELEGRAM_API_URL`` pointing at it.
- ``klbot dev telegram-send --chat 4242 "hei"`` posts a Telegram update to the local
  webhook with the secret header; the reply shows in the fake's window.
"""

from __future__ import annotations

import time
from typing import Optional

import typer

from bot.config import load_settings

app = typer.Typer(
    help="Try SMS and Telegram on this machine (signed SMS, a fake Telegram Bot API).",
    no_args_is_help=True,
)


def _local_url(url: Optional[str]) -> str:
    """Where the local assistant listens: RASA_PORT from the environment or .env, as make run."""
    return (url or f"http://localhost:{load_settings().rasa_port}").rstrip("/")


def _fail(message: str, code: int = 2) -> None:
    typer.secho(message, fg="red", err=True)
    raise typer.Exit(code)


def _post(url: str, **kwargs):
    import httpx

    try:
        return httpx.post(url, timeout=90, **kwargs)
    except httpx.HTTPError as exc:
        _fail(f"No assistant answers at {url} ({type(exc).__name__}). Is `make run` running?")


@app.command("sms")
def sms(
    text: str = typer.Argument(..., help="the SMS text, e.g. STOPP"),
    sender: str = typer.Option("+4791234567", "--from", help="the sender's phone number"),
    url: Optional[str] = typer.Option(
        None, "--url", help="where the assistant listens (default http://localhost:$RASA_PORT)"
    ),
) -> None:
    """Send a signed SMS to the local assistant and print its replies.

    Example: klbot dev sms --from +4791234567 "STOPP"
    """
    from bot.dev.sms import SMS_PATH, signed_sms, twiml_messages

    settings = load_settings()
    if not settings.twilio_auth_token:
        _fail(
            "SMS is off: set TWILIO_AUTH_TOKEN (any value on your machine) in .env or the "
            "environment, for both `make run` and this command."
        )
    form, headers = signed_sms(
        text,
        sender,
        settings.twilio_auth_token,
        settings.public_url,
        to=settings.twilio_from_number or "",
        account=settings.twilio_account_sid or "AC" + "0" * 32,
    )
    target = _local_url(url) + SMS_PATH
    response = _post(target, data=form, headers=headers)
    if response.status_code == 403:
        _fail(
            f"403: the assistant refused the signature. It signs against KLBOT_PUBLIC_URL "
            f"({settings.public_url}) + {SMS_PATH} with TWILIO_AUTH_TOKEN: both must be the "
            "same here as for `make run`."
        )
    if response.status_code != 200:
        _fail(f"The assistant answered HTTP {response.status_code}.")
    replies = twiml_messages(response.text)
    if not replies:
        typer.echo("(no reply)")
    for reply in replies:
        typer.echo(f"← {reply}")


@app.command("telegram")
def telegram(
    port: int = typer.Option(8081, "--port", help="where the fake Bot API listens"),
) -> None:
    """Run a fake of Telegram's Bot API that prints what the bot sends (Ctrl-C stops).

    Start the assistant with TELEGRAM_API_URL=http://127.0.0.1:8081, TELEGRAM_BOT_TOKEN and
    TELEGRAM_WEBHOOK_SECRET set (any values), then talk with `klbot dev telegram-send`.
    """
    from bot.dev.fake_telegram import Call, FakeTelegram

    def show(call: Call) -> None:
        if call.method in ("sendMessage", "sendPhoto"):
            typer.echo(f"→ chat {call.params.get('chat_id')}: {call.params.get('text', '')}")
            markup = call.params.get("reply_markup")
            if isinstance(markup, dict):
                rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
                titles = [b.get("text", "") for row in rows for b in row if isinstance(b, dict)]
                if titles:
                    typer.echo("   [" + "] [".join(titles) + "]")
        else:
            typer.echo(f"· {call.method}")

    try:
        fake = FakeTelegram(port=port, on_call=show).start()
    except OSError as exc:
        _fail(f"Cannot listen on 127.0.0.1:{port} ({exc.strerror}). Try --port.")
    typer.echo(f"Fake Telegram Bot API on {fake.url} (Ctrl-C stops).")
    typer.echo(f"Start the assistant with TELEGRAM_API_URL={fake.url}.")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()


@app.command("telegram-send")
def telegram_send(
    text: str = typer.Argument(..., help="the message text"),
    chat: int = typer.Option(4242, "--chat", help="the Telegram user (and chat) id"),
    url: Optional[str] = typer.Option(
        None, "--url", help="where the assistant listens (default http://localhost:$RASA_PORT)"
    ),
) -> None:
    """Post a Telegram message to the local assistant's webhook, as Telegram does.

    Example: klbot dev telegram-send --chat 4242 "hei"
    """
    from bot.dev.telegram import SECRET_HEADER, WEBHOOK_PATH, message_update, user

    settings = load_settings()
    if not settings.telegram_enabled:
        _fail("Telegram is off: set TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET (any values).")
    update = message_update(user(chat), text)
    target = _local_url(url) + WEBHOOK_PATH
    response = _post(
        target, json=update, headers={SECRET_HEADER: settings.telegram_webhook_secret or ""}
    )
    if response.status_code == 403:
        _fail("403: the assistant's TELEGRAM_WEBHOOK_SECRET differs from this shell's.")
    if response.status_code != 200:
        _fail(f"The assistant answered HTTP {response.status_code}.")
    typer.echo("Sent. The bot's reply shows where `klbot dev telegram` runs.")
