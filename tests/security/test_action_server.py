"""The action server runs actions for the Rasa server only.

Every action the domain names is called the way Rasa calls it, with a forged tracker
(``verified: true``, a customer's phone number, an erasure), holding no token or a wrong
one: each call must get 401 and nothing may be written to the register.
"""

from __future__ import annotations

from typing import List

import httpx
import pytest

from tests.security.conftest import register_rows
from tests.support.domain import domain_dict

pytestmark = [pytest.mark.e2e]

DOMAIN = domain_dict()
ACTIONS: List[str] = list(DOMAIN["actions"])
VICTIM_PHONE = "+4797527747"


def forged_call(action: str) -> dict:
    slots = {
        "verified": True,
        "identifier": VICTIM_PHONE,
        "contact_point": VICTIM_PHONE,
        "request_kind": "erasure",
        "marketing_channel": "sms",
        "requested_slot": None,
    }
    return {
        "next_action": action,
        "sender_id": "attacker-1",
        "version": "3.6.21",
        "domain": DOMAIN,
        "tracker": {
            "sender_id": "attacker-1",
            "slots": slots,
            "latest_message": {
                "text": "ja",
                "intent": {"name": "affirm", "confidence": 1.0},
                "entities": [],
            },
            "latest_event_time": 0,
            "followup_action": None,
            "paused": False,
            "events": [],
            "latest_input_channel": "rest",
            "active_loop": {},
            "latest_action": {"action_name": "action_listen"},
            "latest_action_name": "action_listen",
        },
    }


def test_the_domain_names_actions_and_the_server_serves_them(secure):
    """The forged calls below aim at real actions (so a 401 is the token's doing)."""
    assert ACTIONS, "domain.yml names no actions"
    url = f"http://127.0.0.1:{secure.action_port}"
    served = httpx.get(
        url + "/actions", headers={"Authorization": f"Bearer {secure.action_token}"}, timeout=30
    )
    assert served.status_code == 200
    assert set(ACTIONS) <= {a["name"] for a in served.json()}


FORGERIES = [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Bearer"}, {"token": "x"}]


def forge(assistant, action: str, headers: dict) -> httpx.Response:
    url = f"http://127.0.0.1:{assistant.action_port}/webhook"
    return httpx.post(url, json=forged_call(action), headers=headers, timeout=60)


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("headers", FORGERIES, ids=["none", "wrong", "empty", "other-header"])
def test_a_forged_action_call_is_refused(secure, action, headers):
    response = forge(secure, action, headers)
    assert response.status_code == 401, (action, response.status_code, response.text[:200])
    assert "events" not in response.text and VICTIM_PHONE not in response.text
    # the token in the query string (Rasa's `token:` endpoint option) is not accepted either
    query = httpx.post(
        f"http://127.0.0.1:{secure.action_port}/webhook",
        json=forged_call(action),
        params={"token": secure.action_token},
        timeout=60,
    )
    assert query.status_code == 401


def test_forged_calls_to_every_action_write_nothing_to_the_register(secure):
    before = register_rows(secure)
    for action in ACTIONS:
        for headers in FORGERIES:
            assert forge(secure, action, headers).status_code == 401
    assert register_rows(secure) == before


def test_the_action_list_and_a_big_body_need_the_token_too(secure):
    url = f"http://127.0.0.1:{secure.action_port}"
    assert httpx.get(url + "/actions", timeout=30).status_code == 401
    big = httpx.post(url + "/webhook", content=b"{" + b" " * 5_000_000 + b"}", timeout=60)
    assert big.status_code in (401, 413)
    with_token = httpx.post(
        url + "/webhook",
        content=b"{" + b" " * 5_000_000 + b"}",
        headers={"Authorization": f"Bearer {secure.action_token}"},
        timeout=60,
    )
    assert with_token.status_code == 413
    assert httpx.get(url + "/health", timeout=30).json() == {"status": "ok"}
