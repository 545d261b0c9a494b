"""The answers held-out sets themselves (no model): their schema, that they did not leak into
the training data (nor into each other or the intent held-out sets), that their facts are the
policy's own words, and that the scorer can fail.

Every set of ``ANSWER_SETS`` is checked: ``answers`` (tests/nlu/heldout_answers.yml),
``fresh`` (tests/nlu/heldout_answers_fresh.yml, GitHub issue #18 item 7) and ``third``
(tests/nlu/heldout_answers_third.yml).
tests/test_policy_answers_heldout.py scores them against the trained model.
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
from bot.policy import policy_text
from tests.support.heldout_answers import (
    ANSWER_SETS,
    ANSWERED_KINDS,
    GATE_KEYS,
    KINDS,
    ROOT,
    Item,
    gate_failures,
    load_answer_set,
    outcome,
    summarise,
)

RAW = {name: yaml.safe_load(path.read_text(encoding="utf-8")) for name, path in ANSWER_SETS.items()}
SETS = {name: load_answer_set(path) for name, path in ANSWER_SETS.items()}
NAMES = sorted(ANSWER_SETS)
# Per set: the bounds on its size, and on each kind's share (None: only that every kind is there).
SIZE = {"answers": (120, 150), "fresh": (130, 150), "third": (80, 95)}
MIX = {
    "answers": None,
    # the fresh set was planned as ~55 % covered, ~20 % silent, ~10 % advice, ~15 % requests
    "fresh": {
        "covered": (0.45, 0.65),
        "silent": (0.15, 0.25),
        "advice": (0.07, 0.15),
        "request": (0.10, 0.20),
    },
    # the third set was planned as ~45 % covered, ~25 % silent, ~15 % advice, ~15 % requests
    "third": {
        "covered": (0.40, 0.55),
        "silent": (0.18, 0.30),
        "advice": (0.10, 0.20),
        "request": (0.10, 0.20),
    },
}
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


def test_every_answer_set_has_its_bounds():
    assert set(SIZE) == set(MIX) == set(ANSWER_SETS), (SIZE, MIX, ANSWER_SETS)


@pytest.mark.parametrize("name", NAMES)
def test_the_set_has_the_planned_size_and_mix(name):
    items = SETS[name].items
    low, high = SIZE[name]
    assert low <= len(items) <= high, len(items)
    kinds = Counter(item.kind for item in items)
    assert set(kinds) == set(KINDS), kinds
    for kind, (least, most) in (MIX[name] or {}).items():
        share = kinds[kind] / len(items)
        assert least <= share <= most, f"{kind}: {share:.0%} not in [{least:.0%}, {most:.0%}]"
    english = sum(detect_language(item.text) == "en" for item in items) / len(items)
    assert 0.10 <= english <= 0.20, f"English share {english:.0%}"
    texts = [" ".join(item.text.lower().split()) for item in items]
    assert len(set(texts)) == len(texts), [t for t, n in Counter(texts).items() if n > 1]


@pytest.mark.parametrize(
    "raw",
    [raw for name in NAMES for raw in RAW[name]["items"]],
    ids=[f"{name}:{raw['text'][:40]}" for name in NAMES for raw in RAW[name]["items"]],
)
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


def _in_policy(alternative: str, glossary) -> bool:
    if alternative in ALLOWED_OUTSIDE_POLICY or alternative in POLICY:
        return True
    rendered = glossary.get(alternative)
    return rendered is not None and rendered in POLICY


@pytest.mark.parametrize("name", NAMES)
def test_every_fact_of_a_covered_item_is_in_the_policy(name):
    answer_set = SETS[name]
    outside = sorted(
        {
            alternative
            for item in answer_set.items
            if item.kind == "covered"
            for group in item.facts
            for alternative in group
            if not _in_policy(alternative, answer_set.glossary)
        }
    )
    assert not outside, f"not in the policy text nor a listed translation of it: {outside}"


def test_the_policy_words_check_can_fail():
    assert _in_policy("3 måneder", {}) and _in_policy("three months", {"three months": "3 måneder"})
    assert not _in_policy("6 måneder", {}) and not _in_policy("x", {"x": "6 måneder"})


@pytest.mark.parametrize("name", NAMES)
def test_every_glossary_entry_renders_the_policys_own_words(name):
    wrong = {k: v for k, v in SETS[name].glossary.items() if v.lower() not in POLICY}
    assert not wrong, wrong


@pytest.mark.parametrize("name", NAMES)
def test_no_text_of_the_set_is_in_the_training_data(name, tmp_path):
    """grep data/ (training data, rules, stories, responses) for every text of the set."""
    patterns = sorted({item.text.strip().rstrip(".?!").strip() for item in SETS[name].items})
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


@pytest.mark.parametrize("name", NAMES)
def test_no_text_is_in_an_intent_held_out_set(name):
    from bot.nlp.heldout import HELDOUT_SETS, load_examples, normalise

    ours = {normalise(item.text) for item in SETS[name].items}
    shared = {
        intent_set: sorted(ours & {normalise(text) for text, _, _ in load_examples(path)})
        for intent_set, path in HELDOUT_SETS.items()
    }
    assert not any(shared.values()), shared


def test_the_answer_sets_share_no_text():
    """A text in two answer sets would make the fresh one measure what was already tuned on."""
    from bot.nlp.heldout import normalise

    seen = {}
    for name in NAMES:
        for item in SETS[name].items:
            key = normalise(item.text)
            assert key not in seen or seen[key] == name, (key, seen[key], name)
            seen[key] = name


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


def test_the_gates_catch_a_summary_outside_them():
    question, request = _item(facts=[["fakta"]]), _item(kind="request", form=True)
    summary = summarise(
        [
            outcome(question, [{"text": "fakta"}], None),
            outcome(question, [{"text": "nei"}], None),
            outcome(request, [{"text": "?"}], "some_form"),
        ]
    )
    gates = dict.fromkeys(GATE_KEYS, 0.0) | {"min_answered": 0.5, "min_form_on_request": 1.0}
    assert gate_failures(summary, gates) == []
    assert gate_failures(summary, gates | {"min_answered": 0.6}) == ["answered 50.0% < 60.0%"]
    assert gate_failures(summary, gates | {"min_form_on_request": 1.01}) != []
    with pytest.raises(ValueError):
        gate_failures(summary, {"min_answered": 0.5})
