"""Notifiers: every message is recorded in the outbox, then delivered by the configured way.

``KLBOT_NOTIFIER``: ``outbox`` (default: record only), ``smtp`` (e-mail), ``twilio`` (SMS).
A delivery failure never raises into the caller: the outbox row says ``failed``.
"""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from bot.config import get_settings
from bot.register.db import session_scope
from bot.register.outbox import record_notification

logger = logging.getLogger(__name__)


class Notifier:
    name = "outbox"

    def deliver(self, channel: str, to: str, body: str) -> str:
        return "recorded"

    def send(self, channel: str, to: str, body: str) -> str:
        try:
            status = self.deliver(channel, to, body)
        except Exception as exc:  # noqa: BLE001 - recorded as failed, never raised
            logger.warning("Delivery by %s failed (%s)", self.name, type(exc).__name__)
            status = "failed"
        with session_scope() as s:
            message = record_notification(s, channel=channel, to=to, body=body, status=status)
            logger.info("Notification %s: %s via %s", message.id, status, channel)
        return status


class SmtpNotifier(Notifier):
    name = "smtp"

    def deliver(self, channel: str, to: str, body: str) -> str:
        if channel != "email":
            return "recorded"
        settings = get_settings()
        message = EmailMessage()
        message["From"] = settings.smtp_from
        message["To"] = to
        message["Subject"] = "KL Miljøvarme – personvern"
        message.set_content(body)
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=15) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password or "")
            smtp.send_message(message)
        return "sent"


class TwilioNotifier(Notifier):
    name = "twilio"

    def deliver(self, channel: str, to: str, body: str) -> str:
        if channel != "sms":
            return "recorded"
        from twilio.rest import Client

        settings = get_settings()
        client = Client(settings.twilio_account_sid, settings.twilio_auth_token)
        if settings.twilio_api_url:
            client.api.base_url = settings.twilio_api_url.rstrip("/")
        client.messages.create(to=to, from_=settings.twilio_from_number, body=body)
        return "sent"


def get_notifier() -> Notifier:
    kind = (get_settings().notifier or "outbox").lower()
    return {"smtp": SmtpNotifier, "twilio": TwilioNotifier}.get(kind, Notifier)()
