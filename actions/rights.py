"""Rights requests: access, correction, erasure, restriction, objection, portability (and
the identity check that ``request_status`` shares).

``rights_form`` identifies the person by e-mail or phone, sends a one-time code to the
contact point the REGISTER holds (never one only the chat supplied), checks it, and asks for
what the request kind needs. What the assistant says never depends on whether the person is
in the register. When the check fails, or the person is unknown, the request is still
written, unverified, and the customer is told the written route.
"""

from __future__ import annotations

import functools
import logging
import re
from typing import Any, Dict, List, Optional, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import (
    RegisterUnavailable,
    RequestFormValidationAction,
    apologise,
    contact_in_message,
    entity_values,
    folded_text,
    input_channel,
    is_interruption,
    kind_text,
    language,
    latest_intent,
    latest_text,
    oslo_date,
    outbox_queued,
    register_call,
    reset_events,
    resumed_after_digression,
    telegram_chat_id,
    trusted_phone,
    wants_to_stop,
)
from actions.status import report_status
from actions.turns import RIGHTS_REQUEST_INTENTS
from bot.policy import COMPANY_CONTACT, COMPANY_CONTACT_EN
from bot.register import corrections, identity
from bot.register.contacts import classify_contact, normalize_email, normalize_phone
from bot.register.verification import LIFETIME

logger = logging.getLogger(__name__)

# request_<kind> -> kind, for the rights form's intents (actions/turns.py holds the groups)
KIND_BY_INTENT = {intent: intent.removeprefix("request_") for intent in RIGHTS_REQUEST_INTENTS}
FIELDS = ("name", "address", "phone", "email", "contact_person")
FIELD_WORDS = [
    ("contact_person", re.compile(r"(kontakt|contact)\s*person", re.I)),
    ("email", re.compile(r"e-?post|e-?mail|mail", re.I)),
    ("phone", re.compile(r"telefon|mobil|tlf|nummer|\bphone|\bnumber", re.I)),
    ("address", re.compile(r"adress", re.I)),
    ("name", re.compile(r"\bna(v|m)n|\bname\b", re.I)),
]
FIELD_TEXT = {
    "name": "navn",
    "address": "adresse",
    "phone": "telefonnummer",
    "email": "e-postadresse",
    "contact_person": "kontaktperson",
}

NO_CODE = re.compile(
    r"^(nei\b.*|ingen( kode)?|fikk (ingen|ikke|ikkje)|har (ikke|ikkje) (fått|fatt)|"
    r"(jeg |eg |æ )?(fikk|fekk|får|har) (ikke|ikkje|ingen)|kom (ingen|ikke)|ikke (fått|mottatt)|"
    # English: the question says «no code»
    r"no( code)?\b|(i )?(didn'?t|did not|haven'?t|have not|never) (get|got|receive)|got no|"
    r"nothing( came| arrived| yet)?\b|(it )?(didn'?t|did not|never) (come|arrive)|not received)",
    re.IGNORECASE,
)
NEW_CODE = re.compile(r"\b(ny|nytt|ny engangs)\s*kode|send (meg )?(en )?(ny|koden)|new code", re.I)
SIX_DIGITS = re.compile(r"(?<![\w+@.])(\d{6})(?![\w@])")
VALUE_AFTER_FIELD = re.compile(
    r"^\s*(?:min|mitt|mi|mine)?\s*(?:er|e|skal være|blir|:|=|-)\s*", re.I
)
LEAD_INS = re.compile(
    r"^(?:(?:jeg heter|eg heiter|æ heite|det er|den er|riktig er|rett er|det skal være)\s+)",
    re.IGNORECASE,
)

YES = re.compile(
    r"^\s*(?:(?:ja|jo|jepp|yes|ok)\b|(?:det\s+)?(?:stemmer|riktig|korrekt)\s*[.!]*\s*$)", re.I
)
NO = re.compile(r"^\s*(nei|nope|feil|det stemmer ikke|stemmer ikke|no)\b", re.I)
CORRECTION_PROBLEMS = {
    "field_name": "utter_correction_value_is_field",
    "address": "utter_invalid_address",
    "phone": "utter_invalid_phone",
    "email": "utter_invalid_email",
    "name": "utter_invalid_name",
}
CONFIRM_UNCLEAR = "__unclear__"

# What an objection or a restriction is about, when the first message names it.
PROCESSING_WORDS = re.compile(
    r"undersøkels|analyse|statistikk|profiler|markedsføring|nyhetsbrev|forbruksdata|"
    r"måledata|målerdata|kredittvurder|kredittsjekk|forskning|automatisk\w* avgjørels",
    re.IGNORECASE,
)
PROCESSING_AFTER_TIL = re.compile(
    r"\btil\s+(?!(?:at|å|meg|deg|dere|oss|det|dette|noe|noen|alt|andre)\b)"
    r"(?!(?:person)?opplysning|data|informasjon|info\b|kunde(?:forhold|nummer)?\b)"
    r"[^\W\d_]{4,}",
    re.IGNORECASE,
)
_CONTACTS = re.compile(r"\S+@\S+|\+?\d[\d \-.]{6,}\d")

# How the identity check ended, in its own slot ``verification`` (domain.yml): "ok" (the
# code answered in this request), "channel" (the channel proved the number), "failed"
# (locked, or the contact point has had its codes for now), "skipped" («ingen kode»); None
# while undecided. Once it is set the form no longer asks for ``otp_code``
# (``ValidateRightsForm.slots_to_ask``), so ``otp_code`` only ever holds what the customer
# typed, and only until it is checked.
VERIFICATION = "verification"
DECIDED = ("ok", "channel", "failed", "skipped")

# Markers that remain, none of which is ever left in a slot:
# - LIMITED is a return value of ``_start_challenge`` (it is never a slot value);
# - OTP_SKIP, OTP_NEW, OTP_INVALID and OTP_RESUMED are what ``extract_otp_code`` reads a
#   message as; ``validate_otp_code`` turns each into ``otp_code`` None (plus ``otp_state``
#   or ``verification``) in the same run of the validation action;
# - FIELD_INVALID and CONFIRM_UNCLEAR likewise pass from ``extract_correction_field`` /
#   ``extract_correction_confirmed`` to their validate_ method, which sets the slot to None.
# They stay because rasa_sdk passes an extraction to validation only as the slot's candidate
# value; tests/dialogue/test_form_state.py fails if one of them is ever left in a slot.
LIMITED = "__limited__"  # the contact point has had its codes for the hour or the day
OTP_SKIP, OTP_NEW, OTP_INVALID = "__skip__", "__new__", "__invalid__"
OTP_RESUMED = "__resumed__"  # back to the code question after a digression: nothing new sent
FIELD_INVALID = "__invalid__"


# A status question writes no ticket: these say so without "I will still take the request"
STATUS_RESPONSES = {
    "utter_code_locked": "utter_code_locked_status",
    "utter_code_limit": "utter_code_limit_status",
    "utter_code_skipped": "utter_code_skipped_status",
}


def for_kind(tracker: Tracker, response: str) -> str:
    if tracker.get_slot("request_kind") == "status":
        return STATUS_RESPONSES.get(response, response)
    return response


def code_message(code: str, lang: str = "nb") -> str:
    """The one-time code, in the language the customer writes in the chat."""
    minutes = int(LIFETIME.total_seconds() // 60)
    if lang == "en":
        return (
            f"Your one-time code from KL Miljøvarme is {code}. It is valid for {minutes} "
            "minutes. Do not share it with anyone. If you did not ask for it, you can ignore "
            "this message."
        )
    return (
        f"Engangskoden din fra KL Miljøvarme er {code}. Den gjelder i {minutes} minutter. "
        "Ikke del den med noen. Har du ikke bedt om den, kan du se bort fra meldingen."
    )


def confirmation_message(
    kind: str, reference: str, due: str, verified: bool, lang: str = "nb"
) -> str:
    what = kind_text(kind, lang)
    if lang == "en":
        contact = COMPANY_CONTACT_EN
        if verified:
            return (
                f"KL Miljøvarme has received your request for {what} (reference {reference}). "
                f"We will answer by {due} at the latest. Questions: {contact}."
            )
        return (
            f"Someone has asked KL Miljøvarme for {what} of your personal data (reference "
            f"{reference}) without confirming their identity. If it was you, send the request "
            "in writing and signed, with a copy of an ID document. If it was not you, contact "
            f"us: {contact}."
        )
    contact = COMPANY_CONTACT
    if verified:
        return (
            f"KL Miljøvarme har mottatt forespørselen din om {what} "
            f"(referanse {reference}). Vi svarer senest {due}. Spørsmål: {contact}."
        )
    return (
        f"Noen har bedt KL Miljøvarme om {what} for opplysningene dine "
        f"(referanse {reference}), uten å bekrefte identiteten. Var det deg, send forespørselen "
        "skriftlig og underskrevet med kopi av ID-dokument. Var det ikke deg, kontakt oss: "
        f"{contact}."
    )


def _registered_contact(customer: Any, identifier: str) -> Optional[Tuple[str, str]]:
    """Where the register says this customer is reached, preferring the identifier's kind."""
    email = normalize_email(getattr(customer, "email", None) or "")
    phone = normalize_phone(getattr(customer, "phone", None) or "")
    prefer_email = "@" in (identifier or "")
    order = (
        [("email", email), ("sms", phone)] if prefer_email else [("sms", phone), ("email", email)]
    )
    return next(((channel, to) for channel, to in order if to), None)


def fields_in_message(tracker: Tracker) -> List[str]:
    found = [v for v in entity_values(tracker, "field") if v in FIELDS]
    if found:
        return found
    text = re.sub(r"\S+@\S+", " ", latest_text(tracker))
    return [field for field, pattern in FIELD_WORDS if pattern.search(text)][:1]


class ActionStartRequest(Action):
    """Starts a rights request: which kind, what the right is, and the channel's proof."""

    def name(self) -> str:
        return "action_start_request"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        intent, _ = latest_intent(tracker)
        if intent not in KIND_BY_INTENT:
            # «ja» to the request an answer offered (actions/answers.py, slot offered_request)
            offered = tracker.get_slot("offered_request")
            intent = offered if offered in KIND_BY_INTENT else "request_access"
        kind = KIND_BY_INTENT[intent]
        in_form = (tracker.active_loop or {}).get("name") == "rights_form"
        if in_form and tracker.get_slot("request_kind") == kind:
            # the same request again in the middle of it («jeg vil ha innsyn» at the code
            # step): it goes on where it was; the code sent stays valid, none is sent again
            return []
        events = reset_events(tracker) + [SlotSet("request_kind", kind)]
        if kind == "status":
            try:
                # a status question again, while the register still backs this conversation's
                # check (VERIFIED_FOR): answered at once, no new code
                proof = await _still_verified(tracker)
            except RegisterUnavailable:
                return events + apologise(dispatcher)
            if proof is not None:
                identifier, method = proof
                return events + [
                    SlotSet("identifier", identifier),
                    SlotSet(VERIFICATION, "channel"),
                    SlotSet("verified", True),
                    SlotSet("verification_method", method),
                ]
        dispatcher.utter_message(response=f"utter_start_{intent}")
        if not trusted_phone(tracker):
            return events  # not a channel that proves a number: no register call needed
        try:
            # the connector recorded its proof in the register; metadata is only the hint
            phone = await register_call(
                identity.channel_proved_customer, tracker.sender_id, input_channel(tracker)
            )
        except RegisterUnavailable:
            return events + apologise(dispatcher)
        if phone:
            # the channel proved possession of a number the register holds: no code needed
            dispatcher.utter_message(response="utter_channel_verified")
            events += [
                SlotSet("identifier", phone),
                SlotSet(VERIFICATION, "channel"),
                SlotSet("verified", True),
                SlotSet("verification_method", f"channel_{input_channel(tracker)}"),
            ]
        return events


def earlier_identifier(tracker: Tracker) -> Optional[str]:
    """The contact point this conversation last identified with (the slot is cleared when a
    request ends; its history is in the conversation's events)."""
    for event in reversed(tracker.events):
        if event.get("event") == "slot" and event.get("name") == "identifier":
            value = event.get("value")
            if isinstance(value, str) and value:
                return value
    return None


async def _still_verified(tracker: Tracker) -> Optional[Tuple[str, str]]:
    """(identifier, method) when the turn's channel itself still proves the contact point
    this conversation last used (an SMS from the number); None otherwise. An earlier
    request's code never verifies a new request."""
    identifier = earlier_identifier(tracker)
    if not identifier:
        return None
    proof = await register_call(
        identity.verified_customer_for,
        tracker.sender_id,
        identifier,
        channel=input_channel(tracker),
    )
    return (identifier, proof.method) if proof is not None else None


def proof_of_this_request(tracker: Tracker) -> Dict[str, Any]:
    """What this request's form decided, for the register to check: the challenge answered
    in this request (``verification`` "ok"), or the channel's proof (``verification``
    "channel"). «ingen kode», a failed or limited check: nothing, so the ticket is
    unverified."""
    decided = tracker.get_slot(VERIFICATION)
    return {
        "challenge_id": tracker.get_slot("challenge_id") if decided == "ok" else None,
        "channel_proof": decided == "channel",
    }


class ValidateRightsForm(RequestFormValidationAction):
    def name(self) -> str:
        return "validate_rights_form"

    def slots_to_ask(self, tracker: Tracker) -> List[str]:
        kind = tracker.get_slot("request_kind")
        slots = ["identifier"]
        if tracker.get_slot(VERIFICATION) is None:
            slots.append("otp_code")  # once the check is decided, the code is not asked

        if kind == "correction":
            slots += ["correction_field", "correction_value", "correction_confirmed"]
        elif kind in ("restriction", "objection"):
            slots += ["request_details"]
        return slots

    # --- identity ------------------------------------------------------------------------

    async def extract_identifier(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        requested = tracker.get_slot("requested_slot")
        if requested not in (None, "identifier", "otp_code") or tracker.get_slot(VERIFICATION):
            return {}
        found = contact_in_message(tracker)
        if found:
            if found[1] == tracker.get_slot("identifier"):
                return {}  # the same again: nothing changes
            return {"identifier": found[1]}
        if requested == "identifier" and wants_to_stop(tracker):
            return {}  # «nei, glem det»: not an answer; the form steps aside for the cancel
        text = latest_text(tracker)
        if requested == "identifier" and (
            not is_interruption(tracker) or NEW_CODE.search(text) or NO_CODE.search(text)
        ):
            return {"identifier": text[:200]}  # not valid: say so and ask again
        return {}

    async def validate_identifier(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        if value is None:
            return {"identifier": None}  # cleared, not typed
        if tracker.get_slot(VERIFICATION):
            return {"identifier": value}  # decided already (the channel proved it): no code
        result: Dict[str, Any] = {}
        numbers = entity_values(tracker, "customer_number")
        if numbers:
            result["customer_number"] = numbers[0]
        found = classify_contact(str(value or ""))
        if not found:
            need = "utter_identifier_need_contact" if numbers else "utter_invalid_identifier"
            dispatcher.utter_message(response=need)
            result["identifier"] = None
            return result
        identifier = found[1]
        previous = tracker.get_slot("challenge_id")
        started = await self._start_challenge(dispatcher, tracker, identifier)
        if started is None:
            return {**result, "identifier": identifier, "register_error": True}
        if started == LIMITED:
            dispatcher.utter_message(response=for_kind(tracker, "utter_code_limit"))
            return {**result, "identifier": identifier, VERIFICATION: "failed", "verified": False}
        if previous and started == previous:
            # within a minute of the last code (a corrected e-mail, a second request) the
            # register returns the last challenge: ask again a bit later rather than check a
            # code against the wrong challenge
            dispatcher.utter_message(response="utter_identifier_wait")
            return {**result, "identifier": None, "otp_state": None}
        return {
            **result,
            "identifier": identifier,
            "challenge_id": started,
            "otp_code": None,
            "otp_state": None,
            "verified": False,
        }

    async def _start_challenge(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, identifier: str
    ) -> Optional[str]:
        """Start (or, within a minute, reuse) a check; the register queues the code.

        Returns the challenge id, ``LIMITED`` when the contact point has had its codes for
        now, or None after apologising when the register is down.
        """
        try:
            started = await register_call(
                identity.start_check,
                tracker.sender_id,
                identifier,
                message=functools.partial(code_message, lang=language(tracker)),
            )
        except RegisterUnavailable:
            apologise(dispatcher)
            return None
        if started.state == "limited":
            return LIMITED
        outbox_queued()  # only ever to the contact point the register holds
        return started.challenge_id

    async def extract_otp_code(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        if tracker.get_slot("requested_slot") != "otp_code":
            return {}
        if resumed_after_digression(tracker):
            # the question is asked again after an answer to something else: it must not say
            # that a code was just sent (an expired code stays expired)
            return {} if tracker.get_slot("otp_state") == "expired" else {"otp_code": OTP_RESUMED}
        text = latest_text(tracker)
        intent, _ = latest_intent(tracker)
        digits = re.sub(r"[\s\-.]", "", text)
        codes = entity_values(tracker, "otp_code") or SIX_DIGITS.findall(text)
        if re.fullmatch(r"\d{6}", digits):
            codes = [digits]
        if codes:
            return {"otp_code": codes[0]}
        if contact_in_message(tracker):
            return {}  # a corrected e-mail or phone number: extract_identifier takes it
        if NEW_CODE.search(text):
            return {"otp_code": OTP_NEW}
        if wants_to_stop(tracker, ("cancel",)):
            return {}  # «nei, glem det»: the cancel rule ends the request
        if NO_CODE.search(text) or intent == "deny":
            return {"otp_code": OTP_SKIP}  # the NLU often reads "ingen kode" as cancel
        if is_interruption(tracker):
            return {}
        return {"otp_code": OTP_INVALID}

    async def validate_otp_code(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        if value is None:
            return {"otp_code": None}  # cleared, not typed
        if value == OTP_RESUMED:
            return {"otp_code": None, "otp_state": "resumed"}
        if value == OTP_SKIP:
            dispatcher.utter_message(response=for_kind(tracker, "utter_code_skipped"))
            return {"otp_code": None, VERIFICATION: "skipped", "verified": False, "otp_state": None}
        if value == OTP_INVALID or not value:
            return {"otp_code": None, "otp_state": "invalid"}
        identifier = tracker.get_slot("identifier")
        if value == OTP_NEW:
            previous = tracker.get_slot("challenge_id")
            started = await self._start_challenge(dispatcher, tracker, identifier)
            if started is None:
                return {"otp_code": None, "register_error": True}
            if started == LIMITED:
                dispatcher.utter_message(response=for_kind(tracker, "utter_code_limit"))
                return {
                    "otp_code": None,
                    VERIFICATION: "failed",
                    "verified": False,
                    "otp_state": None,
                }
            state = "wait" if started == previous else "resent"
            return {"otp_code": None, "otp_state": state, "challenge_id": started}
        return await self._check(str(value), dispatcher, tracker)

    async def _check(
        self, code: str, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> Dict[str, Any]:
        challenge_id = tracker.get_slot("challenge_id")
        if not challenge_id:
            return {"otp_code": None, "otp_state": "expired"}

        try:
            checked = await register_call(
                identity.check_code, tracker.sender_id, challenge_id, code
            )
            status, attempts_left = checked.status, checked.attempts_left
        except RegisterUnavailable:
            apologise(dispatcher)
            return {"otp_code": None, "register_error": True}
        if status == "ok":
            dispatcher.utter_message(response="utter_code_ok")
            identifier = tracker.get_slot("identifier") or ""
            method = "otp_email" if "@" in identifier else "otp_sms"
            return {
                "otp_code": None,
                VERIFICATION: "ok",
                "verified": True,
                "verification_method": method,
                "otp_state": None,
            }
        if status == "wrong" and attempts_left:
            return {"otp_code": None, "otp_state": "wrong", "otp_attempts_left": str(attempts_left)}
        if status in ("wrong", "locked"):
            dispatcher.utter_message(response=for_kind(tracker, "utter_code_locked"))
            return {"otp_code": None, VERIFICATION: "failed", "verified": False, "otp_state": None}
        return {"otp_code": None, "otp_state": "expired"}  # expired, unknown

    # --- what the request is about -------------------------------------------------------

    async def extract_correction_field(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        requested = tracker.get_slot("requested_slot")
        if requested not in (None, "correction_field", "correction_value", "correction_confirmed"):
            return {}
        if requested is None and latest_intent(tracker)[0] != "request_correction":
            return {}
        fields = fields_in_message(tracker)
        current = tracker.get_slot("correction_field")
        if fields:
            if requested in ("correction_value", "correction_confirmed") and (
                fields[0] == current or _value_after_field(tracker)
            ):
                return {}  # "ny adresse er ...": the value, not a new field
            return {"correction_field": fields[0]}
        if requested == "correction_field" and not is_interruption(tracker):
            return {"correction_field": FIELD_INVALID}
        return {}

    async def validate_correction_field(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        if value is None:
            return {"correction_field": None}  # cleared, not typed
        if value not in FIELDS:
            dispatcher.utter_message(response="utter_invalid_field")
            return {"correction_field": None}
        return {"correction_field": value, "correction_value": None, "correction_confirmed": None}

    async def extract_correction_value(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        if tracker.get_slot("requested_slot") != "correction_value":
            return {}
        field = tracker.get_slot("correction_field")
        if field == "email":
            found = entity_values(tracker, "email")
            if found:
                return {"correction_value": found[0]}
        if field == "phone":
            found = entity_values(tracker, "phone_number")
            if found:
                return {"correction_value": found[0]}
        if is_interruption(tracker, free_text=True):
            return {}
        fields = fields_in_message(tracker)
        value = latest_text(tracker)
        if fields and fields[0] != field:
            after = _value_after_field(tracker)
            if not after:
                return {}  # "nei, det er navnet": a new field (extract_correction_field)
            value = after
        elif fields:
            value = _value_after_field(tracker) or value
        return {"correction_value": LEAD_INS.sub("", value)[:200]}

    async def validate_correction_value(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        if value is None:
            return {"correction_value": None}  # cleared, not typed
        field = tracker.get_slot("correction_field")
        checked, problem = corrections.check(field or "", str(value or ""))
        if problem:
            dispatcher.utter_message(response=CORRECTION_PROBLEMS[problem])
            return {"correction_value": None, "correction_confirmed": None}
        return {"correction_value": checked, "correction_confirmed": None}

    async def extract_correction_confirmed(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """The answer to "Stemmer dette: ...?": yes, no (asked again), or unclear (say so)."""
        if tracker.get_slot("requested_slot") != "correction_confirmed":
            return {}
        intent, _ = latest_intent(tracker)
        text = latest_text(tracker)
        if intent == "affirm" or YES.match(text):
            return {"correction_confirmed": "yes"}
        if intent == "deny" or NO.match(text):
            return {"correction_confirmed": "no"}
        if is_interruption(tracker, free_text=True) or fields_in_message(tracker):
            return {}
        return {"correction_confirmed": CONFIRM_UNCLEAR}

    async def validate_correction_confirmed(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        if value is None:
            return {"correction_confirmed": None}  # cleared, not typed
        if value == "yes":
            return {"correction_confirmed": "yes"}
        if value == "no":
            return {"correction_confirmed": None, "correction_value": None}  # ask again
        dispatcher.utter_message(response="utter_correction_confirm_unclear")
        return {"correction_confirmed": None}

    async def extract_request_details(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        requested = tracker.get_slot("requested_slot")
        if requested is None:
            # the first message: "jeg protesterer mot at dere bruker dataene mine til
            # kundeundersøkelser" already says what; it is not asked again
            intent, _ = latest_intent(tracker)
            kind = tracker.get_slot("request_kind")
            text = latest_text(tracker)
            if KIND_BY_INTENT.get(intent or "") == kind and names_processing(text):
                return {"request_details": text[:1000]}
            return {}
        if requested != "request_details":
            return {}
        if is_interruption(tracker, free_text=True):
            return {}
        return {"request_details": latest_text(tracker)[:1000]}

    async def validate_request_details(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        if value is None:
            return {"request_details": None}  # cleared, not typed
        text = folded_text(value)
        if text is None:
            dispatcher.utter_message(response="utter_invalid_details")
        return {"request_details": text}


def names_processing(text: str) -> bool:
    """Does a request's first message name the processing objected to or to be restricted
    ("... til kundeundersøkelser", "begrens bruken til statistikk"), not just the right?"""
    text = _CONTACTS.sub(" ", text)
    return bool(PROCESSING_WORDS.search(text) or PROCESSING_AFTER_TIL.search(text))


def _value_after_field(tracker: Tracker) -> str:
    """The text after a field word and "er"/":" ("ny adresse er Storgata 5" -> "Storgata 5")."""
    text = latest_text(tracker)
    spans = [
        e
        for e in tracker.latest_message.get("entities") or []
        if e.get("entity") == "field" and isinstance(e.get("end"), int)
    ]
    if spans:
        rest = text[max(e["end"] for e in spans) :]
    else:
        match = next((p.search(text) for _, p in FIELD_WORDS if p.search(text)), None)
        if not match:
            return ""
        rest = re.sub(r"^\w*", "", text[match.end() :])
    separated = VALUE_AFTER_FIELD.match(rest)
    if not separated:
        return ""
    return rest[separated.end() :].strip()


class ActionSubmitRightsRequest(Action):
    """Writes the ticket (verified or not), confirms, and says what happens next."""

    def name(self) -> str:
        return "action_submit_rights_request"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        if tracker.get_slot("register_error"):
            return []
        kind = tracker.get_slot("request_kind") or "access"
        if kind == "status":
            return await report_status(dispatcher, tracker)
        identifier = tracker.get_slot("identifier")

        lang = language(tracker)

        def confirmation(reference: str, due_at: Any, verified: bool) -> str:
            return confirmation_message(kind, reference, oslo_date(due_at), verified, lang)

        try:
            # the register decides whether this conversation verified the person: not a slot
            submitted = await register_call(
                identity.submit_rights_request,
                conversation_id=tracker.sender_id,
                kind=kind,
                channel=input_channel(tracker),
                identifier=identifier,
                details=request_details(kind, tracker),
                unverified_details={
                    # how the person can be reached about an unverified ticket: as typed
                    "contact_given": identifier,
                    "verification": tracker.get_slot(VERIFICATION) or "none",
                },
                confirmation=confirmation,
                prefer=_registered_contact,
                proven_phone=trusted_phone(tracker),
                telegram_chat=telegram_chat_id(tracker),
                **proof_of_this_request(tracker),
                language=lang,
            )
        except RegisterUnavailable:
            return apologise(dispatcher)
        outbox_queued()
        reference, verified, due = (
            submitted.reference,
            submitted.verified,
            oslo_date(submitted.due_at),
        )
        logger.info(
            "Request %s (kind=%s, verified=%s, attempts=%d)",
            "attached" if submitted.merged else "written",
            kind,
            verified,
            submitted.attempts,
        )
        if submitted.merged:
            # the same request again: one ticket, the customer gets its reference
            dispatcher.utter_message(
                response="utter_request_already_open",
                kind=kind_text(kind, lang),
                reference=reference,
                due_date=due,
            )
        if kind == "erasure":
            dispatcher.utter_message(response="utter_erasure_limits")
        if kind == "portability":
            dispatcher.utter_message(response="utter_portability_format")
        if submitted.merged:
            return []
        response = (
            "utter_request_registered_verified"
            if verified
            else "utter_request_registered_unverified"
        )
        dispatcher.utter_message(
            response=response, kind=kind_text(kind, lang), reference=reference, due_date=due
        )
        return []


def request_details(kind: str, tracker: Tracker) -> Dict[str, Any]:
    """What staff need to handle the ticket (never the one-time code)."""
    details: Dict[str, Any] = {}
    if kind == "correction":
        details["field"] = tracker.get_slot("correction_field")
        details["new_value"] = tracker.get_slot("correction_value")
    if kind in ("restriction", "objection"):
        details["request_details"] = tracker.get_slot("request_details")
    if tracker.get_slot("customer_number"):
        details["customer_number_given"] = tracker.get_slot("customer_number")
    return details


class ActionResetRequest(Action):
    def name(self) -> str:
        return "action_reset_request"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        return reset_events(tracker)
