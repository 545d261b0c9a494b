"""Intent quality on the held-out set (tests/nlu/heldout.yml), with the trained model in-process.

The held-out set is never used for training. The model comes from ``KLBOT_TEST_MODEL`` or
``models/klbot.tar.gz`` (``make test`` trains it first, so a missing model is a failure).
Every held-out message goes through the whole NLU pipeline, FallbackClassifier included: a
message that ends up as ``nlu_fallback`` counts as wrong. The per-intent report is printed and
written to ``results/nlu_heldout_report.txt``.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections import Counter
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODEL = Path(os.environ.get("KLBOT_TEST_MODEL") or ROOT / "models" / "klbot.tar.gz")
HELDOUT = ROOT / "tests" / "nlu" / "heldout.yml"
TRAINING = ROOT / "data" / "nlu"
REPORT = ROOT / "results" / "nlu_heldout_report.txt"
MIN_MACRO_F1 = 0.92
MIN_ENTITY_RECALL = 0.95

CATALOG = [
    "greet",
    "goodbye",
    "thank",
    "affirm",
    "deny",
    "bot_challenge",
    "human_handoff",
    "help",
    "cancel",
    "out_of_scope",
    "inform",
    "ask_data_collected",
    "ask_purposes",
    "ask_legal_basis",
    "ask_retention",
    "ask_sharing",
    "ask_rights",
    "ask_marketing",
    "ask_contact",
    "ask_complaint",
    "request_opt_out",
    "request_access",
    "request_correction",
    "request_erasure",
    "request_restriction",
    "request_objection",
    "request_portability",
    "request_status",
]


def normalise(text: str) -> str:
    """Case, whitespace and punctuation do not make a training example new."""
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def load_examples(path: Path) -> List[Tuple[str, str, List[dict]]]:
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(path))
    return [
        (m.get("text"), m.get("intent"), list(m.get("entities") or []))
        for m in data.intent_examples
    ]


@pytest.fixture(scope="module")
def heldout() -> List[Tuple[str, str, List[dict]]]:
    return load_examples(HELDOUT)


@pytest.fixture(scope="module")
def predictions(heldout) -> List[dict]:
    """Parse every held-out message with the trained model (in-process, no HTTP)."""
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train` first (or set KLBOT_TEST_MODEL)")
    from rasa.core.agent import Agent

    cwd = Path.cwd()
    os.chdir(ROOT)  # the pipeline loads var/spacy/nb_blank relative to the project root
    try:
        agent = Agent.load(model_path=str(MODEL))

        async def parse_all() -> List[dict]:
            return [await agent.parse_message(text) for text, _, _ in heldout]

        return asyncio.run(parse_all())
    finally:
        os.chdir(cwd)


def test_heldout_covers_the_whole_catalog(heldout):
    counts = Counter(intent for _, intent, _ in heldout)
    assert set(counts) == set(CATALOG), set(counts) ^ set(CATALOG)
    too_few = {intent: n for intent, n in counts.items() if n < 20}
    assert not too_few, f"fewer than 20 held-out examples: {too_few}"


def test_no_training_example_is_in_the_heldout_set(heldout):
    training = {normalise(text) for text, _, _ in load_examples(TRAINING)}
    leaked = sorted({normalise(text) for text, _, _ in heldout} & training)
    assert not leaked, f"held-out examples also in data/nlu: {leaked}"


def report(heldout, predictions) -> Tuple[str, float]:
    from sklearn.metrics import classification_report, f1_score

    y_true = [intent for _, intent, _ in heldout]
    y_pred = [p["intent"]["name"] if p.get("intent") else "None" for p in predictions]
    macro = f1_score(y_true, y_pred, labels=CATALOG, average="macro", zero_division=0)
    lines = [
        f"model: {MODEL}",
        f"held-out examples: {len(y_true)}; intent macro-F1 (catalog intents): {macro:.4f}",
        "",
        classification_report(y_true, y_pred, labels=CATALOG, digits=3, zero_division=0),
        "confusions (true -> predicted: count):",
    ]
    confusions = Counter((t, p) for t, p in zip(y_true, y_pred) if t != p)
    for (t, p), n in confusions.most_common():
        lines.append(f"  {t} -> {p}: {n}")
    lines += ["", "misclassified examples (true -> predicted, confidence):"]
    for (text, true, _), pred in zip(heldout, predictions):
        name = pred["intent"]["name"] if pred.get("intent") else "None"
        if name != true:
            conf = pred["intent"].get("confidence", 0.0) if pred.get("intent") else 0.0
            lines.append(f"  [{true} -> {name} {conf:.2f}] {text}")
    return "\n".join(lines) + "\n", macro


def test_heldout_intent_macro_f1(heldout, predictions):
    text, macro = report(heldout, predictions)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(text, encoding="utf-8")
    print("\n" + text)
    assert macro >= MIN_MACRO_F1, f"held-out intent macro-F1 {macro:.4f} < {MIN_MACRO_F1}"


def test_heldout_entities_are_extracted(heldout, predictions):
    """Every annotated entity (type, canonical value) is found by the regex extractor."""
    from rasa.shared.nlu.training_data.loading import load_data

    synonyms: Dict[str, str] = load_data(str(TRAINING)).entity_synonyms
    expected = found = 0
    missed = []
    for (text, _, entities), pred in zip(heldout, predictions):
        got = {(e["entity"], str(e["value"])) for e in pred.get("entities", [])}
        for e in entities:
            value = synonyms.get(e["value"].lower(), e["value"])
            expected += 1
            if (e["entity"], value) in got:
                found += 1
            else:
                missed.append(f"{e['entity']}={value!r} in {text!r}")
    recall = found / expected if expected else 1.0
    assert recall >= MIN_ENTITY_RECALL, f"entity recall {recall:.3f}; missed: {missed}"
