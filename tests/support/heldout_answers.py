"""Scoring the bot's replies on the answers held-out sets (``tests/nlu/heldout_answers.yml``
the fresh, second one ``tests/nlu/heldout_answers_fresh.yml`` and the third
``tests/nlu/heldout_answers_third.yml``; ``ANSWER_SETS``).

The intent sets (``bot.nlp.heldout``) ask whether a message is understood; this set asks
whether the *reply* carries the policy's facts. Each item is one customer message, sent as
the first turn of a fresh conversation; the bot's messages for that turn are joined,
lower-cased and whitespace-collapsed, then:

* ``facts``: groups of alternative substrings; the reply has the right facts when one
  alternative of every group is in it (covered, silent and advice items);
* ``forbid``: substrings that would be unfaithful to the policy (a wrong period, a promise
  the policy does not make);
* ``form``: ``false`` for questions (no form may start: a question is not a request),
  ``true`` for real requests (a form should start); ``offer`` names the one form a question
  may start because SPEC.md tells the assistant to offer it (ask_complaint: "offers to write
  the complaint as a ticket").

Three numbers summarise a run (``Summary``): the share answered with the right facts, the
share of questions for which a form started, and the share of questions with an unfaithful
reply; plus the share of requests for which a form started, and the share of replies in the
wrong language (an English message answered in Norwegian or the other way round, by
``bot.nlp.extractors.detect_language``: SPEC.md, "a question written in English is answered
in English").
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import yaml

from bot.nlp.extractors import detect_language

ROOT = Path(__file__).resolve().parents[2]
ANSWER_SET = ROOT / "tests" / "nlu" / "heldout_answers.yml"
# The second set (GitHub issue #18, item 7): written later, by someone who had not seen the
# first set's items nor the bot's answers, and never used to tune anything.
FRESH_ANSWER_SET = ROOT / "tests" / "nlu" / "heldout_answers_fresh.yml"
# The third set (2026-12-06): written blind like the second, after the second had been read
# by topic (its per-topic failure counts): it measures what the second no longer can.
THIRD_ANSWER_SET = ROOT / "tests" / "nlu" / "heldout_answers_third.yml"
ANSWER_SETS = {"answers": ANSWER_SET, "fresh": FRESH_ANSWER_SET, "third": THIRD_ANSWER_SET}
KINDS = ("covered", "silent", "request", "advice")
ANSWERED_KINDS = ("covered", "silent", "advice")


@dataclass(frozen=True)
class Item:
    text: str
    who: str
    topic: str
    kind: str
    form: bool
    facts: List[List[str]] = field(default_factory=list)
    forbid: List[str] = field(default_factory=list)
    offer: Optional[str] = None  # the form SPEC.md says to offer after this question


@dataclass(frozen=True)
class AnswerSet:
    items: List[Item]
    glossary: Dict[str, str]


def load_answer_set(path: Path = ANSWER_SET) -> AnswerSet:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    items = [
        Item(
            text=raw["text"],
            who=raw["who"],
            topic=raw["topic"],
            kind=raw["kind"],
            form=raw["form"],
            facts=[list(group) for group in raw.get("facts") or []],
            forbid=list(raw.get("forbid") or []),
            offer=raw.get("offer"),
        )
        for raw in data["items"]
    ]
    return AnswerSet(items=items, glossary=dict(data.get("glossary") or {}))


def reply_text(messages: Sequence[Dict[str, Any]]) -> str:
    """The bot's messages of one turn as one lower-case string (buttons' titles included)."""
    parts: List[str] = []
    for message in messages:
        parts.append(str(message.get("text") or ""))
        parts += [str(b.get("title") or "") for b in message.get("buttons") or []]
    return " ".join(" ".join(parts).lower().split())


def missing_groups(item: Item, reply: str) -> List[List[str]]:
    """The fact groups none of whose alternatives is in the reply."""
    return [group for group in item.facts if not any(alt in reply for alt in group)]


def forbidden_found(item: Item, reply: str) -> List[str]:
    return [phrase for phrase in item.forbid if phrase in reply]


@dataclass
class Outcome:
    """What happened on one item's turn."""

    item: Item
    reply: str
    form_started: Optional[str]  # the form's name, or None
    missing: List[List[str]]
    forbidden: List[str]

    @property
    def answered(self) -> bool:
        return self.item.kind in ANSWERED_KINDS and not self.missing

    @property
    def wrong_language(self) -> bool:
        """English asked and Norwegian answered, or Norwegian asked and English answered."""
        asked_english = detect_language(self.item.text) == "en"
        return bool(self.reply) and asked_english != (detect_language(self.reply) == "en")

    @property
    def form_on_question(self) -> bool:
        """A form started for a question (other than the one the spec says to offer)."""
        return (
            not self.item.form
            and bool(self.form_started)
            and (self.form_started != self.item.offer)
        )

    @property
    def failures(self) -> List[str]:
        """Why the item fails, in words (empty when it passes)."""
        reasons = []
        if self.item.kind in ANSWERED_KINDS and self.missing:
            reasons.append("facts")
        if self.form_on_question:
            reasons.append("form")
        if self.item.form and not self.form_started:
            reasons.append("no form")
        if self.forbidden:
            reasons.append("unfaithful")
        if self.wrong_language:
            reasons.append("language")
        return reasons

    def as_json(self) -> Dict[str, Any]:
        return {
            "text": self.item.text,
            "topic": self.item.topic,
            "kind": self.item.kind,
            "reply": self.reply,
            "form_started": self.form_started,
            "missing": self.missing,
            "forbidden": self.forbidden,
            "failures": self.failures,
        }


def outcome(item: Item, messages: Sequence[Dict[str, Any]], form: Optional[str]) -> Outcome:
    reply = reply_text(messages)
    return Outcome(item, reply, form, missing_groups(item, reply), forbidden_found(item, reply))


def _share(hits: int, total: int) -> float:
    return hits / total if total else 0.0


@dataclass
class Summary:
    n: int
    answered: float  # covered + silent + advice with every fact group matched
    form_on_question: float  # questions (form: false) for which a form started
    unfaithful: float  # questions whose reply has a forbidden substring
    form_on_request: float  # requests (form: true) for which a form started
    wrong_language: float  # replies not in the language of the message
    per_kind: Dict[str, float]
    topic_failures: Dict[str, Dict[str, int]]

    def as_json(self) -> Dict[str, Any]:
        return {
            "n": self.n,
            "answered_with_facts": round(self.answered, 4),
            "form_started_on_question": round(self.form_on_question, 4),
            "unfaithful": round(self.unfaithful, 4),
            "form_started_on_request": round(self.form_on_request, 4),
            "wrong_language": round(self.wrong_language, 4),
            "answered_by_kind": {k: round(v, 4) for k, v in self.per_kind.items()},
            "topic_failures": self.topic_failures,
        }

    def table(self, title: str = "answers held-out set") -> str:
        rows = [
            ("answered with the right facts", self.answered),
            ("form started on a question", self.form_on_question),
            ("unfaithful reply (forbidden phrase)", self.unfaithful),
            ("form started on a request", self.form_on_request),
            ("reply in the wrong language", self.wrong_language),
        ]
        rows += [(f"  answered: {kind}", share) for kind, share in self.per_kind.items()]
        lines = [f"{title}: {self.n} messages"]
        lines += [f"  {label:<40} {share:6.1%}" for label, share in rows]
        lines += ["failures per topic:"]
        for topic, counts in sorted(self.topic_failures.items()):
            what = ", ".join(f"{reason} {n}" for reason, n in sorted(counts.items()))
            lines.append(f"  {topic}: {what}")
        return "\n".join(lines)


def summarise(outcomes: Sequence[Outcome]) -> Summary:
    answerable = [o for o in outcomes if o.item.kind in ANSWERED_KINDS]
    questions = [o for o in outcomes if not o.item.form]
    requests = [o for o in outcomes if o.item.form]
    per_kind = {}
    for kind in ANSWERED_KINDS:
        of_kind = [o for o in answerable if o.item.kind == kind]
        per_kind[kind] = _share(sum(o.answered for o in of_kind), len(of_kind))
    topics: Dict[str, Dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for o in outcomes:
        for reason in o.failures:
            topics[o.item.topic][reason] += 1
    return Summary(
        n=len(outcomes),
        answered=_share(sum(o.answered for o in answerable), len(answerable)),
        form_on_question=_share(sum(o.form_on_question for o in questions), len(questions)),
        unfaithful=_share(sum(bool(o.forbidden) for o in questions), len(questions)),
        form_on_request=_share(sum(bool(o.form_started) for o in requests), len(requests)),
        wrong_language=_share(sum(o.wrong_language for o in outcomes), len(outcomes)),
        per_kind=per_kind,
        topic_failures={t: dict(c) for t, c in topics.items()},
    )


# A set's gates: the bound (``min_``/``max_``) on each of ``Summary``'s five shares.
GATE_KEYS = (
    "min_answered",
    "max_form_on_question",
    "max_unfaithful",
    "min_form_on_request",
    "max_wrong_language",
)


def gate_failures(summary: Summary, gates: Dict[str, float]) -> List[str]:
    """The gates the summary misses, in words (empty when it holds them all)."""
    if set(gates) != set(GATE_KEYS):
        raise ValueError(f"gates must be exactly {GATE_KEYS}, got {sorted(gates)}")
    failures = []
    for key in GATE_KEYS:
        bound, share = key.split("_", 1)
        value, limit = getattr(summary, share), gates[key]
        if (bound == "min" and value < limit) or (bound == "max" and value > limit):
            relation = "<" if bound == "min" else ">"
            failures.append(f"{share} {value:.1%} {relation} {limit:.1%}")
    return failures
