"""The policy answers carry the policy's facts, invent none, and fit in an SMS."""

from __future__ import annotations

import re

import pytest
import yaml

from bot.policy import policy_text
from tests.support.servers import ROOT

DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
RESPONSES = {name: variants[0]["text"] for name, variants in DOMAIN["responses"].items()}
# every variation (inside a form, per topic, ...) as "name[i]"
VARIANTS = {
    f"{name}[{i}]": variant["text"]
    for name, variants in DOMAIN["responses"].items()
    for i, variant in enumerate(variants)
}
POLICY = policy_text()
EXAMPLE_DOMAINS = ("@example.com",)

# topic answer -> facts from the policy it must state (lower-case substrings)
FACTS = {
    "utter_ask_data_collected": ["adresse", "telefonnummer", "e-post", "kontaktperson"],
    "utter_ask_purposes": [
        "tilbud",
        "bestillinger",
        "retur",
        "lever",
        "fakturering",
        "markedsføring",
        "analyser",
        "statistikk",
        "innlogging",
        "kundestøtte",
    ],
    "utter_ask_legal_basis": [
        "rettslig grunnlag",
        "fakturering",
        "berettiget interesse",
        "markedsføring",
        "kundeundersøkelser",
    ],
    "utter_ask_retention": ["så lenge du er kunde", "loven", "3 måneder"],
    "utter_ask_sharing": [
        "myndigheter",
        "politi",
        "skattemyndigheter",
        "redningstjenester",
        "domstoler",
    ],
    "utter_ask_sharing_more": [
        "it-tjenester",
        "distribusjon",
        "spedisjon",
        "kommunikasjonstjenester",
    ],
    "utter_ask_rights": [
        "innsyn",
        "retting",
        "sletting",
        "protestere",
        "begrensning",
        "dataportabilitet",
        "datatilsynet",
    ],
    "utter_ask_marketing": ["brevpost", "e-post", "sms", "berettiget interesse", "stopp"],
    "utter_ask_contact": [
        "kl miljøvarme",
        "kjell langsrud",
        "langstranda 571",
        "1970 hemnes",
        "63 85 88 70",
        "975 27 747",
        "biokjell@miljovarme.no",
    ],
    "utter_ask_complaint": ["kontakt oss", "datatilsynet"],
    "utter_human_handoff": ["63 85 88 70", "biokjell@miljovarme.no"],
    "utter_start_request_erasure": ["fakturaer", "loven"],
}


@pytest.mark.parametrize("response,facts", sorted(FACTS.items()))
def test_policy_answer_states_the_policys_facts(response, facts):
    text = RESPONSES[response].lower()
    missing = [f for f in facts if f not in text]
    assert not missing, f"{response} lacks {missing}"


def test_no_answer_invents_contact_details_or_numbers():
    """Every phone number, e-mail and web address in an answer stands in the policy
    (Datatilsynet, the supervisory authority, is the one fact the law adds)."""
    policy_digits = re.sub(r"\D", "", POLICY)
    for name, text in VARIANTS.items():
        for email in re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text):
            if email.endswith(EXAMPLE_DOMAINS):
                continue  # an obvious example address (RFC 2606), shown as a format hint
            assert email in POLICY, f"{name} invents {email}"
        for number in re.findall(r"\+?\d[\d ]{6,}\d", text):
            assert re.sub(r"\D", "", number) in policy_digits, f"{name} invents {number}"
        for host in re.findall(r"\b[\w-]+\.no\b", text):
            assert host in POLICY or host == "datatilsynet.no", f"{name} invents {host}"


def test_every_answer_fits_in_two_sms_segments():
    too_long = {n: len(t) for n, t in VARIANTS.items() if len(t) > 320}
    assert not too_long, too_long
