"""Settings that follow other settings."""

from __future__ import annotations

from bot.config import Settings


def test_public_url_follows_rasa_port_unless_set(monkeypatch):
    monkeypatch.delenv("KLBOT_PUBLIC_URL", raising=False)
    monkeypatch.setenv("RASA_PORT", "5105")
    assert Settings(_env_file=None).public_url == "http://localhost:5105"
    monkeypatch.setenv("KLBOT_PUBLIC_URL", "https://chat.miljovarme.example")
    assert Settings(_env_file=None).public_url == "https://chat.miljovarme.example"


def test_public_url_defaults_to_port_5005(monkeypatch):
    monkeypatch.delenv("KLBOT_PUBLIC_URL", raising=False)
    monkeypatch.delenv("RASA_PORT", raising=False)
    assert Settings(_env_file=None).public_url == "http://localhost:5005"


def test_start_up_summary_says_once_that_no_staff_contact_is_set(monkeypatch):
    from bot.config import startup_summary

    for name in ("KLBOT_STAFF_EMAIL", "KLBOT_STAFF_PHONE", "KLBOT_API_TOKEN", "TWILIO_AUTH_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    lines = startup_summary(Settings(_env_file=None))
    assert any(line.startswith("Staff alerts: OFF") for line in lines)
    assert any(line.startswith("Staff digest: OFF") for line in lines)
    assert "SMS: off (TWILIO_AUTH_TOKEN turns it on)" in lines
    monkeypatch.setenv("KLBOT_STAFF_EMAIL", "personvern@miljovarme.example.com")
    monkeypatch.setenv("KLBOT_API_TOKEN", "a-secret-token")
    lines = startup_summary(Settings(_env_file=None))
    assert "Staff alerts: on, by e-mail" in lines
    assert any(line.startswith("Staff digest: on (checked hourly") for line in lines)
    assert not any("a-secret-token" in line or "personvern@" in line for line in lines)


def test_start_up_summary_says_what_twilio_must_sign(monkeypatch):
    """With SMS on, the URL Twilio's signature must cover follows RASA_PORT (issue 21)."""
    from bot.config import startup_summary

    monkeypatch.delenv("KLBOT_PUBLIC_URL", raising=False)
    monkeypatch.setenv("RASA_PORT", "15005")
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "a-twilio-token")
    lines = startup_summary(Settings(_env_file=None))
    sms = [line for line in lines if line.startswith("SMS: on")]
    assert sms and "http://localhost:15005/webhooks/twilio_sms/webhook" in sms[0], lines
    assert not any("a-twilio-token" in line for line in lines)
