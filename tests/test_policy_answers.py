"""The policy answers carry the policy's facts, invent none, and fit in an SMS."""

from __future__ import annotations

import re

import pytest
import yaml

from bot.policy import policy_text
from tests.support.domain import domain_dict
from tests.support.servers import ROOT

DOMAIN = domain_dict()
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
    "utter_ask_rights/erasure": ["under visse omstendigheter", "avtale", "lovkrav"],
    "utter_ask_rights/access_contents": ["registrert", "skriftlig", "underskrevet", "kopi av id"],
    "utter_ask_purposes/why_contact": [
        "tilbud",
        "bestillinger",
        "levering",
        "fakturering",
        "kundesupport",
        "markedsføring",
    ],
    "utter_ask_marketing/activities": ["informasjon om aktiviteter", "stopp"],
    "utter_ask_legal_basis/consent": ["rettslig grunn", "rettslige krav", "berettiget interesse"],
    "utter_ask_data_collected/overview": ["adresse", "telefonnummer", "e-post", "kontaktperson"],
    "utter_ask_purposes/overview": [
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
    "utter_ask_legal_basis/overview": [
        "rettslig grunnlag",
        "fakturering",
        "berettiget interesse",
        "markedsføring",
        "kundeundersøkelser",
    ],
    "utter_ask_retention/overview": ["så lenge du er kunde", "loven", "3 måneder"],
    "utter_ask_sharing/overview": [
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
    "utter_ask_rights/overview": [
        "innsyn",
        "retting",
        "sletting",
        "protestere",
        "begrensning",
        "dataportabilitet",
        "datatilsynet",
    ],
    "utter_ask_marketing/overview": ["brevpost", "e-post", "sms", "berettiget interesse", "stopp"],
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
    # specific answers (retrieval intents, data/nlu/answers.yml)
    "utter_ask_data_collected/source": ["oppgitt", "adresse", "telefonnummer", "kontaktperson"],
    "utter_ask_purposes/surveys": [
        "følge opp kunder",
        "kundeanalyser",
        "statistikk",
        "kundeundersøkelser",
        "berettiget interesse",
        "utvikle og forbedre",
        "rettslig grunnlag",
        "protestere",
    ],
    "utter_ask_legal_basis/invoicing": ["fakturering", "rettslige krav", "ikke slette"],
    "utter_ask_legal_basis/marketing": [
        "direkte markedsføring",
        "berettiget interesse",
        "når som helst",
    ],
    "utter_ask_retention/applications": ["kundesøknader", "3 måneder"],
    "utter_ask_retention/former_customers": ["så lenge du er kunde", "loven", "fakturaer"],
    "utter_ask_retention/invoices": ["fakturaer", "loven", "rettslige krav", "ikke slette"],
    "utter_ask_sharing/tax_authorities": [
        "skattemyndighetene",
        "uavhengig",
        "politiet",
        "domstoler",
    ],
    "utter_ask_sharing/police": ["politiet", "uavhengig"],
    "utter_ask_sharing/courts": ["domstolene", "uavhengig"],
    "utter_ask_rights/access_how": [
        "skriftlig",
        "underskrevet",
        "kopi av id-dokument",
        "langstranda 571",
        "«registrer ekstra persondata»",
        "kode",
        "registrert",
    ],
    "utter_ask_rights/access_written": ["skriftlig", "underskrevet", "kopi av id-dokument", "kode"],
    "utter_ask_rights/access_id": [
        "kopi av id-dokumentet",
        "eieren",
        "ledende stilling",
        "kompetent person",
    ],
    "utter_ask_rights/envelope": [
        "«registrer ekstra persondata»",
        "langstranda 571",
        "no-1970 hemnes",
        "skriftlig",
        "underskrevet",
    ],
    "utter_ask_rights/by_letter": [
        "underskriv",
        "kopi av id-dokument",
        "langstranda 571",
        "«registrer ekstra persondata»",
    ],
    "utter_ask_rights/company": [
        "skriftlig",
        "underskrevet",
        "eieren",
        "ledende stilling",
        "kompetent person",
        "kode",
    ],
    "utter_ask_rights/portability": [
        "flyttes",
        "annet selskap",
        "myndighet",
        "organisasjon",
        "begrenset til informasjon fra deg",
    ],
    "utter_ask_rights/objection_vs_restriction": [
        "berettiget interesse",
        "direkte markedsføring",
        "begrens",
    ],
    "utter_ask_rights/erasure_limits": [
        "gjennomføre en avtale",
        "lovkrav",
        "ikke slette",
        "faktura",
    ],
    "utter_ask_rights/correction": ["korrekte og oppdaterte", "korrigert eller fullført"],
    "utter_ask_marketing/object": ["berettiget interesse", "når som helst", "stopp"],
    "utter_ask_marketing/channels": ["brevpost", "e-post", "sms"],
    "utter_start_request_erasure": ["fakturaer", "loven"],
    "utter_ask_purposes/login": ["kundeinnlogginger", "nettsiden", "rettslig grunnlag"],
    "utter_ask_purposes/support": ["kundesupport", "besvare spørsmål", "rettslig grunnlag"],
    "utter_ask_sharing/rescue_services": [
        "uavhengig",
        "redningstjenester",
        "politi",
        "skattemyndigheter",
        "domstoler",
    ],
    "utter_ask_data_collected/security": ["beskytte", "på best mulig måte"],
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


# the policy's sentences each specific answer rests on (lower-case, as in the policy)
SOURCES = {
    "utter_ask_retention/applications": ["kunde søknader oppbevares i 3 måneder"],
    "utter_ask_retention/former_customers": [
        "spares så lenge du er kunde hos oss",
        "i visse tilfeller kan opplysningene spares lengre på grunn av lovgivning",
    ],
    "utter_ask_retention/invoices": ["rettslige krav for håndtering av fakturering"],
    "utter_ask_rights/access_how": [
        "forespørselen om slike utdrag skal skje skriftlig og underskrevet av deg",
        'merk konvolutten "registrer ekstra persondata"',
    ],
    "utter_ask_rights/access_id": [
        "kopi av id-dokument av eieren eller personen i selskapets ledende stilling",
        "derfor vet vi at det er en kompetent person som ønsker dette ekstraktet",
    ],
    "utter_ask_rights/portability": [
        "flyttes fra kl miljøvarme til et annet selskap, myndighet eller organisasjon",
        "denne rettigheten er begrenset til informasjon fra deg",
    ],
    "utter_ask_rights/erasure_limits": [
        "trenger informasjonen for å kunne gjennomføre en avtale med deg eller om det er et "
        "lovkrav om at vi beholder personlig informasjon, kan vi ikke slette dem",
    ],
    "utter_ask_rights/correction": ["er korrekte og oppdaterte", "blir korrigert eller fullført"],
    "utter_ask_purposes/surveys": [
        "gjøre kundeanalyser og ta ut statistikk",
        "med støtte av berettiget interesse gjennomfører vi kundeundersøkelser for å utvikle og "
        "forbedre",
    ],
    "utter_ask_sharing/tax_authorities": ["myndigheter (eks. politi, skattemyndigheter)"],
}


@pytest.mark.parametrize("response,sentences", sorted(SOURCES.items()))
def test_the_policy_still_says_what_an_answer_rests_on(response, sentences):
    policy = " ".join(POLICY.lower().split())
    for sentence in sentences:
        assert sentence in policy, f"{response}: the policy no longer says «{sentence}»"


def test_the_suppliers_sentence_is_quoted_as_it_stands():
    """The policy's suppliers sentence is odd («kan ikke levere ut»); the answer quotes it
    word for word instead of guessing what it means."""
    from bot.policy.facts import RECIPIENTS

    sentence = RECIPIENTS[0]
    assert sentence in POLICY
    text = " ".join(RESPONSES["utter_ask_sharing/suppliers"].split())
    assert f"«{sentence}»" in text


def test_every_specific_answer_has_its_facts_checked():
    """Covered answers by their facts; the silent ones and the advice by the tests below."""
    from actions.answers import SILENT, TOPIC_ANSWERS

    specific = {n for n in RESPONSES if n.startswith("utter_ask_") and "/" in n}
    honest = {f"utter_{key}" for key in SILENT | set(TOPIC_ANSWERS.values())}
    unchecked = specific - set(FACTS) - {"utter_ask_sharing/suppliers"} - honest
    assert not unchecked, sorted(unchecked)


# topics the policy is silent on: the honest answer says so, and how to ask
def answer_variants(key: str) -> dict:
    """{"nb": text, "en": text} of the answer ``utter_<key>``."""
    found = {}
    for variant in DOMAIN["responses"][f"utter_{key}"]:
        conditions = {c["name"]: c["value"] for c in variant.get("condition", [])}
        found[conditions.get("language", "nb")] = variant["text"]
    return found


def silent_keys():
    from actions.answers import SILENT

    return sorted(SILENT)


@pytest.mark.parametrize("key", silent_keys())
def test_a_silent_topic_says_the_policy_does_not_cover_it_and_how_to_ask(key):
    variants = answer_variants(key)
    assert set(variants) == {"nb", "en"}, key
    assert "sier ikke noe om" in variants["nb"] or "nevner ikke" in variants["nb"]
    assert "does not say" in variants["en"] or "does not name" in variants["en"]
    for text in variants.values():
        assert "+47 63 85 88 70" in text and "biokjell@miljovarme.no" in text


def test_every_topic_the_patterns_find_has_an_honest_answer():
    from actions.answers import SILENT, TOPIC_ANSWERS

    advice = {TOPIC_ANSWERS["chat"], TOPIC_ANSWERS["unsolicited_code"]}
    assert set(TOPIC_ANSWERS.values()) - advice <= SILENT


# what the law makes certain where the policy is silent (GDPR art. 12(3) and 12(5))
LAW = {
    "ask_rights/deadline": (["én måned", "uten ugrunnet opphold"], ["one month", "undue delay"]),
    "ask_rights/fee": (["gratis"], ["free of charge"]),
}


@pytest.mark.parametrize("key", sorted(LAW))
def test_what_the_law_makes_certain_is_said_as_the_law(key):
    variants = answer_variants(key)
    nb, en = LAW[key]
    assert all(fact in variants["nb"] for fact in nb) and "personvernforordningen" in variants["nb"]
    assert all(fact in variants["en"] for fact in en) and "GDPR" in variants["en"]


def test_an_unsolicited_code_gets_security_advice_and_no_code():
    from actions.answers import TOPIC_ANSWERS

    variants = answer_variants(TOPIC_ANSWERS["unsolicited_code"])
    nb, en = variants["nb"].lower(), variants["en"].lower()
    assert "ikke gi koden til noen" in nb and "ved en feil" in nb and "med mindre koden" in nb
    assert "do not give the code" in en and "by mistake" in en and "unless the code" in en
    rules = yaml.safe_load((ROOT / "data" / "rules" / "topics.yml").read_text(encoding="utf-8"))
    rule = next(r for r in rules["rules"] if r["rule"] == "a code the customer did not ask for")
    actions = [step["action"] for step in rule["steps"] if "action" in step]
    assert actions == ["action_answer_question"]  # no form, so no new code
    intents = [alt["intent"] for step in rule["steps"] for alt in step.get("or", [])]
    assert {"request_status", "request_access", "inform"} <= set(intents)


def test_someone_elses_data_gets_its_route():
    from actions.answers import SITUATIONS

    texts = {}
    for variant in DOMAIN["responses"]["utter_situation"]:
        conditions = {c["name"]: c["value"] for c in variant.get("condition", [])}
        if conditions.get("situation"):
            texts[(conditions["situation"], conditions["language"])] = variant["text"].lower()
    assert (
        "dokumentasjon" in texts[("deceased", "nb")]
        and "langstranda 571" in texts[("deceased", "nb")]
    )
    assert "proof" in texts[("deceased", "en")]
    assert "retting, ikke en sletting" in texts[("contact_person", "nb")]
    assert "correction, not erasing" in texts[("contact_person", "en")]
    assert set(SITUATIONS) == {"deceased", "contact_person", "company"}
