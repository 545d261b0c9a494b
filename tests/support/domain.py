"""The assistant's domain as `rasa train` builds it, for tests that read responses.

``domain.yml`` holds intents, entities, slots, forms, actions and the dialogue's responses;
the policy answers (``utter_ask_<topic>/...`` and ``utter_ask_<topic>_more``) live beside
their NLU data in ``data/nlu/responses/`` and Rasa merges them in at training time (its
``ResponsesSyncImporter``). Tests must see the same merged domain, never domain.yml alone:
``domain_dict()`` is the YAML with every response merged in, ``domain()`` Rasa's
``Domain`` of it. tests/test_dialogue.py checks that both agree with Rasa's own importer.
"""

from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any, Dict

import yaml

from tests.support.servers import ROOT

DOMAIN_FILE = ROOT / "domain.yml"
RESPONSES_DIR = ROOT / "data" / "nlu" / "responses"


@lru_cache(maxsize=1)
def _merged() -> Dict[str, Any]:
    data = yaml.safe_load(DOMAIN_FILE.read_text(encoding="utf-8"))
    responses = dict(data.get("responses") or {})
    for path in sorted(RESPONSES_DIR.glob("*.yml")):
        extra = yaml.safe_load(path.read_text(encoding="utf-8")).get("responses") or {}
        clash = sorted(set(extra) & set(responses))
        assert not clash, f"{path.name} repeats responses of the domain: {clash}"
        responses.update(extra)
    data["responses"] = responses
    return data


def domain_dict() -> Dict[str, Any]:
    """domain.yml as a dict, with the policy answers of data/nlu/responses/ merged in."""
    return copy.deepcopy(_merged())


def domain():
    """Rasa's Domain of the merged domain (what the trained model carries)."""
    from rasa.shared.core.domain import Domain

    return Domain.from_dict(domain_dict())


def slots_with(domain_: Any, **slots: Any) -> Dict[str, Any]:
    """Every slot of ``domain_`` (Rasa's Domain) at its initial value, as in a new
    conversation (language nb, personal_data no), with ``slots`` set: what a response's
    conditional variations are chosen against."""
    return {**{slot.name: slot.initial_value for slot in domain_.slots}, **slots}
