"""Identity checks decided by the register (bot.register.identity), on SQLite and PostgreSQL.

Each test performs the attack the limit exists for and fails if it succeeds.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.register import identity, verification
from bot.register.db import session_scope
from bot.register.models import AuditEntry, Challenge, CodeFailure, OutboxMessage, utcnow
from bot.register.requests import Submitted

KNOWN_PHONE = "91234567"  # demo customer 10001 (+4791234567, post@hemnesgard.no)
KNOWN_EMAIL = "post@hemnesgard.no"
UNKNOWN_PHONE = "41999999"


def message(code: str) -> str:
    return f"Engangskoden din er {code}."


def codes_to(*addresses: str) -> list:
    with session_scope() as s:
        return list(
            s.execute(
                select(OutboxMessage)
                .where(OutboxMessage.purpose == identity.CODE, OutboxMessage.to.in_(addresses))
                .order_by(OutboxMessage.id)
            ).scalars()
        )


def latest_code(address: str) -> str:
    rows = codes_to(address)
    assert rows, "no code queued"
    return rows[-1].body.rsplit(" ", 1)[-1].strip(".")


def age_challenges(delta: timedelta) -> None:
    """Move every challenge back in time (as if it had been started ``delta`` ago)."""
    with session_scope() as s:
        for challenge in s.execute(select(Challenge)).scalars():
            challenge.created_at -= delta
            challenge.expires_at -= delta


def test_twenty_conversations_get_at_most_three_codes(register):
    states = [
        identity.start_check(f"flood-{i}", KNOWN_PHONE, message=message).state for i in range(20)
    ]
    assert len(codes_to("+4791234567")) == 3
    assert states[:3] == ["sent"] * 3 and set(states[3:]) == {"limited"}


def test_an_unknown_contact_point_is_limited_exactly_like_a_known_one(register):
    known = [identity.start_check(f"k-{i}", KNOWN_PHONE, message=message).state for i in range(5)]
    unknown = [
        identity.start_check(f"u-{i}", UNKNOWN_PHONE, message=message).state for i in range(5)
    ]
    assert known == unknown == ["sent"] * 3 + ["limited"] * 2
    assert codes_to("+4741999999") == []


@pytest.mark.slow
def test_ten_codes_a_day_per_contact_point(register):
    sent = 0
    for hour in range(6):
        for i in range(3):
            started = identity.start_check(f"day-{hour}-{i}", KNOWN_PHONE, message=message)
            sent += started.state == "sent"
        age_challenges(timedelta(hours=1, minutes=1))
    assert sent == 10
    assert len(codes_to("+4791234567")) == 10


def test_phone_and_email_of_one_customer_share_the_limit(register):
    for i in range(3):
        identity.start_check(f"p-{i}", KNOWN_PHONE, message=message)
    for i in range(3):
        identity.start_check(f"e-{i}", KNOWN_EMAIL, message=message)
    assert len(codes_to("+4791234567", KNOWN_EMAIL)) == 3


def test_one_code_a_minute_per_conversation(register):
    first = identity.start_check("c", KNOWN_PHONE, message=message)
    again = identity.start_check("c", KNOWN_PHONE, message=message)
    assert again.state == "wait" and again.challenge_id == first.challenge_id
    assert len(codes_to("+4791234567")) == 1


def brute_force(conversations: int, identifier: str) -> list:
    statuses = []
    for i in range(conversations):
        conversation = f"bf-{identifier}-{i}"
        started = identity.start_check(conversation, identifier, message=message)
        for _ in range(5):
            statuses.append(
                identity.check_code(conversation, started.challenge_id, "000000").status
            )
        age_challenges(timedelta(minutes=21))  # past the hourly code limit, within the day
    return statuses


def right_code_in_new_conversation(conversation: str) -> str:
    started = identity.start_check(conversation, KNOWN_PHONE, message=message)
    assert started.state == "sent"
    with session_scope() as s:
        challenge = s.get(Challenge, started.challenge_id)
        has_code = challenge.code_hash is not None
    code = latest_code("+4791234567") if has_code else "123456"
    return identity.check_code(conversation, started.challenge_id, code).status


@pytest.mark.slow
def test_brute_force_across_conversations_locks_the_customer(register):
    statuses = brute_force(6, KNOWN_PHONE)
    assert statuses.count("wrong") <= 9
    assert statuses[9:] == ["locked"] * (len(statuses) - 9)
    assert right_code_in_new_conversation("seventh") == "locked"
    assert identity.verified_customer_for("seventh", KNOWN_PHONE) is None


@pytest.mark.slow
def test_unknown_contact_point_brute_force_answers_the_same(register):
    known = brute_force(3, KNOWN_PHONE)
    unknown = brute_force(3, UNKNOWN_PHONE)
    assert known == unknown


def test_staff_unlock_lifts_the_lock_and_is_audited(register):
    brute_force(2, KNOWN_PHONE)
    assert right_code_in_new_conversation("before-unlock") == "locked"
    cleared = identity.unlock_customer("10001", actor="tester", reason="customer called")
    assert cleared == 10
    age_challenges(timedelta(hours=2))
    assert right_code_in_new_conversation("after-unlock") == "ok"
    with session_scope() as s:
        answered = s.execute(
            select(Challenge.id).where(Challenge.conversation_id == "after-unlock")
        ).scalar_one()
    proof = identity.verified_customer_for("after-unlock", KNOWN_PHONE, challenge_id=answered)
    assert proof.method == "otp_sms"
    with session_scope() as s:
        entry = s.execute(select(AuditEntry).where(AuditEntry.action == "unlock")).scalar_one()
        assert (entry.actor, entry.entity, entry.changes) == (
            "tester",
            "customer",
            {"wrong_codes_cleared": 10},
        )
    with pytest.raises(LookupError):
        identity.unlock_customer("99999", actor="tester")


def test_lock_expires_after_24_hours(register):
    brute_force(2, KNOWN_PHONE)
    with session_scope() as s:
        s.execute(update(CodeFailure).values(at=utcnow() - timedelta(hours=24, minutes=1)))
    age_challenges(timedelta(hours=2))
    assert right_code_in_new_conversation("next-day") == "ok"


def test_only_this_conversation_and_only_recently_counts_as_verified(register):
    started = identity.start_check("mine", KNOWN_EMAIL, message=message)
    this = {"challenge_id": started.challenge_id}
    assert identity.verified_customer_for("mine", KNOWN_EMAIL, **this) is None
    # a challenge id is not a key into another conversation
    code = latest_code(KNOWN_EMAIL)
    assert identity.check_code("attacker", started.challenge_id, code).status == "unknown"
    assert identity.check_code("mine", started.challenge_id, code).status == "ok"
    proof = identity.verified_customer_for("mine", KNOWN_EMAIL, **this)
    assert proof is not None and proof.method == "otp_email"
    assert identity.verified_customer_for("mine", KNOWN_PHONE, **this) is not None  # same one
    assert identity.verified_customer_for("mine", KNOWN_EMAIL) is None  # not this request's
    assert identity.verified_customer_for("attacker", KNOWN_EMAIL, **this) is None
    another = "ola.nordmann@example.no"
    assert identity.verified_customer_for("mine", another, **this) is None
    with session_scope() as s:
        s.execute(update(Challenge).values(used_at=utcnow() - timedelta(minutes=16)))
    assert identity.verified_customer_for("mine", KNOWN_EMAIL, **this) is None


def test_channel_proof_is_what_the_connector_recorded(register):
    sms = {"channel": "twilio_sms"}
    assert identity.verified_customer_for("sms-abc", KNOWN_PHONE, **sms) is None
    identity.record_channel_proof("sms-abc", "twilio_sms", "+4791234567")
    proof = identity.verified_customer_for("sms-abc", KNOWN_PHONE, **sms)
    assert proof is not None and proof.method == "channel_twilio_sms"
    assert identity.channel_proved_customer("sms-abc", "twilio_sms") == "+4791234567"
    # only on a turn that came in on that channel
    assert identity.verified_customer_for("sms-abc", KNOWN_PHONE, channel="rest") is None
    assert identity.channel_proved_customer("sms-abc", "rest") is None
    assert identity.verified_customer_for("sms-other", KNOWN_PHONE, **sms) is None
    identity.record_channel_proof("sms-unknown", "twilio_sms", "+4741999999")
    assert identity.channel_proved_customer("sms-unknown", "twilio_sms") is None


def submit(
    conversation: str, identifier: str, kind: str = "erasure", channel: str = "rest"
) -> Submitted:
    return identity.submit_rights_request(
        conversation_id=conversation,
        kind=kind,
        channel=channel,
        channel_proof=channel != "rest",
        identifier=identifier,
        details={},
        unverified_details={"contact_given": identifier},
        confirmation=lambda ref, due, verified: f"{ref} verified={verified}",
        prefer=lambda customer, given: ("sms", customer.phone),
    )


def test_a_ticket_is_verified_only_when_the_register_backs_it(register):
    assert submit("no-check", KNOWN_PHONE).verified is False
    identity.record_channel_proof("sms-proved", "twilio_sms", "+4791234567")
    assert submit("sms-proved", KNOWN_PHONE, channel="twilio_sms").verified is True
    assert submit("sms-proved", KNOWN_PHONE, "access").verified is False  # not on that channel
    other = "ola.nordmann@example.no"  # someone else
    assert submit("sms-proved", other, channel="twilio_sms").verified is False


def test_someone_asked_on_your_behalf_at_most_once_a_day(register):
    # five kinds: five new tickets (a repeat of one kind attaches to its ticket, unnoticed)
    for i, kind in enumerate(("erasure", "access", "restriction", "objection", "portability")):
        submit(f"behalf-{i}", KNOWN_PHONE, kind)
    with session_scope() as s:
        notices = list(
            s.execute(
                select(OutboxMessage).where(OutboxMessage.purpose == identity.ON_BEHALF)
            ).scalars()
        )
        assert len(notices) == 1
        notices[0].created_at = utcnow() - timedelta(hours=25)
    submit("behalf-next-day", KNOWN_PHONE, "correction")
    with session_scope() as s:
        count = len(
            list(
                s.execute(
                    select(OutboxMessage).where(OutboxMessage.purpose == identity.ON_BEHALF)
                ).scalars()
            )
        )
    assert count == 2


def test_known_and_unknown_do_the_same_hashing_work(register, monkeypatch):
    calls = []
    real = verification._hash

    def counting(salt: str, code: str) -> str:
        calls.append(1)
        return real(salt, code)

    monkeypatch.setattr(verification, "_hash", counting)
    work = {}
    for name, identifier in (("known", KNOWN_PHONE), ("unknown", UNKNOWN_PHONE)):
        calls.clear()
        started = identity.start_check(f"work-{name}", identifier, message=message)
        identity.check_code(f"work-{name}", started.challenge_id, "000000")
        work[name] = len(calls)
    assert work["known"] == work["unknown"] == 2


def test_real_delivery_masks_the_code_in_the_stored_body(register, monkeypatch):
    from bot.config import get_settings

    monkeypatch.setenv("KLBOT_NOTIFIER", "twilio")
    get_settings.cache_clear()
    try:
        identity.start_check("masked", KNOWN_PHONE, message=message)
        with session_scope() as s:
            row = s.execute(select(OutboxMessage)).scalar_one()
            assert row.status == "queued" and row.secret and row.secret.isdigit()
            assert row.secret not in row.body and "••••••" in row.body
    finally:
        get_settings.cache_clear()


def test_development_outbox_keeps_the_whole_body(register):
    identity.start_check("dev", KNOWN_PHONE, message=message)
    with session_scope() as s:
        row = s.execute(select(OutboxMessage)).scalar_one()
        assert row.status == "recorded" and row.secret is None
        assert row.body.rsplit(" ", 1)[-1].strip(".").isdigit()
