"""The faster action-response check is installed and still refuses what Rasa's refuses."""

from __future__ import annotations

import pytest


@pytest.fixture
def remote_action():
    from rasa.core.actions.action import RemoteAction
    from rasa.utils.endpoints import EndpointConfig

    import bot.channels.rest  # noqa: F401 - what the Rasa server imports installs the fix

    return RemoteAction("validate_opt_out_form", EndpointConfig("http://127.0.0.1:1/webhook"))


def test_loading_our_channel_installs_the_cached_check(remote_action):
    from bot import rasa_speedups

    assert type(remote_action)._validate_action_result is rasa_speedups._validate_action_result


def test_a_valid_response_passes(remote_action):
    good = {
        "events": [{"event": "slot", "name": "marketing_channel", "value": ["sms"]}],
        "responses": [{"response": "utter_ask_contact_point"}],
    }
    assert remote_action._validate_action_result(good) is True


@pytest.mark.parametrize(
    "bad",
    [
        {"events": "not a list"},
        {"events": [{"event": "no_such_event"}]},
        {"responses": ["not an object"]},
        ["not", "an", "object"],
    ],
)
def test_an_invalid_response_is_refused_as_by_rasa(remote_action, bad):
    from jsonschema import ValidationError

    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        remote_action._validate_action_result(bad)
