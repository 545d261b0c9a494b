"""An English customer is answered in English all the way through a request (SPEC: "a
question written in English is answered in English"): the forms' questions, what the actions
send by name, what the rules on the request paths say, and the text the actions build.

No model, no servers: domain.yml, data/rules/, actions/*.py and the pure wording functions.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Dict, List, Set

import pytest
import yaml
from rasa.core.nlg.generator import ResponseVariationFilter
from rasa.shared.core.domain import Domain

from tests.support.domain import domain as full_domain
from tests.support.domain import slots_with
from tests.support.servers import ROOT

# Norwegian function words that an English text never has
NORWEGIAN = re.compile(r"\b(?:og|er|du|vi|deg|ikke|hva|til|kan|eller|jeg|det|på|har)\b", re.I)
REQUEST_RULES = ["requests.yml", "digressions.yml"]


@pytest.fixture(scope="module")
def domain() -> Domain:
    return full_domain()


def request_path_responses(domain: Domain) -> List[str]:
    """Every response a customer can meet on a request path: the forms' questions, what the
    actions send by ``response=`` (``f"utter_start_{intent}"`` too), and the responses in the
    rules that start, interrupt or end a form."""
    names: Set[str] = set()
    for form, spec in domain.forms.items():
        names |= {f"utter_ask_{form}_{slot}" for slot in spec.get("required_slots", [])}
    for path in sorted((ROOT / "actions").glob("*.py")):
        source = path.read_text(encoding="utf-8")
        names |= set(re.findall(r"\"(utter_\w+)\"", source))
        for prefix in re.findall(r"f\"(utter_\w+?)\{", source):
            names |= {r for r in domain.responses if r.startswith(prefix)}
    for name in REQUEST_RULES:
        rules = yaml.safe_load((ROOT / "data" / "rules" / name).read_text("utf-8"))["rules"]
        for rule in rules:
            names |= {
                s["action"] for s in rule["steps"] if s.get("action", "").startswith("utter_")
            }
    return sorted(names)


def pick(domain: Domain, response: str, slots: Dict[str, object]) -> List[dict]:
    """The variations Rasa chooses from with ``slots`` set and every other slot at its initial
    value (as in a conversation)."""
    return ResponseVariationFilter(domain.responses).responses_for_utter_action(
        response, "rest", slots_with(domain, **slots)
    )


def other_conditions(variant: dict) -> Dict[str, object]:
    """A variation's conditions on slots other than ``language``, as slot values."""
    return {
        c["name"]: c["value"] for c in variant.get("condition") or [] if c["name"] != "language"
    }


def language_of(variant: dict) -> str:
    values = [c["value"] for c in variant.get("condition") or [] if c["name"] == "language"]
    return values[0] if values else "nb"


def test_the_request_paths_are_found(domain):
    found = request_path_responses(domain)
    for name in [
        "utter_ask_rights_form_otp_code",
        "utter_ask_opt_out_form_marketing_channel",
        "utter_ask_complaint_form_complaint_text",
        "utter_start_request_erasure",
        "utter_request_registered_unverified",
        "utter_opt_out_done",
        "utter_cancelled",
        "utter_register_down",
    ]:
        assert name in found, name


def test_every_response_on_the_request_paths_has_an_english_variation(domain):
    """For each Norwegian variation (whatever else it depends on), an English customer in the
    same state gets exactly one variation, and it is the English one."""
    missing = []
    for response in request_path_responses(domain):
        for variant in domain.responses[response]:
            if language_of(variant) != "nb":
                continue
            state = other_conditions(variant)
            english = pick(domain, response, {**state, "language": "en"})
            norwegian = pick(domain, response, {**state, "language": "nb"})
            if len(english) != 1 or language_of(english[0]) != "en":
                missing.append((response, state))
                continue
            assert norwegian == [variant], (response, state, "Norwegian is not chosen")
    assert not missing, missing


def test_every_response_has_an_english_variation(domain):
    """English stays English to the end (issue 18), off the request paths too: a «yes» with
    nothing to say yes to, or a detail given out of context, got Norwegian."""
    missing = [
        name
        for name, variants in domain.responses.items()
        if not any(language_of(variant) == "en" for variant in variants)
    ]
    assert not missing, missing


@pytest.mark.parametrize("response", request_path_responses(full_domain()))
def test_an_english_variation_is_english_with_the_same_buttons(domain, response):
    for variant in domain.responses[response]:
        if language_of(variant) != "en":
            continue
        norwegian = pick(domain, response, {**other_conditions(variant), "language": "nb"})
        assert len(norwegian) == 1, (response, variant)
        words = NORWEGIAN.findall(variant["text"])
        assert not words, (response, words, variant["text"])
        assert "cancel" not in variant["text"].lower(), variant["text"]  # SMS opt-out keyword
        if "«avbryt»" in norwegian[0]["text"]:
            assert "«avbryt»" in variant["text"], variant["text"]
        payloads = [[b["payload"] for b in v.get("buttons", [])] for v in (variant, norwegian[0])]
        assert payloads[0] == payloads[1], response
        placeholders = [set(re.findall(r"\{(\w+)\}", v["text"])) for v in (variant, norwegian[0])]
        assert placeholders[0] == placeholders[1], response


def test_the_norwegian_variation_comes_first_and_unconditioned(domain):
    for response in request_path_responses(domain):
        unconditioned = [v for v in domain.responses[response] if not v.get("condition")]
        assert len(unconditioned) == 1, response
        assert language_of(domain.responses[response][0]) == "nb", response


# --- text the actions build in Python --------------------------------------------------


def test_the_code_and_the_confirmation_follow_the_language():
    from actions.rights import code_message, confirmation_message

    english = [
        code_message("123456", "en"),
        confirmation_message("erasure", "PV-ABC123", "01.02.2026", True, "en"),
        confirmation_message("erasure", "PV-ABC123", "01.02.2026", False, "en"),
    ]
    for text in english:
        assert not NORWEGIAN.findall(text), text
        assert len(text) <= 320, text
    assert "123456" in english[0] and "one-time code" in english[0]
    assert "erasure" in english[1] and "PV-ABC123" in english[1]
    assert "Engangskoden" in code_message("123456", "nb")
    assert "sletting" in confirmation_message("erasure", "PV-ABC123", "01.02.2026", True, "nb")


def test_the_channels_and_kinds_follow_the_language():
    from actions.base import channels_text, kind_text

    assert channels_text(["sms", "email", "post"]) == "SMS, e-post og brev"
    assert channels_text(["sms", "email", "post"], "en") == "SMS, e-mail and letter"
    assert kind_text("portability", "en") == "data portability"
    assert kind_text("portability", "nb") == "dataportabilitet"


def test_the_status_lines_follow_the_language():
    from bot.register.wording import TicketView, status_lines

    now = datetime(2026, 1, 10, 12, tzinfo=timezone.utc)
    tickets = [
        TicketView("PV-A1", "erasure", "verified", datetime(2026, 2, 1, tzinfo=timezone.utc)),
        TicketView(
            "PV-B2",
            "access",
            "rejected",
            datetime(2026, 1, 1, tzinfo=timezone.utc),
            rejection_category="identity",
            closed_at=datetime(2026, 1, 5, tzinfo=timezone.utc),
        ),
        TicketView(
            "PV-C3",
            "complaint",
            "done",
            datetime(2026, 1, 1, tzinfo=timezone.utc),
            closed_at=datetime(2026, 1, 6, tzinfo=timezone.utc),
        ),
    ]
    english = status_lines(tickets, now, language="en")
    assert english[0].startswith("Erasure (PV-A1): received, identity confirmed. Due 01.02.2026")
    assert "in 22 days" in english[0]
    assert "Datatilsynet" in english[2] and "rejected" in english[2]
    for line in english:
        assert not NORWEGIAN.findall(line), line
    assert status_lines(tickets, now)[0].startswith("Sletting (PV-A1): mottatt")
