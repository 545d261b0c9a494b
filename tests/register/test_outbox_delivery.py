"""Delivery off the reply path: the outbox worker routes SMS to (a local fake of) Twilio's
REST API and e-mail to a local SMTP server that demands STARTTLS; retries, ``failed``."""

from __future__ import annotations

import json
import subprocess
import threading
from datetime import timedelta
from typing import List

import pytest
from aiosmtpd.controller import Controller  # a dev dependency: its absence fails, never skips
from sqlalchemy import select, update

from bot.config import get_settings
from bot.notify import deliver_pending
from bot.register import identity
from bot.register.db import session_scope
from bot.register.models import OutboxMessage, utcnow
from bot.register.outbox import MAX_ATTEMPTS, record_notification
from tests.support.fake_twilio import FakeTwilio
from tests.support.servers import free_port


class Mailbox:
    def __init__(self) -> None:
        self.messages: List[str] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd)
        self.messages.append(envelope.content.decode("utf-8", "replace"))
        return "250 OK"


@pytest.fixture
def twilio():
    fake = FakeTwilio()
    yield fake
    fake.close()


@pytest.fixture
def smtp(tmp_path):
    """A local SMTP server that refuses mail until the client has started TLS."""
    import ssl

    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(  # noqa: S603, S607
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(cert), str(key))
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(
        mailbox, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True
    )
    controller.start()
    mailbox.port = port
    yield mailbox
    controller.stop()


@pytest.fixture
def delivering(register, twilio, smtp, monkeypatch):
    """Real delivery, both routes configured at once."""
    monkeypatch.setenv("KLBOT_NOTIFIER", "twilio,smtp")
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC123")
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "secret-token")
    monkeypatch.setenv("TWILIO_FROM_NUMBER", "+4759440000")
    monkeypatch.setenv("TWILIO_API_URL", twilio.url)
    monkeypatch.setenv("KLBOT_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("KLBOT_SMTP_PORT", str(smtp.port))
    monkeypatch.delenv("KLBOT_SMTP_STARTTLS", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def rows() -> List[OutboxMessage]:
    with session_scope() as s:
        return list(s.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars())


def queue(channel: str, to: str, body: str, secret=None) -> int:
    with session_scope() as s:
        return record_notification(s, channel=channel, to=to, body=body, secret=secret).id


def test_codes_go_by_sms_and_by_email_at_once_and_are_masked_after(delivering, twilio, smtp):
    identity.start_check("c-sms", "91234567", message=lambda code: f"Koden er {code}.")
    identity.start_check("c-mail", "post@hemnesgard.no", message=lambda code: f"Koden er {code}.")
    assert [r.status for r in rows()] == ["queued", "queued"]
    assert deliver_pending() == {"sent": 2}
    sms_code = twilio.received[0]["Body"].split()[-1].strip(".")
    assert sms_code.isdigit() and len(sms_code) == 6
    assert twilio.received[0]["To"] == "+4791234567"
    assert twilio.received[0]["From"] == "+4759440000"
    assert twilio.received[0]["path"] == "/2010-04-01/Accounts/AC123/Messages.json"
    assert len(smtp.messages) == 1 and "Koden er " in smtp.messages[0]
    for row in rows():
        assert row.status == "sent" and row.secret is None and row.sent_at is not None
        assert "••••••" in row.body and sms_code not in row.body


def test_a_transient_failure_is_retried_in_the_same_round(delivering, twilio):
    twilio.statuses = [500, 503]
    queue("sms", "+4791234567", "hei")
    assert deliver_pending() == {"sent": 1}
    assert len(twilio.received) == 3


def test_a_message_that_keeps_failing_ends_failed_and_staff_see_it(delivering, twilio):
    twilio.statuses = [500] * 100
    queue("sms", "+4791234567", "hei", secret=None)
    for _ in range(MAX_ATTEMPTS):
        deliver_pending()
        with session_scope() as s:
            s.execute(update(OutboxMessage).values(next_attempt_at=utcnow()))
    (row,) = rows()
    assert row.status == "failed" and row.error == "TransientFailure"
    assert row.attempts == MAX_ATTEMPTS
    from typer.testing import CliRunner

    from bot.cli.app import app

    listed = CliRunner().invoke(app, ["outbox", "list", "--json"])
    assert json.loads(listed.stdout)[0]["status"] == "failed"


def test_a_refused_message_fails_at_once(delivering, twilio):
    twilio.statuses = [400]
    queue("sms", "+4791234567", "hei")
    assert deliver_pending() == {"failed": 1}
    assert len(twilio.received) == 1
    assert rows()[0].error == "PermanentFailure"


def test_sms_without_twilio_fails_visibly_instead_of_pretending(delivering, monkeypatch):
    monkeypatch.delenv("TWILIO_ACCOUNT_SID")
    get_settings.cache_clear()
    queue("sms", "+4791234567", "hei")
    assert deliver_pending() == {"failed": 1}
    assert rows()[0].error == "NotConfigured"


def test_a_code_too_old_to_use_is_not_delivered(delivering, twilio):
    queue("sms", "+4791234567", "Koden er 123456.", secret="123456")  # noqa: S106
    with session_scope() as s:
        s.execute(update(OutboxMessage).values(created_at=utcnow() - timedelta(minutes=11)))
    assert deliver_pending() == {"failed": 1}
    assert twilio.received == []
    assert rows()[0].secret is None


def test_smtp_uses_starttls_by_default(delivering, smtp, monkeypatch):
    """The server refuses mail before STARTTLS: delivery works only because we start TLS."""
    queue("email", "post@hemnesgard.no", "hei")
    assert deliver_pending() == {"sent": 1}
    monkeypatch.setenv("KLBOT_SMTP_STARTTLS", "false")
    get_settings.cache_clear()
    queue("email", "post@hemnesgard.no", "hei igjen")
    assert deliver_pending().get("sent", 0) == 0
    assert len(smtp.messages) == 1


def test_one_message_is_claimed_by_one_worker(delivering, twilio):
    for i in range(6):
        queue("sms", "+4791234567", f"melding {i}")
    results: List[dict] = []
    workers = [threading.Thread(target=lambda: results.append(deliver_pending())) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sum(r.get("sent", 0) for r in results) == 6
    assert sorted(m["Body"] for m in twilio.received) == [f"melding {i}" for i in range(6)]


def test_the_cli_delivers_the_queue(delivering, twilio):
    from typer.testing import CliRunner

    from bot.cli.app import app

    queue("sms", "+4791234567", "hei")
    result = CliRunner().invoke(app, ["outbox", "deliver"])
    assert result.exit_code == 0, result.output
    assert "1 sent" in result.stdout and len(twilio.received) == 1
