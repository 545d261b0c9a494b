"""Scoring intent classification on the project's held-out sets (tests, bench, docs).

Four held-out sets, never trained on:

* ``tests/nlu/heldout.yml``: paraphrases of the catalog, the project's first set;
* ``tests/nlu/heldout_voices.yml``: written afterwards and by another method, in the voices of
  particular customers (farmer on SMS, kindergarten manager, elderly, Nynorsk, English,
  angry).
* ``tests/nlu/heldout_fresh.yml``: written later still from scenario cards by someone who read
  only the catalog and the policy; near-duplicates of training examples taken out.
* ``tests/nlu/heldout_turns.yml``: customers' turns in imagined conversations, written the same
  way before the contrastive training data (data/nlu/contrast.yml) was measured.

``score()`` takes the parsed results (``/model/parse`` shape) and returns macro-F1 over the
catalog intents, accuracy, per-intent F1 and the confusions; a message that ends up as
``nlu_fallback`` counts as wrong.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Sequence, Tuple

import yaml

ROOT = Path(__file__).resolve().parents[2]
TRAINING = ROOT / "data" / "nlu"
HELDOUT_SETS: Dict[str, Path] = {
    "heldout": ROOT / "tests" / "nlu" / "heldout.yml",
    "voices": ROOT / "tests" / "nlu" / "heldout_voices.yml",
    "fresh": ROOT / "tests" / "nlu" / "heldout_fresh.yml",
    "turns": ROOT / "tests" / "nlu" / "heldout_turns.yml",
}


def _catalog() -> Tuple[str, ...]:
    """The intent catalog (SPEC.md), read from the domain: the one place it is written."""
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    return tuple(domain["intents"])


CATALOG: Tuple[str, ...] = _catalog()

Example = Tuple[str, str, List[dict]]


def normalise(text: str) -> str:
    """Case, whitespace and punctuation do not make a training example new."""
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def load_examples(path: Path) -> List[Example]:
    """(text, intent, entities) of every intent example in a file or directory."""
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(path))
    return [
        (m.get("text"), m.get("intent"), list(m.get("entities") or []))
        for m in data.intent_examples
    ]


def near_duplicates(
    texts: Iterable[str], training: Iterable[str], threshold: float = 0.85
) -> List[Tuple[str, str, float]]:
    """Texts at least ``threshold`` similar (difflib ratio, normalised) to a training text."""
    pool = sorted({normalise(t) for t in training})
    found = []
    for text in texts:
        a = normalise(text)
        matcher = difflib.SequenceMatcher(None, a, "", autojunk=False)
        best, best_text = 0.0, ""
        for b in pool:
            matcher.set_seq2(b)
            if matcher.real_quick_ratio() < threshold or matcher.quick_ratio() < threshold:
                continue
            ratio = matcher.ratio()
            if ratio > best:
                best, best_text = ratio, b
        if best >= threshold:
            found.append((text, best_text, best))
    return found


@dataclass
class Score:
    name: str
    n: int
    macro_f1: float
    accuracy: float
    per_intent: Dict[str, float]
    confusions: List[Tuple[str, str, int]]
    errors: List[Tuple[str, str, str, float]] = field(default_factory=list)

    @property
    def weakest(self) -> List[Tuple[str, float]]:
        return sorted(self.per_intent.items(), key=lambda kv: kv[1])[:5]

    def summary(self) -> str:
        weak = ", ".join(f"{i} {f:.2f}" for i, f in self.weakest)
        return (
            f"{self.name}: {self.n} messages, intent macro-F1 {self.macro_f1:.3f}, "
            f"accuracy {self.accuracy:.3f}; weakest: {weak}"
        )


def predicted_intent(parse: dict) -> Tuple[str, float]:
    intent = parse.get("intent") or {}
    return str(intent.get("name") or "None"), float(intent.get("confidence") or 0.0)


def without_fallback(parse: dict) -> dict:
    """The parse as if there were no FallbackClassifier: the best catalog intent on top."""
    ranking = [r for r in parse.get("intent_ranking") or [] if r.get("name") != "nlu_fallback"]
    if not ranking:
        return parse
    return dict(parse, intent=ranking[0])


def score(name: str, examples: Sequence[Example], parses: Sequence[dict]) -> Score:
    from sklearn.metrics import f1_score

    y_true = [intent for _, intent, _ in examples]
    predicted = [predicted_intent(p) for p in parses]
    y_pred = [p for p, _ in predicted]
    labels = list(CATALOG)
    per = f1_score(y_true, y_pred, labels=labels, average=None, zero_division=0)
    macro = float(sum(per) / len(per))
    accuracy = sum(t == p for t, p in zip(y_true, y_pred)) / max(1, len(y_true))
    confusions = Counter((t, p) for t, p in zip(y_true, y_pred) if t != p)
    errors = [
        (text, true, pred, conf)
        for (text, true, _), (pred, conf) in zip(examples, predicted)
        if pred != true
    ]
    return Score(
        name=name,
        n=len(y_true),
        macro_f1=macro,
        accuracy=accuracy,
        per_intent={label: float(f) for label, f in zip(labels, per)},
        confusions=[(t, p, n) for (t, p), n in confusions.most_common()],
        errors=errors,
    )


def report(result: Score, examples: Sequence[Example], parses: Sequence[dict]) -> str:
    from sklearn.metrics import classification_report

    y_true = [intent for _, intent, _ in examples]
    y_pred = [predicted_intent(p)[0] for p in parses]
    lines = [
        result.summary(),
        "",
        classification_report(y_true, y_pred, labels=list(CATALOG), digits=3, zero_division=0),
        "confusions (true -> predicted: count):",
    ]
    lines += [f"  {t} -> {p}: {n}" for t, p, n in result.confusions]
    lines += ["", "misclassified (true -> predicted confidence):"]
    lines += [f"  [{t} -> {p} {c:.2f}] {text}" for text, t, p, c in result.errors]
    return "\n".join(lines) + "\n"
