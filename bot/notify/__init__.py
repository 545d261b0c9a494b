"""Delivery of the outbox, off the reply path, routed by channel.

Nothing here runs inside a customer's turn: the actions (and everyone else) only queue with
``bot.register.outbox.record_notification``. This module delivers what is queued:

- ``sms`` through Twilio's REST API (``TWILIO_ACCOUNT_SID``, ``TWILIO_AUTH_TOKEN``,
  ``TWILIO_FROM_NUMBER``; ``TWILIO_API_URL`` points it at a test double);
- ``email`` through SMTP (``KLBOT_SMTP_*``; STARTTLS unless ``KLBOT_SMTP_STARTTLS=false``);
- ``telegram`` (``to`` = the chat id) through the Bot API at ``TELEGRAM_API_URL``: the
  closing notice for a ticket asked for on Telegram.

Both are used at once whenever ``KLBOT_NOTIFIER`` is anything but ``outbox`` (``twilio``,
``smtp``, ``twilio,smtp``: the value only switches real delivery on); a channel whose route
is not configured fails visibly (``failed``, error ``NotConfigured``) instead of pretending.
``outbox`` (the development default) delivers nothing.

Each round tries a message up to 3 times (``tenacity``, short exponential back-off) on
transient errors; a message that still fails goes back to the queue for a later round, and
after ``outbox.MAX_ATTEMPTS`` rounds (or at once on a permanent error) it is ``failed``,
which staff see in ``klbot outbox list``. The worker runs as a thread in the action server
(``start_worker``) and as ``klbot outbox deliver [--loop]``.
"""

from __future__ import annotations

import logging
import smtplib
import threading
from datetime import timedelta
from email.message import EmailMessage
from typing import Callable, Dict, Optional

import httpx
from tenacity import (
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from bot.config import Settings, get_settings
from bot.register import outbox
from bot.register.db import session_scope
from bot.register.models import utcnow

logger = logging.getLogger(__name__)
logging.getLogger("httpx").setLevel(logging.WARNING)  # its INFO lines hold URLs

TWILIO_API = "https://api.twilio.com"
TRIES_PER_ROUND = 3
POLL_SECONDS = 2.0


class NotConfigured(Exception):
    """The channel has no delivery route configured."""


class PermanentFailure(Exception):
    """The provider refused the message for good (bad number, rejected recipient)."""


class TransientFailure(Exception):
    """The provider may accept the message later (5xx, 429, a dropped connection)."""


# --- the routes ---------------------------------------------------------------------------


def send_sms(settings: Settings, to: str, body: str) -> None:
    sid, token, sender = (
        settings.twilio_account_sid,
        settings.twilio_auth_token,
        settings.twilio_from_number,
    )
    if not (sid and token and sender):
        raise NotConfigured("sms")
    root = (settings.twilio_api_url or TWILIO_API).rstrip("/")
    try:
        reply = httpx.post(
            f"{root}/2010-04-01/Accounts/{sid}/Messages.json",
            auth=(sid, token),
            data={"To": to, "From": sender, "Body": body},
            timeout=15,
        )
    except httpx.HTTPError as exc:
        raise TransientFailure(type(exc).__name__) from exc
    if reply.status_code == 429 or reply.status_code >= 500:
        raise TransientFailure(f"HTTP {reply.status_code}")
    if reply.status_code >= 400:
        raise PermanentFailure(f"HTTP {reply.status_code}")


def send_email(settings: Settings, to: str, body: str) -> None:
    if not settings.smtp_host:
        raise NotConfigured("email")
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = to
    message["Subject"] = "KL Miljøvarme – personvern"
    message.set_content(body)
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=15) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password or "")
            smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        raise PermanentFailure("SMTPRecipientsRefused") from exc
    except smtplib.SMTPResponseException as exc:
        if 400 <= exc.smtp_code < 500:
            raise TransientFailure(f"SMTP {exc.smtp_code}") from exc
        raise PermanentFailure(f"SMTP {exc.smtp_code}") from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise TransientFailure(type(exc).__name__) from exc


def send_telegram(settings: Settings, to: str, body: str) -> None:
    if not settings.telegram_bot_token:
        raise NotConfigured("telegram")
    # the URL holds the bot token: httpx logs URLs at INFO, so it is kept at WARNING
    url = f"{settings.telegram_api_url}/bot{settings.telegram_bot_token}/sendMessage"
    try:
        reply = httpx.post(url, json={"chat_id": int(to), "text": body}, timeout=15)
    except httpx.HTTPError as exc:
        raise TransientFailure(type(exc).__name__) from exc
    if reply.status_code == 429 or reply.status_code >= 500:
        raise TransientFailure(f"HTTP {reply.status_code}")
    if reply.status_code >= 400 or not reply.json().get("ok"):
        raise PermanentFailure(f"HTTP {reply.status_code}")


ROUTES: Dict[str, Callable[[Settings, str, str], None]] = {
    "sms": send_sms,
    "email": send_email,
    "telegram": send_telegram,
}
ROUTE_NAMES = {"sms": "twilio", "email": "smtp", "telegram": "telegram"}


def _retry_after(round_number: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** (round_number - 1), 15 * 60))


def deliver_one(settings: Optional[Settings] = None) -> Optional[str]:
    """Claim and deliver the next due message: ``sent``, ``queued`` (another round later),
    ``failed``, or None when nothing is due."""
    settings = settings or get_settings()
    with session_scope() as s:
        claimed = outbox.claim_next(s)
    if claimed is None:
        return None
    route = ROUTES.get(claimed.channel)
    notifier = ROUTE_NAMES.get(claimed.channel, claimed.channel)
    error: Optional[Exception] = None
    if claimed.has_secret and utcnow() - claimed.created_at > outbox.SECRET_LIFETIME:
        error = PermanentFailure("code expired before delivery")
    elif route is None:
        error = NotConfigured(claimed.channel)
    else:
        try:
            for attempt in Retrying(
                stop=stop_after_attempt(TRIES_PER_ROUND),
                wait=wait_exponential(multiplier=0.2, max=2),
                retry=retry_if_exception(lambda exc: isinstance(exc, TransientFailure)),
                reraise=True,
            ):
                with attempt:
                    route(settings, claimed.to, claimed.body)
        except Exception as exc:  # noqa: BLE001 - recorded on the message, never raised
            error = exc
    with session_scope() as s:
        if error is None:
            outbox.mark_sent(s, claimed.id, notifier=notifier)
            status = "sent"
        else:
            retry = _retry_after(claimed.attempts) if isinstance(error, TransientFailure) else None
            status = outbox.mark_failed(
                s, claimed.id, error=type(error).__name__, notifier=notifier, retry_after=retry
            )
    # ids and types only: never the address or the text
    logger.info("Outbox message %s over %s: %s", claimed.id, claimed.channel, status)
    if status == "failed":
        logger.error("Outbox message %s failed for good (%s)", claimed.id, type(error).__name__)
    return status


def deliver_pending(limit: int = 100, settings: Optional[Settings] = None) -> Dict[str, int]:
    """Deliver what is due now (at most ``limit`` messages); counts by resulting status."""
    counts: Dict[str, int] = {}
    for _ in range(limit):
        status = deliver_one(settings)
        if status is None:
            break
        counts[status] = counts.get(status, 0) + 1
    return counts


# --- the worker in the action server ------------------------------------------------------


class OutboxWorker(threading.Thread):
    """Delivers the outbox in the background; ``wake()`` after queueing for a prompt send."""

    def __init__(self, poll_seconds: float = POLL_SECONDS) -> None:
        super().__init__(name="klbot-outbox", daemon=True)
        self.poll_seconds = poll_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                deliver_pending()
            except Exception as exc:  # noqa: BLE001 - the register may be down: try later
                logger.warning("Outbox delivery round failed (%s)", type(exc).__name__)
            self._wake.wait(self.poll_seconds)


_worker: Optional[OutboxWorker] = None
_worker_lock = threading.Lock()


def start_worker() -> Optional[OutboxWorker]:
    """Start this process's delivery thread once (only with real delivery)."""
    global _worker
    if not outbox.delivers():
        return None
    with _worker_lock:
        if _worker is None or not _worker.is_alive():
            settings = get_settings()
            for channel, ok in (
                ("sms", settings.twilio_account_sid and settings.twilio_from_number),
                ("email", settings.smtp_host),
            ):
                if not ok:
                    logger.warning("No delivery route for %s: such messages will fail", channel)
            _worker = OutboxWorker()
            _worker.start()
    return _worker


def wake_worker() -> None:
    if _worker is not None:
        _worker.wake()
