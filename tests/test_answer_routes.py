"""Which answer customers' specific questions get, with the trained model in-process.

The messages below were written for this test (not training examples, not from a held-out
set): the questions of issue 18's kinds, each with the answer (``ask_<topic>/<question>``),
the honest «not covered» topic, or the route for someone else's data that is right. The route
is decided as the rules and actions/answers.py decide it from the NLU output. Marked ``slow``
and ``model``: it needs models/klbot.tar.gz.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Dict, List, Tuple

import pytest
import yaml

from actions.answers import REQUEST_ANSWERS, TOPICS, choose_answer

ROOT = Path(__file__).resolve().parents[1]
MODEL = Path(os.environ.get("KLBOT_TEST_MODEL") or ROOT / "models" / "klbot.tar.gz")
pytestmark = [pytest.mark.slow, pytest.mark.model]

# (message, the right routes): an answer key, "topic:<policy_topic>", "situation:<value>"
CASES: List[Tuple[str, Tuple[str, ...]]] = [
    (
        "Jeg søkte om å bli kunde i vår, ligger søknaden fortsatt hos dere?",
        ("ask_retention/applications",),
    ),
    ("hvor lenge tar dere vare på en kundesøknad", ("ask_retention/applications",)),
    (
        "Jeg sa opp avtalen i fjor. Har dere fortsatt adressen min?",
        ("ask_retention/former_customers",),
    ),
    (
        "må dere ha fakturaene mine liggende i mange år?",
        ("ask_retention/invoices", "ask_legal_basis/invoicing"),
    ),
    (
        "Må kravet om innsyn sendes skriftlig?",
        ("ask_rights/access_written", "ask_rights/access_how"),
    ),
    (
        "Skal brevet om innsyn signeres av meg?",
        ("ask_rights/access_written", "ask_rights/access_how"),
    ),
    ("hvorfor trenger dere en kopi av pass eller førerkort?", ("ask_rights/access_id",)),
    (
        "Hvordan merker jeg konvolutten når jeg ber om innsyn?",
        ("ask_rights/envelope", "ask_rights/access_how"),
    ),
    (
        "Vi er et AS. Hvem hos oss har lov til å be om innsyn?",
        ("ask_rights/company", "situation:company"),
    ),
    ("Hva dekker retten til dataportabilitet?", ("ask_rights/portability",)),
    (
        "Hva er egentlig forskjellen på protest og begrensning?",
        ("ask_rights/objection_vs_restriction",),
    ),
    (
        "Kan dere slette meg selv om jeg skylder dere for en faktura?",
        ("ask_rights/erasure_limits",),
    ),
    ("Hva er det dere ikke kan slette om meg?", ("ask_rights/erasure_limits",)),
    (
        "Eg har ikkje internett. Korleis får eg vite kva de har om meg?",
        ("ask_rights/by_letter", "ask_rights/access_how"),
    ),
    ("Kan dere gi opplysninger om meg til skatteetaten?", ("ask_sharing/tax_authorities",)),
    ("Får politiet se hva dere har om meg?", ("ask_sharing/police",)),
    ("Hvis det blir en sak i retten, deler dere da dataene?", ("ask_sharing/courts",)),
    ("Gjennomfører dere kundeundersøkelser blant kundene?", ("ask_purposes/surveys",)),
    ("Lager dere analyser av kundene deres?", ("ask_purposes/surveys",)),
    ("Is it possible to object to your direct marketing?", ("ask_marketing/object",)),
    ("Kan jeg få brev fra dere, men ikke reklame på e-post?", ("ask_marketing/channels",)),
    # the answers added on 2026-12-04 (written before that model was trained)
    ("Har jeg krav på å bli strøket fra registeret?", ("ask_rights/erasure",)),
    ("Kan eg krevje å bli sletta?", ("ask_rights/erasure", "ask_rights/erasure_limits")),
    ("Hva inneholder et registerutdrag?", ("ask_rights/access_contents",)),
    ("Kan jeg bare ringe og be om innsyn?", ("ask_rights/access_written",)),
    ("Hvor lang tid tar det å få innsyn?", ("ask_rights/deadline",)),
    ("Hvorfor får jeg invitasjon til kundekveld?", ("ask_marketing/activities",)),
    ("I hvilket land ligger dataene mine?", ("topic:storage",)),
    ("Sender dere data til land utenfor EØS?", ("topic:transfer",)),
    ("Tar dere automatiserte beslutninger om kundene?", ("topic:automated",)),
    ("Driver dere med telefonsalg til kundene?", ("topic:telemarketing",)),
    ("Har dere databehandleravtaler med IT-leverandørene?", ("topic:processor",)),
    ("Jeg fikk en engangskode på SMS som jeg ikke har bedt om", ("topic:unsolicited_code",)),
    ("Far min er død. Hvordan sletter jeg opplysningene hans?", ("situation:deceased",)),
    (
        "Den gamle kontaktpersonen vår har sluttet, kan dere fjerne ham?",
        ("situation:contact_person",),
    ),
]


def route(parse: dict) -> str:
    """The answer the rules and actions/answers.py give for one message's NLU output."""
    entities = {e["entity"]: e["value"] for e in parse.get("entities") or []}
    intent = (parse.get("intent") or {}).get("name")
    topic = entities.get("policy_topic")
    if topic and topic != "chat":
        return f"topic:{topic}"
    situation = entities.get("situation")
    if situation:
        return f"situation:{situation}"
    if intent in TOPICS or (intent in REQUEST_ANSWERS and entities.get("question") == "how"):
        return choose_answer(parse, entities.get("question")) or "none"
    if intent in REQUEST_ANSWERS or intent == "request_status":
        return f"form:{intent}"
    return f"other:{intent}"


@pytest.fixture(scope="module")
def routes() -> Dict[str, str]:
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train` first")
    from rasa.core.agent import Agent

    cwd = Path.cwd()
    os.chdir(ROOT)
    try:
        agent = Agent.load(model_path=str(MODEL))

        async def parse_all() -> Dict[str, str]:
            return {text: route(await agent.parse_message(text)) for text, _ in CASES}

        return asyncio.run(parse_all())
    finally:
        os.chdir(cwd)


def test_no_question_starts_a_form(routes):
    forms = {text: r for text, r in routes.items() if r.startswith("form:")}
    assert not forms, forms


def test_most_questions_get_their_own_answer(routes):
    wrong: Dict[str, Tuple[str, Tuple[str, ...]]] = {
        text: (routes[text], right) for text, right in CASES if routes[text] not in right
    }
    share = 1 - len(wrong) / len(CASES)
    print(f"\nspecific answers: {share:.0%} right of {len(CASES)}; wrong: {yaml.safe_dump(wrong)}")
    assert share >= 0.8, wrong


def test_the_route_is_read_from_the_nlu_output():
    """Control: the same decision on hand-made NLU output (fails if route() ignores it)."""
    parse: dict = {"text": "x", "intent": {"name": "request_access"}, "entities": []}
    assert route(parse) == "form:request_access"
    parse["entities"] = [{"entity": "question", "value": "how"}]
    assert route(parse) == "ask_rights/access_how"
    parse["entities"].append({"entity": "policy_topic", "value": "unsolicited_code"})
    assert route(parse) == "topic:unsolicited_code"
