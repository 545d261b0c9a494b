"""Which complaints the inbox flags as a possible breach (GDPR Art. 33's 72 hours)."""

import pytest

from bot.register.inbox import BREACH_WORDS, detail_text


@pytest.mark.parametrize(
    "text",
    [
        "noen andre fikk brevet mitt",
        "Dere har sendt opplysningene mine til feil person",
        "fakturaen min kom til feil adresse",
        "opplysningene mine er på avveie",
        "dataene ble lekket",
        "someone else received my invoice",
    ],
)
def test_a_possible_breach_is_recognised(text):
    assert BREACH_WORDS.search(text)


@pytest.mark.parametrize("text", ["Fakturaen var for høy", "lekker service", "feil beløp"])
def test_an_ordinary_complaint_is_not_flagged(text):
    assert not BREACH_WORDS.search(text)


def test_details_read_as_norwegian_text():
    assert detail_text(True) == "ja" and detail_text(False) == "nei" and detail_text(None) == "–"
    assert detail_text(["sms", "email"]) == "sms, email"
