"""Item 7 (issue 18): the intent groups and the timing constants live in one place
(actions/turns.py, bot/register/verification.py); these fail when a copy drifts: the
domain's intents, the rules' intent lists, the forms' in-form rules, the actions' maps and
the texts that state a time. No model, no servers."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, List, Set

import pytest
import yaml

from actions import turns
from actions.rights import KIND_BY_INTENT
from bot.register import verification
from tests.support.domain import domain_dict
from tests.support.servers import ROOT

DOMAIN = domain_dict()
RULES = ROOT / "data" / "rules"
FORMS = sorted(DOMAIN["forms"])


def rules() -> List[dict]:
    found: List[dict] = []
    for path in sorted(RULES.glob("*.yml")):
        found += yaml.safe_load(path.read_text(encoding="utf-8")).get("rules", [])
    return found


def first_intents(rule: dict) -> Set[str]:
    step = next((s for s in rule["steps"] if "intent" in s or "or" in s), {})
    if "intent" in step:
        return {step["intent"]}
    return {alt["intent"] for alt in step.get("or", []) if "intent" in alt}


def loop_of(rule: dict):
    return next((c["active_loop"] for c in rule.get("condition", []) if "active_loop" in c), None)


def anchored_list(name: str) -> Set[str]:
    """The intents of a YAML anchor (``- or: &name``) in data/rules/, as written."""
    for path in sorted(RULES.glob("*.yml")):
        text = path.read_text(encoding="utf-8")
        match = re.search(rf"- or: &{name}\n((?:\s+- intent: \w+\n)+)", text)
        if match:
            return set(re.findall(r"intent: (\w+)", match.group(1)))
    raise AssertionError(f"no anchor &{name} in data/rules/")


def test_the_groups_are_the_domains_intents():
    assert turns.ALL_INTENTS == set(DOMAIN["intents"]) | {"nlu_fallback"}


def test_the_groups_do_not_overlap():
    groups = [
        turns.QUESTION_INTENTS,
        turns.CHAT_INTENTS,
        turns.CANCEL_INTENTS,
        turns.REQUEST_INTENTS,
        turns.ANSWER_INTENTS,
        turns.FALLBACK_INTENTS,
    ]
    assert sum(len(g) for g in groups) == len(set().union(*groups))


def test_the_rules_anchored_lists_are_the_groups():
    assert anchored_list("any_intent") == turns.ALL_INTENTS - turns.CANCEL_INTENTS
    assert anchored_list("unread_questions") == turns.UNREAD_QUESTION_INTENTS
    assert anchored_list("questions") == turns.ALL_INTENTS - turns.OWN_WAY_INTENTS


@pytest.mark.parametrize("form", FORMS)
def test_every_interrupting_intent_has_an_in_form_rule(form):
    """Whatever a form's validation rejects as an interruption, a rule inside that form
    answers (or cancels, or switches): nothing falls through to a rule for outside."""
    handled: Set[str] = set()
    for rule in rules():
        if loop_of(rule) == form and "form_turn" not in str(rule["steps"]):
            handled |= first_intents(rule)
    # a request switches by its own rule (requests.yml), a question or chat is answered here
    needed = turns.QUESTION_INTENTS | turns.CHAT_INTENTS | turns.CANCEL_INTENTS
    assert needed <= handled, sorted(needed - handled)


def test_every_request_intent_starts_its_form():
    starts: Dict[str, Set[str]] = {}
    for rule in rules():
        if loop_of(rule) is None:
            actions = [s.get("action") for s in rule["steps"]]
            for form in FORMS:
                if form in actions:
                    starts.setdefault(form, set()).update(first_intents(rule))
    assert turns.RIGHTS_REQUEST_INTENTS <= starts["rights_form"]
    assert turns.OPT_OUT_INTENTS <= starts["opt_out_form"]
    assert set(KIND_BY_INTENT) == turns.RIGHTS_REQUEST_INTENTS


def test_the_request_kind_slot_lists_every_rights_kind():
    kinds = set(DOMAIN["slots"]["request_kind"]["values"])
    assert kinds == set(KIND_BY_INTENT.values())


def test_the_free_text_steps_are_form_slots():
    slots = {s for spec in DOMAIN["forms"].values() for s in spec["required_slots"]}
    assert turns.FREE_TEXT_SLOTS <= slots


def test_the_form_turn_values_are_the_slots_values():
    values = set(DOMAIN["slots"]["form_turn"]["values"])
    used = set(re.findall(r"form_turn: (\w+)", "".join(p.read_text() for p in RULES.glob("*"))))
    assert used == values
    source = Path(turns.__file__).read_text(encoding="utf-8")
    form_turn = source[source.index("def form_turn") : source.index("class ActionReadTurn")]
    assert set(re.findall(r'return "(\w+)"', form_turn)) == values


def test_the_code_lifetime_in_every_text_is_the_registers():
    minutes = int(verification.LIFETIME.total_seconds() // 60)
    stated = re.findall(
        r"(\d+) (?:minutter|minutes)", yaml.safe_dump(DOMAIN["responses"], allow_unicode=True)
    )
    assert stated and set(stated) == {str(minutes)}
    from actions.rights import code_message

    assert f"{minutes} minutter" in code_message("123456")
    assert f"{minutes} minutes" in code_message("123456", "en")
