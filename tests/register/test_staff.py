"""Staff never miss a request; customers know where they stand (issue 13), on SQLite and
PostgreSQL: one alert per new ticket in the ticket's own transaction, repeated requests
attached to the open ticket, the reminder digest once per state, closing notices."""

from __future__ import annotations

import multiprocessing
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.config import get_settings
from bot.register import customers, requests, staff, wording
from bot.register.db import session_scope
from bot.register.models import AuditEntry, OutboxMessage, PrivacyRequest, utcnow

STAFF = "personvern@miljovarme.example.com"
OLA_EMAIL = "ola.nordmann@example.no"  # demo customer 10002
OLA_PRIVATE = ["Ola", "Nordmann", "Bjørkelia", "+4741234567", OLA_EMAIL, "10002"]


@pytest.fixture
def staffed(register, monkeypatch):
    monkeypatch.setenv("KLBOT_STAFF_EMAIL", STAFF)
    monkeypatch.delenv("KLBOT_STAFF_PHONE", raising=False)
    get_settings.cache_clear()
    yield register
    get_settings.cache_clear()


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


def test_a_new_ticket_queues_exactly_one_staff_alert_without_personal_data(staffed):
    submitted = submit(staffed)
    alerts = outbox_to(staffed, STAFF)
    assert len(alerts) == 1
    body = alerts[0].body
    assert submitted.reference in body and "innsyn" in body and "rest" in body
    # the ticket's page in the staff inbox, with no token: it leads to the login
    link = f"{get_settings().staff_url}/requests/{submitted.reference}"
    assert link in body and "?" not in link and "token" not in body
    assert wording.due_text(submitted.due_at) in body and "(om " in body
    for private in OLA_PRIVATE:
        assert private not in body
    assert alerts[0].channel == "email"


def test_the_same_request_again_attaches_to_the_open_ticket_without_a_second_alert(staffed):
    first = submit(staffed)
    second = submit(staffed, channel="socketio")
    third = submit(staffed)
    assert second.reference == third.reference == first.reference
    assert (second.merged, third.merged, third.attempts) == (True, True, 3)
    assert len(outbox_to(staffed, STAFF)) == 1
    with session_scope(staffed) as s:
        assert s.execute(select(func.count()).select_from(PrivacyRequest)).scalar_one() == 1
        trail = requests.history(s, first.reference)
        assert [e.action for e in trail] == ["create", "attempt", "attempt"]
        assert requests.request_row(requests.get_by_reference(s, first.reference))["attempts"] == 3
    # another kind is another ticket
    assert submit(staffed, kind="erasure").reference != first.reference
    assert len(outbox_to(staffed, STAFF)) == 2


def test_unverified_repeats_from_one_contact_point_make_one_ticket(staffed):
    refs = {
        submit(staffed, identifier="ukjent@example.com", verified=False).reference for _ in range(6)
    }
    assert len(refs) == 1
    other = submit(staffed, identifier="annen@example.com", verified=False)
    assert other.reference not in refs
    assert len(outbox_to(staffed, STAFF)) == 2


def test_an_unverified_caller_never_gets_the_reference_of_a_verified_ticket(staffed):
    """Attack: type the victim's e-mail without the code, hoping to learn their ticket."""
    verified = submit(staffed)
    attempt = submit(staffed, verified=False)
    assert attempt.reference != verified.reference and not attempt.merged


def test_a_verified_request_writes_its_own_ticket_next_to_an_unverified_one(staffed):
    """Issue 22: anyone can write an unverified ticket in a customer's name; the customer's
    verified request never adopts it (its text, its conversation), it is linked at most."""
    unverified = submit(staffed, verified=False, conversation_id="stranger")
    again = submit(staffed, conversation_id="customer")
    assert again.reference != unverified.reference and again.verified and not again.merged
    with session_scope(staffed) as s:
        ticket = requests.get_by_reference(s, again.reference)
        assert ticket.status == "verified" and ticket.verification_method == "otp_email"
        assert ticket.details["possible_duplicates"] == [unverified.reference]
        other = requests.get_by_reference(s, unverified.reference)
        assert other.verified is False and other.status == "received"
        assert other.details["possible_duplicates"] == [again.reference]


def test_the_alert_exists_exactly_when_its_ticket_does(staffed):
    with pytest.raises(RuntimeError):
        with session_scope(staffed) as s:
            requests.create_request(s, kind="access", channel="rest")
            raise RuntimeError("the transaction fails after the ticket was written")
    assert outbox_to(staffed, STAFF) == []
    with session_scope(staffed) as s:
        assert s.execute(select(func.count()).select_from(PrivacyRequest)).scalar_one() == 0


def test_staff_phone_only_gets_an_sms_alert_and_no_staff_contact_gets_none(register, monkeypatch):
    monkeypatch.delenv("KLBOT_STAFF_EMAIL", raising=False)
    monkeypatch.setenv("KLBOT_STAFF_PHONE", "975 27 747")
    get_settings.cache_clear()
    submit(register)
    assert [m.channel for m in outbox_to(register, "+4797527747")] == ["sms"]
    monkeypatch.delenv("KLBOT_STAFF_PHONE")
    get_settings.cache_clear()
    submit(register, kind="erasure")  # no alert anywhere, and no failure
    assert len(outbox_to(register, "+4797527747")) == 1
    get_settings.cache_clear()


def _ticket_due_in(url: str, days: float, kind: str = "access") -> str:
    with session_scope(url) as s:
        request = requests.create_request(s, kind=kind, channel="rest")
        request.due_at = utcnow() + timedelta(days=days)
        return request.reference


def _digests(url: str):
    return [m for m in outbox_to(url, STAFF) if m.body.startswith("Personvern:")]


def test_remind_sends_one_digest_per_state(staffed):
    overdue = _ticket_due_in(staffed, -2)
    soon = _ticket_due_in(staffed, 3)
    later = _ticket_due_in(staffed, 20)
    with session_scope(staffed) as s:
        digest = staff.remind(s)
    assert digest.sent
    body = _digests(staffed)[0].body
    assert overdue in body and soon in body and later not in body
    assert "1 over fristen, 1 med frist innen 7 dager" in body
    assert "over fristen)" in body and "(om 3 dager)" in body
    with session_scope(staffed) as s:
        again = staff.remind(s)
    assert not again.sent and again.reason == "already sent"
    assert len(_digests(staffed)) == 1
    # a new state (the due-soon ticket is done) is a new digest
    with session_scope(staffed) as s:
        requests.update_status(s, soon, "rejected", actor="test", category="no_data")
    with session_scope(staffed) as s:
        assert staff.remind(s).sent
    assert len(_digests(staffed)) == 2


def test_remind_with_nothing_due_sends_nothing(staffed):
    _ticket_due_in(staffed, 20)
    with session_scope(staffed) as s:
        digest = staff.remind(s)
    assert digest.empty and not digest.sent and _digests(staffed) == []


def _remind(url: str) -> bool:
    get_settings.cache_clear()
    with session_scope(url) as s:
        return staff.remind(s).sent


def test_remind_run_by_two_timers_at_once_sends_one_digest(staffed):
    _ticket_due_in(staffed, 1)
    context = multiprocessing.get_context("spawn")
    with context.Pool(4) as pool:
        sent = pool.map(_remind, [staffed] * 4)
    assert sent.count(True) == 1
    assert len(_digests(staffed)) == 1


def test_done_straight_from_verified_only_when_staff_say_so(staffed):
    ref = submit(staffed).reference
    with pytest.raises(requests.RequestError, match="--force"):
        with session_scope(staffed) as s:
            requests.update_status(s, ref, "done", actor="kjell")
    with session_scope(staffed) as s:
        request = requests.update_status(s, ref, "done", actor="kjell", force=True)
        assert request.status == "done"
        trail = requests.history(s, ref)
    assert trail[-1].changes["forced"] == "skipped in_progress"
    assert trail[-1].reason == requests.default_note("done")
    with pytest.raises(requests.RequestError):
        with session_scope(staffed) as s:  # received -> done stays refused, even forced
            other = submit(staffed, kind="erasure", verified=False).reference
            requests.update_status(s, other, "done", actor="kjell", force=True)


def test_closing_tells_the_customer_once_by_reference_only(staffed):
    ref = submit(staffed).reference
    with session_scope(staffed) as s:
        requests.update_status(s, ref, "in_progress", actor="kjell")
        requests.update_status(s, ref, "done", actor="kjell")
    notices = [m for m in outbox_to(staffed, OLA_EMAIL) if "ferdig behandlet" in m.body]
    assert len(notices) == 1 and ref in notices[0].body
    for private in OLA_PRIVATE[:4]:
        assert private not in notices[0].body
    with pytest.raises(requests.RequestError):
        with session_scope(staffed) as s:
            requests.update_status(s, ref, "done", actor="kjell")
    assert len([m for m in outbox_to(staffed, OLA_EMAIL) if "ferdig" in m.body]) == 1
    with session_scope(staffed) as s:  # told: the ticket keeps no contact point
        ticket = requests.get_by_reference(s, ref)
        assert ticket.reply_to is None and ticket.reply_channel == "email"


def test_a_rejection_carries_its_category_to_the_customer_and_to_the_status(staffed):
    ref = submit(staffed, identifier="ukjent@example.com", verified=False).reference
    with pytest.raises(requests.RequestError, match="unknown rejection category"):
        with session_scope(staffed) as s:
            requests.update_status(s, ref, "rejected", actor="kjell", category="because")
    with session_scope(staffed) as s:
        requests.update_status(s, ref, "rejected", actor="kjell", category="identity")
    (notice,) = outbox_to(staffed, "ukjent@example.com")
    assert ref in notice.body and "avslått" in notice.body
    assert wording.REJECTION_CATEGORIES["identity"] in notice.body
    assert "Datatilsynet" in notice.body and len(notice.body) <= 320


def test_the_verified_person_sees_due_dates_days_left_extensions_and_rejections(staffed):
    open_ref = submit(staffed).reference
    rejected_ref = submit(staffed, kind="erasure").reference
    with session_scope(staffed) as s:
        requests.extend_deadline(s, open_ref, reason="mange saker " * 60, actor="kjell")
        requests.update_status(s, rejected_ref, "rejected", actor="kjell", category="no_data")
        customer = customers.get_by_number(s, "10002")
        tickets = requests.customer_tickets(s, customer.id)
    lines = wording.status_lines(tickets)
    assert len(lines) == 2 and all(len(line) <= 320 for line in lines)
    assert open_ref in lines[0] and "Frist" in lines[0] and "(om " in lines[0]
    assert "forlenget: mange saker" in lines[0]
    assert rejected_ref in lines[1] and "avslått" in lines[1]
    assert wording.REJECTION_CATEGORIES["no_data"] in lines[1]


def test_a_complaint_keeps_every_text_on_one_ticket(staffed):
    first = submit(
        staffed,
        kind="complaint",
        verified=False,
        identifier="kari@example.com",
        details={"about": "reklame etter stopp"},
    )
    again = submit(
        staffed,
        kind="complaint",
        verified=False,
        identifier="kari@example.com",
        details={"about": "og igjen i dag"},
    )
    assert again.reference == first.reference
    with session_scope(staffed) as s:
        details = requests.get_by_reference(s, first.reference).details
    assert details["about"] == "reklame etter stopp" and details["about_more"] == ["og igjen i dag"]


def test_audit_of_a_digest_holds_no_personal_data(staffed):
    _ticket_due_in(staffed, 1)
    with session_scope(staffed) as s:
        staff.remind(s)
        entry = s.execute(select(AuditEntry).where(AuditEntry.action == "remind")).scalar_one()
    assert set(entry.changes) == {"overdue", "due_soon"}


def test_a_digest_by_sms_stays_short(register, monkeypatch):
    monkeypatch.delenv("KLBOT_STAFF_EMAIL", raising=False)
    monkeypatch.setenv("KLBOT_STAFF_PHONE", "975 27 747")
    get_settings.cache_clear()
    for days in range(-3, 4):
        _ticket_due_in(register, days + 0.5)
    with session_scope(register) as s:
        digest = staff.remind(s)
    get_settings.cache_clear()
    assert digest.sent and len(digest.body) <= 320, digest.body
    assert "og 4 til" in digest.body and "Se alle: http://" in digest.body


def test_a_correction_of_another_field_is_another_ticket_and_the_same_field_takes_the_latest(
    staffed,
):
    phone = submit(
        staffed, kind="correction", details={"field": "phone", "new_value": "+4790000001"}
    )
    again = submit(
        staffed, kind="correction", details={"field": "phone", "new_value": "+4790000002"}
    )
    other = submit(staffed, kind="correction", details={"field": "address", "new_value": "Vei 2"})
    assert again.reference == phone.reference and other.reference != phone.reference
    with session_scope(staffed) as s:
        assert requests.get_by_reference(s, phone.reference).details["new_value"] == "+4790000002"


def test_a_complaint_about_data_sent_to_the_wrong_person_is_flagged_in_the_alert(staffed):
    submitted = requests.submit_request(
        kind="complaint",
        channel="rest",
        identifier="ola.nordmann@example.no",
        verified=False,
        details={"about": "Dere har sendt opplysningene mine til feil person!"},
        url=staffed,
    )
    calm = requests.submit_request(
        kind="complaint",
        channel="rest",
        identifier="kari@example.no",
        verified=False,
        details={"about": "Fakturaen kom for sent"},
        url=staffed,
    )
    with session_scope(staffed) as s:
        bodies = {m.body for m in s.query(OutboxMessage)}
    flagged = [b for b in bodies if submitted.reference in b]
    assert flagged and "MULIG BRUDD" in flagged[0] and "72 timer" in flagged[0]
    assert not [b for b in bodies if calm.reference in b and "MULIG BRUDD" in b]
