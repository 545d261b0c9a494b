"""Answers to questions about the policy: which specific answer, and what to offer next.

Each policy topic is a retrieval intent (data/nlu/answers.yml): the catalog intent
(``ask_retention``) with the question as its sub-intent (``ask_retention/applications``),
whose answer is the response ``utter_ask_retention/applications`` (domain.yml). The intent
classifier names the topic; the ResponseSelector (config.yml) names the question.
``choose_answer`` decides from that NLU output alone:

* a button payload (``/ask_rights``) or no selector prediction: the topic's overview;
* the selector's best question under the topic the classifier chose;
* the selector's best question under another topic, when it is sure (``CROSS_TOPIC``): a
  question about surveys may be classified ``ask_legal_basis`` or ``ask_purposes``;
* a rights question that names a right («Hva inneholder et registerutdrag?») while the
  selector is unsure (below ``UNSURE``) or gives the overview: that right's answer;
* a question about how a right works that the classifier took for the request
  («hvordan ber jeg om registerutdrag?» is ``request_access``): the right's answer
  (``ask_rights/...``), then the request is offered, never started.

Outside a form the answer is followed by what fits next (``offer_for``): «Vil du vite mer?»
(slot answer_offer = more; «ja» gives ``action_answer_more``), the request the answer is about
(answer_offer = request; «ja» starts it, data/rules/policy.yml), or the request buttons. Inside
a form the answer comes alone: the form asks its own question next.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

# the policy topics that are retrieval intents (each has at least `<topic>/overview`)
TOPICS = (
    "ask_data_collected",
    "ask_purposes",
    "ask_legal_basis",
    "ask_retention",
    "ask_sharing",
    "ask_rights",
    "ask_marketing",
)
# the selector's confidence above which its question is taken under another topic
CROSS_TOPIC = 0.6
# below this (or with the overview), a rights question that names a right in so many words
# gets that right's answer: «Hva inneholder et registerutdrag?» is about access, whatever
# weak guess the selector makes among the other rights' answers
UNSURE = 0.3
# answers about every right alike: a right named with them does not contradict them
# («Hvor lang tid tar det å få innsyn?» is the deadline)
EVERY_RIGHT = frozenset({"ask_rights/deadline", "ask_rights/fee"})
# a question about a request (question = how): the answers that may fit, the first by default
REQUEST_ANSWERS: Dict[str, Tuple[str, ...]] = {
    "request_access": (
        "ask_rights/access_how",
        "ask_rights/access_written",
        "ask_rights/access_id",
        "ask_rights/envelope",
        "ask_rights/by_letter",
        "ask_rights/company",
        "ask_rights/access_contents",
    ),
    "request_erasure": (
        "ask_rights/erasure",
        "ask_rights/erasure_limits",
        "ask_retention/invoices",
    ),
    "request_correction": ("ask_rights/correction",),
    "request_restriction": ("ask_rights/objection_vs_restriction",),
    "request_objection": ("ask_rights/objection_vs_restriction", "ask_marketing/object"),
    "request_portability": ("ask_rights/portability",),
}
# the request an answer is about: offered after it («ja» starts it)
OFFERED_REQUEST = {
    "ask_rights/access_how": "request_access",
    "ask_rights/access_written": "request_access",
    "ask_rights/access_id": "request_access",
    "ask_rights/envelope": "request_access",
    "ask_rights/by_letter": "request_access",
    "ask_rights/company": "request_access",
    "ask_rights/access_contents": "request_access",
    "ask_rights/erasure": "request_erasure",
    "ask_rights/erasure_limits": "request_erasure",
    "ask_retention/former_customers": "request_erasure",
    "ask_rights/correction": "request_correction",
    "ask_rights/portability": "request_portability",
}
# Topics the policy says nothing about have their own honest answer under the topic customers
# file them under («the policy does not say; ask us»). The slot policy_topic (patterns:
# data/nlu/topics.yml, bot/nlp/situations.py; data/rules/topics.yml) names one for certain,
# whatever the intent; the ResponseSelector finds these and the others from their examples.
TOPIC_ANSWERS: Dict[str, str] = {
    "cookies": "ask_data_collected/cookies",
    "storage": "ask_data_collected/storage",
    "chat": "ask_retention/chat",  # what the web chat page states
    "breach": "ask_sharing/breach",
    "sale": "ask_sharing/sale",
    "transfer": "ask_sharing/transfer",
    "processor": "ask_sharing/processor",
    "automated": "ask_purposes/automated",
    "telemarketing": "ask_marketing/telemarketing",
    "dpo": "ask_rights/dpo",
    "unsolicited_code": "ask_rights/unsolicited_code",  # security advice, and no new code
}
# every answer that says the policy is silent (tests/test_policy_answers.py checks the words;
# chat retention and an unsolicited code are answered from what we know, not silent)
SILENT = frozenset(
    {
        "ask_data_collected/cookies",
        "ask_data_collected/storage",
        "ask_data_collected/security",
        "ask_data_collected/national_id",
        "ask_data_collected/consumption",
        "ask_sharing/breach",
        "ask_sharing/sale",
        "ask_sharing/transfer",
        "ask_sharing/processor",
        "ask_purposes/automated",
        "ask_purposes/credit_check",
        "ask_marketing/telemarketing",
        "ask_rights/dpo",
        "ask_rights/deadline",
        "ask_rights/fee",
    }
)
# someone else's data (slot situation): data/rules/topics.yml
SITUATIONS = ("deceased", "contact_person", "company")
# answers after which the customer chooses among requests (buttons, no «ja» to take)
CHOOSE_REQUEST = {
    "ask_rights/overview": "utter_offer_requests",
    "ask_rights/objection_vs_restriction": "utter_offer_request_objection",
}
# answers with nothing more to offer
NO_OFFER = {
    "ask_marketing/object",
    "ask_marketing/channels",
    "ask_marketing/activities",
    "ask_legal_basis/marketing",
    *TOPIC_ANSWERS.values(),
    *SILENT,
}


def topic_of(key: str) -> str:
    return key.split("/", 1)[0]


def ranking_of(parse: Dict[str, Any]) -> List[Tuple[str, float]]:
    """(ask_<topic>/<question>, confidence), best first, from the ResponseSelector."""
    selector = (parse.get("response_selector") or {}).get("default") or {}
    ranking = selector.get("ranking") or []
    found = [
        (r.get("intent_response_key") or "", float(r.get("confidence") or 0.0)) for r in ranking
    ]
    found = [(key, conf) for key, conf in found if "/" in key]
    if not found:
        top = (selector.get("response") or {}).get("intent_response_key")
        if top and "/" in top:
            found = [(top, float(selector["response"].get("confidence") or 0.0))]
    return found


def intent_of(parse: Dict[str, Any], question: Optional[str] = None) -> str:
    """The message's intent; for a question about a right the NLU was unsure of
    (``nlu_fallback``, slot question = how), the classifier's best guess below it."""
    intent = (parse.get("intent") or {}).get("name") or ""
    if intent == "nlu_fallback" and question == "how":
        guesses = [r.get("name") for r in parse.get("intent_ranking") or []]
        guesses = [g for g in guesses if g in TOPICS or g in REQUEST_ANSWERS]
        return guesses[0] if guesses else "ask_rights"
    return intent


def choose_answer(
    parse: Dict[str, Any], question: Optional[str] = None, policy_topic: Optional[str] = None
) -> Optional[str]:
    """The answer (``ask_<topic>/<question>``) for a message's NLU output, or None when the
    message is no question about the policy. ``policy_topic``: the slot, a topic the policy
    is silent on found by its patterns; its answer goes first."""
    if policy_topic in TOPIC_ANSWERS:
        return TOPIC_ANSWERS[policy_topic]
    intent = intent_of(parse, question)
    text = (parse.get("text") or "").strip()
    payload = text.startswith("/")
    ranking = [] if payload else ranking_of(parse)
    if intent in TOPICS:
        key, confidence = _under_topic(intent, ranking)
        right = None if payload else named_right(parse)
        if (
            intent == "ask_rights"
            and right
            and (key == "ask_rights/overview" or confidence < UNSURE)
            and key not in REQUEST_ANSWERS[right]
            and key not in EVERY_RIGHT
        ):
            return _answer_about(right, ranking)
        return key
    if intent in REQUEST_ANSWERS and question == "how":
        return _answer_about(intent, ranking)
    return None


def _under_topic(intent: str, ranking: List[Tuple[str, float]]) -> Tuple[str, float]:
    """(answer, the selector's confidence in it) under the topic the classifier chose."""
    if ranking:
        best, confidence = ranking[0]
        if topic_of(best) == intent or (topic_of(best) in TOPICS and confidence >= CROSS_TOPIC):
            return best, confidence
        under = [(key, conf) for key, conf in ranking if topic_of(key) == intent]
        if under:
            return under[0]
    return f"{intent}/overview", 0.0


def _answer_about(request: str, ranking: List[Tuple[str, float]]) -> str:
    """The answer about the right ``request`` (request_access, ...): the selector's best of
    that right's answers among its first five, or the right's first answer."""
    allowed = REQUEST_ANSWERS[request]
    fitting = [key for key, _ in ranking[:5] if key in allowed]
    return fitting[0] if fitting else allowed[0]


def named_right(parse: Dict[str, Any]) -> Optional[str]:
    """The right a message names in so many words (entity request_kind: «registerutdrag»,
    «sletting»), as its request intent, when there is an answer about it."""
    kinds = [
        e.get("value") for e in parse.get("entities") or [] if e.get("entity") == "request_kind"
    ]
    right = f"request_{kinds[0]}" if kinds else None
    return right if right in REQUEST_ANSWERS else None


def offer_for(key: str, responses: Dict[str, Any]) -> Tuple[Optional[str], str, Optional[str]]:
    """(offer response, answer_offer, offered request) after the answer ``key``."""
    if key in OFFERED_REQUEST:
        request = OFFERED_REQUEST[key]
        return f"utter_offer_{request}", "request", request
    if key in CHOOSE_REQUEST:
        return CHOOSE_REQUEST[key], "none", None
    if key in NO_OFFER:
        return None, "none", None
    if key == "ask_sharing/overview":
        return "utter_offer_suppliers", "more", None
    if more_for(key, responses):
        return "utter_offer_more", "more", None
    return None, "none", None


def request_offer(intent: str, responses: Dict[str, Any]) -> Tuple[str, str, Optional[str]]:
    """(offer, answer_offer, offered request) after a question about the request ``intent``:
    «ja» starts it, or buttons where the customer chooses (objection or restriction)."""
    if f"utter_offer_{intent}" in responses and intent != "request_objection":
        return f"utter_offer_{intent}", "request", intent
    return "utter_offer_request_objection", "none", None


def more_for(key: str, responses: Dict[str, Any]) -> Optional[str]:
    """What «ja, mer» gives after the answer ``key``: the topic's details after its overview
    (``utter_ask_<topic>_more``), the overview after a specific answer."""
    topic = topic_of(key)
    if key.endswith("/overview"):
        more = f"utter_{topic}_more"
        return more if more in responses else None
    if key == "ask_sharing/suppliers":
        return f"utter_{topic}/overview"
    overview = f"utter_{topic}/overview"
    return overview if overview in responses else None


def marketing_stop_asked(parse: Dict[str, Any]) -> List[str]:
    """The channels a marketing question asks to stop (a wish put as a question), or []."""
    from bot.nlp.marketing_scope import asks_to_stop, channels_asked

    text = parse.get("text") or ""
    if not asks_to_stop(text):
        return []
    return channels_asked(text)


def _responses(domain: DomainDict) -> Dict[str, Any]:
    return domain.get("responses") or {}


def _in_form(tracker: Tracker) -> bool:
    return bool((tracker.active_loop or {}).get("name"))


class ActionAnswerQuestion(Action):
    """The specific answer to a policy question, then (outside a form) the offer."""

    def name(self) -> str:
        return "action_answer_question"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        responses = _responses(domain)
        parse = tracker.latest_message or {}
        intent = intent_of(parse, tracker.get_slot("question"))
        situation = None if _in_form(tracker) else tracker.get_slot("situation")
        if situation in SITUATIONS:
            return self.someone_else(dispatcher, situation, intent)
        key = choose_answer(parse, tracker.get_slot("question"), tracker.get_slot("policy_topic"))
        if key is None or f"utter_{key}" not in responses:
            key = f"{intent}/overview" if intent in TOPICS else "ask_rights/overview"
        dispatcher.utter_message(response=f"utter_{key}")
        events: List[EventType] = [SlotSet("answer_key", key)]
        if _in_form(tracker):
            return events + [SlotSet("answer_offer", "none"), SlotSet("offered_request", None)]
        stop = marketing_stop_asked(parse)
        if intent == "ask_marketing" and stop:
            # «Kan dere stoppe reklame på e-post men fortsette å sende brev?»: answered, and
            # the opt-out of exactly those channels starts (the form asks for the address)
            return events + [
                SlotSet("answer_offer", "none"),
                SlotSet("offered_request", None),
                SlotSet("marketing_channel", stop),
                FollowupAction("opt_out_form"),
            ]
        offer, kind, request = offer_for(key, responses)
        if intent in REQUEST_ANSWERS:
            # «hvordan sletter jeg ...?»: the erasure it asked about is offered, not started
            offer, kind, request = request_offer(intent, responses)
        if offer:
            dispatcher.utter_message(response=offer)
        return events + [SlotSet("answer_offer", kind), SlotSet("offered_request", request)]

    @staticmethod
    def someone_else(
        dispatcher: CollectingDispatcher, situation: str, intent: str
    ) -> List[EventType]:
        """Someone else's data: the route that fits, never the asker's own request."""
        if situation == "company":
            # the policy's rule for companies; the request the message named is offered
            request = intent if intent in REQUEST_ANSWERS else "request_access"
            dispatcher.utter_message(response="utter_ask_rights/company")
            dispatcher.utter_message(response=f"utter_offer_{request}")
            key = "ask_rights/company"
        elif situation == "contact_person":
            # a correction of the company's contact person, not an erasure of the company
            request = "request_correction"
            dispatcher.utter_message(response="utter_situation")
            dispatcher.utter_message(response="utter_offer_request_correction")
            key = "situation/contact_person"
        else:
            # a deceased relative: by letter with proof, nothing in this chat
            dispatcher.utter_message(response="utter_situation")
            return [
                SlotSet("answer_key", "situation/deceased"),
                SlotSet("answer_offer", "none"),
                SlotSet("offered_request", None),
            ]
        return [
            SlotSet("answer_key", key),
            SlotSet("answer_offer", "request"),
            SlotSet("offered_request", request),
        ]


class ActionAnswerMore(Action):
    """«ja» to «Vil du vite mer?»: the details of the answer just given."""

    def name(self) -> str:
        return "action_answer_more"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        key = tracker.get_slot("answer_key") or ""
        more = more_for(key, _responses(domain)) if key else None
        dispatcher.utter_message(response=more or "utter_anything_else")
        return []
