"""Quality gates for the hand-written dialogue: valid data, answers that fit an SMS, passing
test stories for every form rule."""

from __future__ import annotations

import subprocess

import pytest
import yaml

from tests.support.domain import domain_dict
from tests.support.servers import MODEL, ROOT

BIN = ROOT / ".venv" / "bin" if (ROOT / ".venv" / "bin" / "rasa").exists() else None
RASA = str((BIN / "rasa") if BIN else "rasa")


def run(*args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603
        list(args),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={"TF_CPP_MIN_LOG_LEVEL": "2", "PATH": "/usr/bin:/bin", "HOME": str(ROOT)},
    )


RULES_DIR = ROOT / "data" / "rules"


def load_rules() -> list:
    import yaml

    rules = []
    for path in sorted(RULES_DIR.glob("*.yml")):
        rules += yaml.safe_load(path.read_text(encoding="utf-8")).get("rules", [])
    return rules


def rule_intents(rule: dict) -> list:
    """The intents a rule starts with (one, or several folded with ``or:``)."""
    found = []
    for step in rule["steps"]:
        if "intent" in step:
            found.append(step["intent"])
        for alternative in step.get("or", []):
            if "intent" in alternative:
                found.append(alternative["intent"])
    return found


def test_dialogue_is_hand_written_yaml_without_generators():
    """domain.yml and data/rules/ are the source: nothing generates or overwrites them."""
    for path in [ROOT / "domain.yml", *RULES_DIR.glob("*.yml")]:
        assert "generated" not in path.read_text(encoding="utf-8").lower()[:300], path
    assert not list((ROOT / "scripts").glob("gen_*.py"))
    assert not (ROOT / "data" / "rules.yml").exists(), "rules live in data/rules/*.yml"


def test_every_response_fits_two_sms_segments():

    domain = domain_dict()
    for name, variants in domain["responses"].items():
        for variant in variants:
            assert len(variant["text"]) <= 320, f"{name}: {len(variant['text'])} characters"


def test_every_form_rule_has_a_test_story():
    """Each rule that starts, completes, cancels or interrupts a form is exercised."""
    import yaml

    story_steps = [
        str(story["steps"])
        for path in sorted((ROOT / "tests" / "stories").glob("*.yml"))
        for story in yaml.safe_load(path.read_text(encoding="utf-8"))["stories"]
    ]
    for rule in load_rules():
        loop = next(
            (c["active_loop"] for c in rule.get("condition", []) if "active_loop" in c), None
        )
        actions = [s["action"] for s in rule["steps"] if "action" in s]
        if not loop and not any(a.endswith("_form") for a in actions):
            continue
        intents = rule_intents(rule) or [None]
        # a topic rule (data/rules/topics.yml) takes any question: one of them is enough
        topic_rule = "policy_topic" in str(rule["steps"])
        # so does a rule that reads form_turn (actions/turns.py), whatever the intent
        topic_rule = topic_rule or "form_turn" in str(rule["steps"])
        for intent in intents:
            covered = any(
                (intent is None or f"'intent': '{intent}'" in steps or topic_rule)
                and all(f"'action': '{a}'" in steps for a in actions)
                for steps in story_steps
            )
            assert covered, (rule["rule"], intent)


@pytest.mark.slow
def test_rasa_data_validate_reports_no_warnings():
    result = run(RASA, "data", "validate", "--fail-on-warnings", "--data", "data")
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]


@pytest.mark.slow
@pytest.mark.model
def test_every_test_story_is_predicted_correctly(tmp_path):
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train` first")
    out = tmp_path / "results"
    result = run(
        RASA,
        "test",
        "core",
        "--stories",
        "tests/stories",
        "--model",
        str(MODEL),
        "--out",
        str(out),
        "--fail-on-prediction-errors",
    )
    failed = out / "failed_test_stories.yml"
    detail = failed.read_text() if failed.exists() else ""
    assert result.returncode == 0, (detail or result.stdout + result.stderr)[-6000:]


def test_the_tests_see_the_domain_rasa_trains():
    """tests/support/domain.py merges data/nlu/responses/ into domain.yml as Rasa's importer
    does: the same responses with the same variations, and the answers are not in domain.yml."""
    from rasa.shared.importers.importer import TrainingDataImporter

    importer = TrainingDataImporter.load_from_config(
        config_path=str(ROOT / "config.yml"),
        domain_path=str(ROOT / "domain.yml"),
        training_data_paths=[str(ROOT / "data")],
    )
    trained = importer.get_domain().responses
    ours = domain_dict()["responses"]
    assert set(trained) == set(ours)
    assert all(len(trained[name]) == len(ours[name]) for name in ours)
    in_domain_file = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    assert not [
        name
        for name in in_domain_file["responses"]
        if name.startswith("utter_ask_") and ("/" in name or name.endswith("_more"))
    ]
