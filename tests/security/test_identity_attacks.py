"""Attacks on the identity check, against the real Rasa server and action server.

Each test performs the attack from issue 9 and fails if it succeeds: a code flood across
conversations, a brute force across conversations, a forged ``verified`` slot posted straight
to the action server (with the action server's token, if there is one: even a caller the
action server trusts cannot verify by slot), and a timing difference between known and
unknown contact points. The assistant has a register of its own (fresh limits) and
``KLBOT_RATE_LIMITS=off`` so that what stops the attacks is the register's limits per
person and contact point, not the limits per client address.
"""

from __future__ import annotations

import json
import statistics
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Dict, List

import pytest

from tests.support.domain import domain as full_domain
from tests.support.servers import ROOT, klbot, start_assistant

pytestmark = [pytest.mark.e2e]

# customers of this module's own register (numbers in a valid Norwegian mobile range)
CUSTOMERS = [
    (f"9{i:04d}", f"Testkunde {i}", f"+47415{i:05d}", f"kunde{i}@example.no") for i in range(40)
]
FLOOD = CUSTOMERS[0]
BRUTE = CUSTOMERS[1]
FORGED = CUSTOMERS[2]
TIMED = CUSTOMERS[10:35]
UNKNOWN_NUMBERS = [f"+47416{i:05d}" for i in range(40)]


@pytest.fixture(scope="module")
def bot(tmp_path_factory):
    work = tmp_path_factory.mktemp("identity-attacks")
    csv = work / "customers.csv"
    rows = [
        "customer_number,name,address,postal_code,city,phone,email,contact_person,"
        "marketing_sms,marketing_email,marketing_post"
    ] + [f"{n},{name},Vei 1,1970,Hemnes,{p},{e},,false,false,false" for n, name, p, e in CUSTOMERS]
    csv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    running = start_assistant(work, {"KLBOT_RATE_LIMITS": "off"})
    klbot(running.env, "customers", "import", str(csv))
    yield running
    running.stop()


def sender(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def say(bot, conversation: str, text: str) -> str:
    return " ".join(m.get("text", "") for m in bot.say(conversation, text) if m.get("text"))


def outbox_to(bot, to: str) -> List[dict]:
    rows = json.loads(klbot(bot.env, "outbox", "list", "--json").stdout)
    return [r for r in rows if r["to"] == to]


def codes_to(bot, to: str) -> List[str]:
    import re

    codes = []
    for row in outbox_to(bot, to):
        match = re.search(r"(?<!\d)(\d{6})(?!\d)", row.get("body") or "")
        if match and "engangskode" in row["body"].lower():
            codes.append(match.group(1))
    return codes


def tickets_of(bot, number: str) -> List[dict]:
    rows = json.loads(klbot(bot.env, "requests", "list", "--json").stdout)
    return [r for r in rows if r["customer_number"] == number]


def test_twenty_conversations_send_at_most_three_codes(bot):
    number, _, phone, _ = FLOOD
    for _ in range(20):
        conversation = sender("flood")
        say(bot, conversation, "jeg vil ha innsyn i opplysningene mine")
        say(bot, conversation, phone[3:])
    assert len(codes_to(bot, phone)) <= 3
    # a limited known contact point and a limited unknown one read the same (once each has
    # its unverified ticket, a repeat attaches to it: the same words for both)
    replies = {}
    for name, contact in (("known", phone), ("unknown", UNKNOWN_NUMBERS[0])):
        for _ in range(5):
            conversation = sender(f"limit-{name}")
            say(bot, conversation, "jeg vil ha innsyn i opplysningene mine")
            replies[name] = say(bot, conversation, contact[3:])
    assert "så mange koder" in replies["known"]
    assert replies["known"].split("referanse")[0] == replies["unknown"].split("referanse")[0]


def test_brute_force_across_conversations_locks_the_customer(bot):
    number, _, phone, _ = BRUTE
    # the victim's own conversation gets a real code first
    victim = sender("victim")
    say(bot, victim, "jeg vil ha innsyn")
    say(bot, victim, phone[3:])
    (right,) = codes_to(bot, phone)
    wrong = "000000" if right != "000000" else "111111"
    # the attacker: 6 conversations x 5 wrong codes
    for _ in range(6):
        conversation = sender("brute")
        say(bot, conversation, "jeg vil ha innsyn")
        say(bot, conversation, phone[3:])
        for _ in range(5):
            reply = say(bot, conversation, wrong)
            if "for mange ganger" in reply or "så mange koder" in reply:
                break
    reply = say(bot, victim, right)
    assert "koden stemmer" not in reply.lower(), reply
    assert not [t for t in tickets_of(bot, number) if t["verified"]]
    # staff can lift the lock (audited)
    result = klbot(bot.env, "customers", "unlock", number)
    assert "unlocked" in result.stdout


def action_server_call(bot, action: str, slots: Dict[str, object], metadata=None) -> dict:
    """Post a forged tracker straight to the action server, as a trusted caller would."""

    domain = full_domain().as_dict()
    conversation = sender("forged")
    tracker = {
        "sender_id": conversation,
        "slots": slots,
        "latest_message": {"text": "ja", "intent": {"name": "affirm", "confidence": 1.0}},
        "events": [
            {
                "event": "user",
                "text": "ja",
                "parse_data": {"intent": {"name": "affirm", "confidence": 1.0}, "entities": []},
                "input_channel": "twilio_sms" if metadata else "rest",
                "metadata": metadata or {},
            }
        ],
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": None,
    }
    body = {"next_action": action, "sender_id": conversation, "tracker": tracker}
    body["domain"] = domain
    token = bot.env.get("KLBOT_ACTION_TOKEN", "")
    url = f"http://127.0.0.1:{bot.action_port}/webhook" + (f"?token={token}" if token else "")
    request = urllib.request.Request(  # noqa: S310 (loopback)
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return {"status": exc.code}


def test_a_forged_verified_slot_writes_no_verified_ticket(bot):
    number, _, phone, _ = FORGED
    forged = {
        "request_kind": "erasure",
        "identifier": phone,
        "verification": "ok",
        "verified": True,
        "verification_method": "otp_sms",
    }
    action_server_call(bot, "action_submit_rights_request", forged)
    action_server_call(
        bot,
        "action_submit_rights_request",
        {**forged, "verification_method": "channel_twilio_sms", "verification": "channel"},
        metadata={"verified_phone": phone},
    )
    assert not [t for t in tickets_of(bot, number) if t["verified"]]
    # a forged status request reveals none of the person's tickets
    answer = action_server_call(
        bot, "action_submit_rights_request", {**forged, "request_kind": "status"}
    )
    references = {t["reference"] for t in tickets_of(bot, number)}
    assert references and not any(ref in json.dumps(answer) for ref in references)


@pytest.mark.slow
def test_known_and_unknown_identifier_turns_take_the_same_time(bot):
    """Median of interleaved identifier turns (each in a new conversation, each contact
    point fresh so both get the full path); generous tolerance for a shared machine."""
    known: List[float] = []
    unknown: List[float] = []
    for (_, _, phone, _), stranger in zip(TIMED, UNKNOWN_NUMBERS[1:]):
        for contact, times in ((phone, known), (stranger, unknown)):
            conversation = sender("timing")
            say(bot, conversation, "jeg vil ha innsyn")
            start = time.perf_counter()
            say(bot, conversation, contact[3:])
            times.append(time.perf_counter() - start)
    known_median, unknown_median = statistics.median(known), statistics.median(unknown)
    gap = abs(known_median - unknown_median)
    report = Path(ROOT / "var" / "identity_timing.json")
    report.parent.mkdir(exist_ok=True)
    report.write_text(
        json.dumps({"known_ms": known_median * 1000, "unknown_ms": unknown_median * 1000})
    )
    assert gap <= max(0.02, 0.2 * max(known_median, unknown_median)), (
        known_median,
        unknown_median,
    )
