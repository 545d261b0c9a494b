"""Issue 22: phone numbers of every country are masked in the logs, also the request body
Rasa echoes when its API refuses one. The real masking (installed by ``import bot``) on real
loggers; fails if a number appears in clear."""

from __future__ import annotations

import io
import json
import logging

import pytest

import bot  # noqa: F401 - importing bot installs the masking (every server does)

NUMBERS = [
    "+44 20 7946 0958",  # United Kingdom
    "+1 (415) 555-2671",  # United States
    "+46 70 123 45 67",  # Sweden
    "0049 30 901820",  # Germany, 00 form
    "+358 40 1234567",  # Finland
    "+4915123456789",  # Germany, mobile, no spaces
    "+33 6 12 34 56 78",  # France
    "+4791234567",  # Norway
    "912 34 567",  # Norway, national
    "41 23 45 67",  # Norway, pairs
]


def logged(name: str, message: str, *args) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger(name)
    logger.addHandler(handler)
    old, logger.propagate = logger.propagate, False
    try:
        logger.error(message, *args)
    finally:
        logger.removeHandler(handler)
        logger.propagate = old
    return stream.getvalue()


@pytest.mark.parametrize("number", NUMBERS)
def test_a_phone_number_of_any_country_is_masked(number):
    text = logged("klbot.test.masking", "Ring meg på %s i dag", number)
    assert number not in text and "<telefon>" in text, text
    digits = "".join(ch for ch in number if ch.isdigit())
    assert digits not in "".join(ch for ch in text if ch.isdigit()), text


def test_rasas_echoed_api_input_is_masked():
    """What Rasa's server logs when it refuses a body: the body itself, as JSON."""
    body = {"sender": "x", "message": "kontakt meg på +44 7911 123456 eller +1-202-555-0143"}
    text = logged(
        "rasa.server",
        "An unexpected error occurred. Request body: %s",
        json.dumps(body),
    )
    for number in ("7911 123456", "202-555-0143", "7911123456", "2025550143"):
        assert number not in text, text
    text = logged("rasa.core.channels.rest", "Received message %r", body)
    assert "7911" not in text and "555-0143" not in text, text


def test_ordinary_lines_are_not_mangled():
    line = "Request 42 written (kind=erasure, verified=False, attempts=1) in 0.25 s on port 5005"
    assert logged("klbot.test.masking", line).strip() == line


@pytest.mark.parametrize(
    "line",
    [
        "Starting worker [18543]",
        'POST http://127.0.0.1:55605/login "HTTP/1.1 500 Internal Server Error"',
        "Delivered: 3 sent, 0 failed in 1250 ms",
    ],
)
def test_ports_process_ids_and_status_codes_stay_readable(line):
    from bot.logging_setup import redact

    assert redact(line) == line
