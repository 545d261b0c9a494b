"""Rasa's HTTP API, attacked without the token: nothing read, nothing changed.

The issue's attacks: read a conversation (its slots hold a phone number), set
``verified=true`` and someone's phone number with ``tracker/events``, then run
``action_submit_rights_request`` with ``execute``; take the model down with ``DELETE
/model``; make the server fetch a URL with ``PUT /model``; read ``/domain``.
"""

from __future__ import annotations

import httpx
import pytest

from tests.security.conftest import new_sender, register_rows

pytestmark = [pytest.mark.e2e]

VICTIM_PHONE = "+4797527747"  # a demo customer
SUBMIT = "action_submit_rights_request"


def attacks(conversation: str):
    forged = [
        {"event": "slot", "name": "verified", "value": True},
        {"event": "slot", "name": "identifier", "value": VICTIM_PHONE},
        {"event": "slot", "name": "request_kind", "value": "erasure"},
    ]
    return [
        ("GET", f"/conversations/{conversation}/tracker", None),
        ("POST", f"/conversations/{conversation}/tracker/events", forged),
        ("PUT", f"/conversations/{conversation}/tracker", forged),
        ("POST", f"/conversations/{conversation}/execute", {"name": SUBMIT}),
        ("POST", f"/conversations/{conversation}/trigger_intent", {"name": "request_erasure"}),
        ("POST", f"/conversations/{conversation}/messages", {"text": "hei", "sender": "user"}),
        ("GET", f"/conversations/{conversation}/story", None),
        ("POST", f"/conversations/{conversation}/predict", None),
        ("DELETE", "/model", None),
        ("PUT", "/model", {"model_server": {"url": "http://127.0.0.1:9/evil.tar.gz"}}),
        ("POST", "/model/parse", {"text": "jeg vil slette dataene mine"}),
        ("GET", "/domain", None),
        ("GET", "/status", None),
    ]


@pytest.mark.parametrize("token", [None, "", "wrong-token"], ids=["no-token", "empty", "wrong"])
def test_the_api_refuses_every_call_without_the_right_token(secure, token):
    conversation = new_sender("api-victim")
    assert secure.say(conversation, "hei"), "the conversation exists before the attack"
    before = register_rows(secure)
    for method, path, body in attacks(conversation):
        params = {} if token is None else {"token": token}
        response = httpx.request(method, secure.url + path, json=body, params=params, timeout=60)
        assert response.status_code in (401, 403, 404, 405), (method, path, response.status_code)
        assert VICTIM_PHONE not in response.text and "verified" not in response.text

    # nothing changed: no slot set, no ticket or code written, the model still answers
    slots = secure.tracker(conversation)["slots"]
    assert not slots.get("verified") and not slots.get("identifier"), slots
    assert register_rows(secure) == before
    assert secure.texts(new_sender("api-after"), "hvor lenge lagrer dere opplysningene?")


def test_the_api_works_with_the_token(secure):
    """The refusals above are about the token: with it, the same routes answer."""
    conversation = new_sender("api-operator")
    secure.say(conversation, "hei")
    assert secure.tracker(conversation)["sender_id"] == conversation
    assert secure.parse("jeg vil slette dataene mine")["intent"]["name"]
    status = httpx.get(secure.api_url("/status"), timeout=30)
    assert status.status_code == 200 and status.json().get("model_file")
    # the token goes in the query string only; a token in a header is not one
    header = httpx.get(
        secure.url + "/status", headers={"Authorization": f"Bearer {secure.api_token}"}
    )
    assert header.status_code in (401, 403)
