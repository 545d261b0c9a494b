"""A request is done only when its work is done (issue 19), on SQLite and PostgreSQL: the
ticket keeps the customer's language; the typed lifecycle and the one history; correction,
restriction and objection, extension and erasure each do their work."""

from __future__ import annotations

from sqlalchemy import select

from bot.register import requests
from bot.register.db import session_scope
from bot.register.models import OutboxMessage

OLA_EMAIL = "ola.nordmann@example.no"  # demo customer 10002


def outbox_to(url: str, to: str):
    with session_scope(url) as s:
        return list(
            s.execute(
                select(OutboxMessage).where(OutboxMessage.to == to).order_by(OutboxMessage.id)
            ).scalars()
        )


def submit(url: str, **kwargs):
    args = {
        "kind": "access",
        "channel": "rest",
        "identifier": OLA_EMAIL,
        "verified": True,
        "verification_method": "otp_email",
        "url": url,
    }
    args.update(kwargs)
    return requests.submit_request(**args)


def close(url: str, ref: str, status: str = "done", **kwargs) -> None:
    with session_scope(url) as s:
        if status == "done":
            requests.update_status(s, ref, "in_progress", actor="kjell")
        requests.update_status(s, ref, status, actor="kjell", **kwargs)


# --- 1. the customer's language --------------------------------------------------------


def test_an_english_customers_closing_notice_is_english_and_a_norwegians_norwegian(register):
    english = submit(register, language="en").reference
    close(register, english)
    with session_scope(register) as s:
        assert requests.get_by_reference(s, english).language == "en"
    (notice,) = [m for m in outbox_to(register, OLA_EMAIL) if english in m.body]
    assert "has been dealt with" in notice.body and "ferdig" not in notice.body
    norwegian = submit(register, kind="portability").reference
    close(register, norwegian, "rejected", category="no_data")
    (notice,) = [m for m in outbox_to(register, OLA_EMAIL) if norwegian in m.body]
    assert "avslått" in notice.body and "rejected" not in notice.body


def test_an_english_rejection_names_its_reason_in_english(register):
    ref = submit(register, language="en").reference
    close(register, ref, "rejected", category="identity")
    (notice,) = [m for m in outbox_to(register, OLA_EMAIL) if ref in m.body]
    assert "we could not confirm your identity" in notice.body and "Datatilsynet" in notice.body
    assert len(notice.body) <= 320


def test_an_unknown_language_is_norwegian_not_an_error(register):
    ref = submit(register, language="de").reference
    with session_scope(register) as s:
        assert requests.get_by_reference(s, ref).language == "nb"
