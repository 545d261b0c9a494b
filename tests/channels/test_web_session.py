# ruff: noqa: S105, S106 - test keys
"""Web chat session ids are issued and signed by the server (issue 22, session fixation)."""

from __future__ import annotations

from bot.channels.socketio import issue_session, session_of, web_session_key
from bot.config import Settings

TOKEN = "tok"


def test_an_issued_token_names_its_conversation_and_nothing_else_does():
    key = b"k" * 32
    token = issue_session(key)
    session_id, signature = token.split(".")
    assert session_of(token, key) == session_id and len(session_id) == 32
    for forged in (
        session_id,  # a bare (client-chosen) 32-hex id
        session_id + "." + "0" * 32,
        session_id + "." + signature[::-1],
        "f" * 32 + "." + signature,  # the signature of another conversation
        token + "0",
        token.upper(),
        " " + token,
        None,
        42,
    ):
        assert session_of(forged, key) is None, forged
    assert session_of(token, b"another instance's key") is None


def test_every_instance_of_a_deployment_signs_alike_and_development_has_a_fixed_key():
    explicit = Settings(
        web_session_secret=TOKEN + "-web", action_token=TOKEN, environment="production"
    )
    assert web_session_key(explicit) == b"tok-web"
    one = Settings(web_session_secret=None, action_token=TOKEN, environment="production")
    two = Settings(web_session_secret=None, action_token=TOKEN, environment="production")
    assert web_session_key(one) == web_session_key(two)
    assert web_session_key(one) != b"tok", "derived, not the action token itself"
    dev = Settings(web_session_secret=None, action_token=None, environment="development")
    assert web_session_key(dev) == web_session_key(
        Settings(web_session_secret=None, action_token=None, environment="development")
    )
    assert web_session_key(dev) != web_session_key(one)
