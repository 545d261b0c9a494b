"""Quality gates for the dialogue: valid data, current generated YAML, passing test stories."""

from __future__ import annotations

import subprocess
import sys

import pytest

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


def test_generated_domain_and_rules_are_current():
    result = run(sys.executable, "scripts/gen_dialogue.py", "--check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_generated_test_stories_are_current():
    result = run(sys.executable, "scripts/policy_test_stories.py", "--check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_form_rule_has_a_test_story():
    """Each rule that starts, completes, cancels or interrupts a form is exercised."""
    import yaml

    rules = yaml.safe_load((ROOT / "data" / "rules.yml").read_text(encoding="utf-8"))["rules"]
    stories = yaml.safe_load(
        (ROOT / "tests" / "stories" / "request_stories.yml").read_text(encoding="utf-8")
    )["stories"]
    story_steps = [str(story["steps"]) for story in stories]
    for rule in rules:
        loop = next(
            (c["active_loop"] for c in rule.get("condition", []) if "active_loop" in c), None
        )
        intent = next((s["intent"] for s in rule["steps"] if "intent" in s), None)
        actions = [s["action"] for s in rule["steps"] if "action" in s]
        if not loop and not any(a.endswith("_form") for a in actions):
            continue
        assert any(
            (intent is None or f"'intent': '{intent}'" in steps)
            and all(f"'action': '{a}'" in steps for a in actions)
            for steps in story_steps
        ), rule["rule"]


@pytest.mark.slow
def test_rasa_data_validate_reports_no_warnings():
    result = run(RASA, "data", "validate", "--fail-on-warnings", "--data", "data")
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]


@pytest.mark.slow
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
