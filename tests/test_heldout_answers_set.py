"""The answers held-out set itself (no model): its schema, that it did not leak into the
training data, that its facts are the policy's own words, and that the scorer can fail.

tests/test_policy_answers_heldout.py scores the set against the trained model.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections import Counter

import pytest
import yaml

from bot.nlp.extractors import detect_language
from bot.nlp.heldout_answers import (
    ANSWER_SET,
    ANSWERED_KINDS,
    KINDS,
    ROOT,
    Item,
    load_answer_set,
    outcome,
    summarise,
)
from bot.policy import policy_text

RAW = yaml.safe_load(ANSWER_SET.read_text(encoding="utf-8"))
SET = load_answer_set()
POLICY = " ".join(policy_text().lower().split())
ALLOWED_OUTSIDE_POLICY = {"datatilsynet"}  # the authority (SPEC: ask_complaint), not named there
KEYS = {"text", "who", "topic", "kind", "facts", "forbid", "form", "offer"}
OFFERED_FORMS = {"complaint_form"}  # SPEC.md: ask_complaint offers to write a ticket
SILENT_MARKERS = {"ikke omtalt", "sier ikke", "not covered", "does not say"}
CONTACT_MARKERS = {"biokjell@miljovarme.no", "63 85 88 70"}
GREP = shutil.which("grep") or "/usr/bin/grep"


def grep_fixed(patterns, *paths) -> subprocess.CompletedProcess:
    """``grep -rhoiF``: which of the fixed strings occur in the files (case ignored)."""
    return subprocess.run(  # noqa: S603
        [GREP, "-rhoiF", "-f", str(patterns), *map(str, paths)],
        capture_output=True,
        text=True,
        env=dict(os.environ, LC_ALL="C.UTF-8"),
    )


def test_the_set_has_the_planned_size_and_mix():
    items = SET.items
    assert 120 <= len(items) <= 150, len(items)
    kinds = Counter(item.kind for item in items)
    assert set(kinds) == set(KINDS), kinds
    english = sum(detect_language(item.text) == "en" for item in items) / len(items)
    assert 0.10 <= english <= 0.20, f"English share {english:.0%}"
    texts = [" ".join(item.text.lower().split()) for item in items]
    assert len(set(texts)) == len(texts), [t for t, n in Counter(texts).items() if n > 1]


@pytest.mark.parametrize("raw", RAW["items"], ids=lambda raw: raw["text"][:40])
def test_item_schema(raw):
    assert set(raw) <= KEYS and {"text", "who", "topic", "kind", "form"} <= set(raw), set(raw)
    assert isinstance(raw["text"], str) and raw["text"].strip()
    assert isinstance(raw["who"], str) and raw["who"].strip()
    assert re.fullmatch(r"[a-z_]+", raw["topic"]), raw["topic"]
    assert raw["kind"] in KINDS
    assert isinstance(raw["form"], bool)
    assert raw["form"] == (raw["kind"] == "request"), "form: true exactly for requests"
    facts, forbid = raw.get("facts"), raw.get("forbid", [])
    if raw["kind"] in ANSWERED_KINDS:
        assert facts, "covered, silent and advice items need facts"
    else:
        assert not facts and not forbid, "a request is scored on the form only"
    for group in facts or []:
        assert isinstance(group, list) and group, group
        for alternative in group:
            assert isinstance(alternative, str) and alternative.strip() == alternative
            assert alternative == alternative.lower(), alternative
    assert isinstance(forbid, list)
    for phrase in forbid:
        assert isinstance(phrase, str) and phrase and phrase == phrase.lower(), phrase
        assert phrase not in POLICY, f"{phrase!r} is the policy's own words"
    if "offer" in raw:
        assert raw["offer"] in OFFERED_FORMS and raw["topic"] == "complaint" and not raw["form"]
    if raw["kind"] == "silent":
        groups = [set(group) for group in facts]
        assert any(SILENT_MARKERS <= g for g in groups), "a group saying the policy is silent"
        assert any(CONTACT_MARKERS <= g for g in groups), "a group with the contact details"


def _in_policy(alternative: str) -> bool:
    if alternative in ALLOWED_OUTSIDE_POLICY or alternative in POLICY:
        return True
    rendered = SET.glossary.get(alternative)
    return rendered is not None and rendered in POLICY


def test_every_fact_of_a_covered_item_is_in_the_policy():
    outside = sorted(
        {
            alternative
            for item in SET.items
            if item.kind == "covered"
            for group in item.facts
            for alternative in group
            if not _in_policy(alternative)
        }
    )
    assert not outside, f"not in the policy text nor a listed translation of it: {outside}"


def test_every_glossary_entry_renders_the_policys_own_words():
    wrong = {k: v for k, v in SET.glossary.items() if v.lower() not in POLICY}
    assert not wrong, wrong


def test_no_text_of_the_set_is_in_the_training_data(tmp_path):
    """grep data/ (training data, rules, stories, responses) for every text of the set."""
    patterns = sorted({item.text.strip().rstrip(".?!").strip() for item in SET.items})
    pattern_file = tmp_path / "patterns.txt"
    pattern_file.write_text("\n".join(patterns) + "\n", encoding="utf-8")
    found = grep_fixed(pattern_file, ROOT / "data", ROOT / "domain.yml")
    assert found.returncode in (0, 1), found.stderr  # 1: nothing found
    leaked = sorted({line.strip().lower() for line in found.stdout.splitlines() if line.strip()})
    assert not leaked, f"texts of the answers set found in data/: {leaked}"


def test_the_grep_finds_a_text_that_is_in_the_data(tmp_path):
    """The leak check can fail: a line taken from data/ is found by the same grep."""
    sample = next(
        line.strip().lstrip("- ").strip()
        for path in sorted((ROOT / "data" / "nlu").glob("*.yml"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip().startswith("- ") and len(line.strip()) > 12 and ":" not in line
    )
    pattern_file = tmp_path / "patterns.txt"
    pattern_file.write_text(sample + "\n", encoding="utf-8")
    found = grep_fixed(pattern_file, ROOT / "data")
    assert found.returncode == 0 and found.stdout.strip()


def test_no_text_is_in_an_intent_held_out_set():
    from bot.nlp.heldout import HELDOUT_SETS, load_examples, normalise

    ours = {normalise(item.text) for item in SET.items}
    shared = {
        name: sorted(ours & {normalise(text) for text, _, _ in load_examples(path)})
        for name, path in HELDOUT_SETS.items()
    }
    assert not any(shared.values()), shared


def test_the_scorer_sees_a_reply_in_the_wrong_language():
    english = _item(text="How long do you keep my application?", facts=[["3 months"]])
    assert outcome(english, [{"text": "We keep applications for 3 months."}], None).failures == []
    norwegian = outcome(english, [{"text": "Søknader oppbevares i 3 måneder hos oss."}], None)
    assert norwegian.failures == ["facts", "language"]
    asked_nb = _item(text="hvor lenge lagrer dere søknaden min?", facts=[["3 måneder"]])
    reply = "We keep applications for three months after they arrive."
    answered_en = outcome(asked_nb, [{"text": reply}], None)
    assert answered_en.wrong_language


def _item(**kw) -> Item:
    base = dict(text="x", who="y", topic="t", kind="covered", form=False)
    return Item(**{**base, **kw})


def test_the_scorer_needs_every_group_and_catches_forbidden_phrases():
    item = _item(facts=[["3 måneder", "3 months"], ["søknad"]], forbid=["6 måneder"])
    good = outcome(item, [{"text": "Søknader oppbevares i 3 måneder."}], None)
    assert good.answered and not good.failures
    half = outcome(item, [{"text": "Vi lagrer i 3 måneder."}], None)
    assert not half.answered and half.failures == ["facts"]
    wrong = outcome(item, [{"text": "Søknaden lagres i 6 måneder, ikke 3 måneder."}], None)
    assert wrong.forbidden == ["6 måneder"] and "unfaithful" in wrong.failures
    formed = outcome(item, [{"text": "Søknader: 3 måneder."}], "access_form")
    assert formed.failures == ["form"]
    offered = _item(topic="complaint", facts=[["datatilsynet"]], offer="complaint_form")
    assert not outcome(offered, [{"text": "Datatilsynet"}], "complaint_form").failures
    assert outcome(offered, [{"text": "Datatilsynet"}], "access_form").failures == ["form"]
    request = outcome(_item(kind="request", form=True), [{"text": "Hva er e-posten din?"}], None)
    assert request.failures == ["no form"]


def test_the_summary_counts_each_share_over_its_own_items():
    question = _item(facts=[["fakta"]], forbid=["feil"])
    request = _item(kind="request", form=True)
    outcomes = [
        outcome(question, [{"text": "fakta"}], None),
        outcome(question, [{"text": "noe feil"}], "some_form"),
        outcome(request, [{"text": "?"}], "some_form"),
        outcome(request, [{"text": "?"}], None),
    ]
    # "x" asked, Norwegian or no telling words answered: no language is wrong
    summary = summarise(outcomes)
    assert summary.answered == 0.5
    assert summary.form_on_question == 0.5
    assert summary.unfaithful == 0.5
    assert summary.form_on_request == 0.5
    assert summary.topic_failures == {"t": {"facts": 1, "form": 1, "unfaithful": 1, "no form": 1}}
