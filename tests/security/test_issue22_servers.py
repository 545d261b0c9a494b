"""Issue 22's attacks through the real servers (``secure``: every channel on, rate limits on,
a staff contact set): performed as an attacker would, each fails if it succeeds."""

from __future__ import annotations

from typing import Dict, List, Optional

import httpx
import pytest

from bot.channels.support import conversation_id
from tests.channels.conftest import TWILIO_TOKEN, post_sms, twiml_messages
from tests.security.conftest import new_address, new_sender, register_rows

pytestmark = [pytest.mark.e2e]

REST = "/webhooks/rest/webhook"
OLA_PHONE = "+4741234567"  # demo customer 10002


def rest(assistant, sender: str, text: str, headers: Optional[Dict[str, str]] = None):
    return httpx.post(
        assistant.url + REST,
        json={"sender": sender, "message": text},
        headers={**new_address(), **(headers or {})},
        timeout=90,
    )


def texts(response: httpx.Response) -> List[str]:
    return [m.get("text", "") for m in response.json() if m.get("text")]


def test_rest_cannot_speak_as_an_sms_or_telegram_conversation(secure):
    """Attack: the SMS conversation's id (it is in exports and ``requests list --json``)
    used as a REST sender, to see the customer's tickets and file a verified erasure."""
    replies = twiml_messages(post_sms(secure, "Hei, jeg vil ha innsyn", OLA_PHONE))
    assert replies
    sms_conversation = conversation_id("sms", OLA_PHONE, TWILIO_TOKEN)
    before = register_rows(secure)["requests"]
    for sender in (
        sms_conversation,
        sms_conversation.upper(),
        "telegram-" + "0" * 32,
        " sms-" + "a" * 32,
    ):
        for text in ("jeg vil slette dataene mine", "hva er status på saken min?"):
            response = rest(secure, sender, text)
            assert response.status_code == 400, (sender, response.status_code, response.text)
            assert "PV-" not in response.text
    after = register_rows(secure)["requests"]
    assert len(after) == len(before)  # nothing written in anyone's name
    # an ordinary REST sender still talks
    ok = rest(secure, new_sender("rest"), "hvor lenge lagrer dere opplysningene?")
    assert ok.status_code == 200 and texts(ok)


def say(assistant, sender: str, text: str, headers: Dict[str, str]) -> str:
    response = rest(assistant, sender, text, headers)
    assert response.status_code == 200, response.text[:200]
    return " ".join(texts(response))


def test_naming_a_contact_point_without_a_code_reveals_no_open_ticket(secure):
    """Attack: name a customer's e-mail, say «ingen kode», read «Du har allerede en åpen
    forespørsel ... med referanse PV-..., frist ...» about someone else's request."""
    victim, headers = new_sender("victim"), new_address()
    say(secure, victim, "jeg vil slette dataene mine", headers)
    say(secure, victim, "ola.nordmann@example.no", headers)
    first = say(secure, victim, "ingen kode", headers)
    refs = [r["reference"] for r in register_rows(secure)["requests"] if r["reference"] in first]
    assert len(refs) == 1, first
    attacker, other = new_sender("prober"), new_address()
    say(secure, attacker, "jeg vil slette dataene mine", other)
    say(secure, attacker, "ola.nordmann@example.no", other)
    probe = say(secure, attacker, "ingen kode", other)
    assert refs[0] not in probe and "allerede" not in probe, probe
    assert "PV-" in probe  # a reference of its own


def staff_alerts(assistant) -> List[dict]:
    from tests.support.servers import STAFF_EMAIL

    return [m for m in register_rows(assistant)["outbox"] if m["to"] == STAFF_EMAIL]


def test_ten_stopp_from_one_number_reach_staff_once(secure):
    number = "+4741598877"  # not a customer: anyone's phone
    alerts_before = len(staff_alerts(secure))
    before = len([r for r in register_rows(secure)["requests"] if r["kind"] == "opt_out"])
    for _ in range(10):
        post_sms(secure, "STOPP", number)
    after = [r for r in register_rows(secure)["requests"] if r["kind"] == "opt_out"]
    assert len(after) - before == 1
    assert len(staff_alerts(secure)) - alerts_before <= 1


def test_an_sms_flood_from_one_number_gets_no_turns(secure):
    number = "+4741598878"
    replies = [twiml_messages(post_sms(secure, "hei", number)) for _ in range(14)]
    answered = [bool(r) for r in replies]
    assert answered[:10] == [True] * 10 and answered[10:] == [False] * 4, answered


def test_a_refused_flood_does_not_lock_the_address_for_the_hour(secure):
    """An office NAT: one client floods (refused after 60 a minute), a colleague at the same
    address is served a minute later, and the refusal says the real wait."""
    office = new_address()
    refusals = []
    for _ in range(90):
        response = rest(secure, new_sender("flooder"), "", office)
        if response.status_code == 429:
            refusals.append(int(response.headers["Retry-After"]))
    assert len(refusals) == 30 and all(1 <= wait <= 60 for wait in refusals), refusals
    import time

    time.sleep(max(refusals) + 1)
    colleague = rest(secure, new_sender("colleague"), "hei", office)
    assert colleague.status_code == 200, colleague.text[:200]


def test_a_rest_caller_cannot_name_its_own_client_key(secure):
    """The limit on anonymous complaints keys on the channel's own ``client`` metadata: a
    caller that sends a fresh one each time is still one address."""
    sender, address = new_sender("forger"), new_address()
    response = httpx.post(
        secure.url + REST,
        json={"sender": sender, "message": "hei", "metadata": {"client": "c-forged"}},
        headers=address,
        timeout=90,
    )
    assert response.status_code == 200
    users = [e for e in secure.tracker(sender)["events"] if e["event"] == "user"]
    client = users[-1]["metadata"]["client"]
    assert client.startswith("c-") and client != "c-forged"
    assert "198.51.100" not in client  # an opaque key, not the address


def test_anonymous_complaints_declined_an_answer_are_limited_per_address(secure):
    """The complaint form's «no answer wanted» is now a state slot the form keeps (6 December):
    from one address, a fourth complaint in an hour with «nei takk» to «Vil du ha svar?», each
    in a new conversation, is not written (actions/complaint.py, ANONYMOUS_PER_CLIENT)."""
    address = new_address()
    about = "Dere har sendt meg reklame på e-post i hele høst uten at jeg har bedt om det"

    def complain(n: int) -> str:
        sender = new_sender(f"anon{n}")
        for text in ("jeg vil klage", f"{about} ({n})"):
            assert rest(secure, sender, text, address).status_code == 200
        reply = rest(secure, sender, "nei takk", address)
        return " ".join(m.get("text", "") for m in reply.json())

    replies = [complain(n) for n in range(4)]
    assert all("Klagen er registrert" in r for r in replies[:3]), replies
    assert "ble ikke registrert" in replies[3] and "PV-" not in replies[3], replies[3]
    written = [
        t
        for t in register_rows(secure)["requests"]
        if t["kind"] == "complaint" and (t["details"].get("about") or "").startswith(about)
    ]
    assert len(written) == 3, written
