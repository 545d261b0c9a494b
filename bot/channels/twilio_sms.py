"""SMS through Twilio: ``POST /webhooks/twilio_sms/webhook``, replies as TwiML.

Per request, in this order:
1. the channel is off (no ``TWILIO_AUTH_TOKEN``): 404 "channel not configured";
2. ``X-Twilio-Signature`` must match ``KLBOT_PUBLIC_URL`` + path (+ query) and the form
   parameters under ``TWILIO_AUTH_TOKEN`` (Twilio's ``RequestValidator``): 403 otherwise;
3. each ``MessageSid`` acts once (``inbound.first_time_seen``, in the register, so it holds
   across restarts and instances); a retry gets an empty ``<Response/>``;
4. keywords are handled here, before the NLU, whatever the case and punctuation:
   STOPP & co. suppress SMS marketing to the sender at once (committed in the same
   transaction as the MessageSid, before the reply is built); START asks for an explicit
   "JA"; HJELP says what this number is;
5. anything else goes to Rasa with ``{"channel": "twilio_sms", "verified_phone": sender}``;
   buttons become a numbered list, and a reply with just that number picks the button.

The pending "Svar JA" question and the numbered buttons live in the conversation's tracker
(the channel records its own replies there as ``BotUttered`` events with metadata), so they
also hold across restarts and instances. Register and tracker work runs off the event loop
or through Rasa's async stores. Whatever fails, the customer gets a TwiML apology with
contact details, never a 5xx.
"""

from __future__ import annotations

import logging
import re
import time
import unicodedata
from typing import Any, Awaitable, Callable, Dict, List, Optional

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.shared.core.events import BotUttered, UserUttered
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from bot.channels.guard import guarded
from bot.channels.rate_limit import get_limiter
from bot.channels.support import OffSwitch, conversation_id, run_sync, split_text
from bot.config import Settings, load_settings
from bot.nlp.extractors import detect_language
from bot.policy import COMPANY_CONTACT, COMPANY_CONTACT_EN
from bot.register import identity, inbound, suppressions
from bot.register.contacts import normalize_phone
from bot.register.db import session_scope

logger = logging.getLogger(__name__)

SMS_LIMIT = 320  # characters per <Message>
MAX_MESSAGES = 4  # per reply; a longer answer is shortened with a pointer to the web
PENDING_OPT_IN_SECONDS = 30 * 60
META_KEY = "klbot_sms"  # metadata key on BotUttered events this channel records itself

OPT_OUT_WORDS = {
    "stopp",
    "stop",
    "avmeld",
    "avslutt",
    "slutt",
    "stopall",
    "unsubscribe",
    "cancel",
    "end",
    "quit",
    "optout",
    "revoke",
}
START_WORDS = {"start", "unstop"}
HELP_WORDS = {"hjelp", "help", "info"}
YES_WORDS = {"ja", "ja takk", "jatakk", "jepp", "yes"}
NO_WORDS = {"nei", "nei takk", "neitakk", "no"}


def keyword_of(text: str) -> str:
    """The message folded for keyword matching: lower case, no punctuation or extra spaces."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = re.sub(r"[^\w\s]", " ", folded)
    return " ".join(folded.split())


def classify(text: str) -> Optional[str]:
    word = keyword_of(text)
    compact = word.replace(" ", "")
    if word in OPT_OUT_WORDS or compact in OPT_OUT_WORDS:
        return "opt_out"
    if word in START_WORDS:
        return "start"
    if word in HELP_WORDS:
        return "help"
    if word in YES_WORDS:
        return "yes"
    if word in NO_WORDS:
        return "no"
    return None


# keywords only an English writer sends: the reply to them is English
ENGLISH_WORDS = {
    "stop", "stopall", "unsubscribe", "cancel", "end", "quit", "optout", "revoke", "help",
    "yes", "no",
}  # fmt: skip


def language_of_keyword(text: str) -> str:
    word = keyword_of(text)
    return "en" if word in ENGLISH_WORDS or word.replace(" ", "") in ENGLISH_WORDS else "nb"


def texts_en(settings: Settings) -> Dict[str, str]:
    contact = COMPANY_CONTACT_EN
    return {
        "opt_out": (
            "You will no longer get marketing by SMS from KL Miljøvarme at this number. "
            "To get offers by SMS again later, send START."
        ),
        "opt_in": (
            "Thank you, you will get offers by SMS from KL Miljøvarme again. Send STOP at any "
            "time to opt out."
        ),
        "opt_in_declined": ("All right, you still get no marketing by SMS from KL Miljøvarme."),
        "help": (
            "This is KL Miljøvarme's privacy assistant. Ask how we process your personal "
            f"data, or send STOP to get no marketing by SMS. Contact us: {contact}."
        ),
        "apology": (
            "Sorry, something went wrong on our side, and your message may not have been "
            f"registered. Please try again later, or contact KL Miljøvarme: {contact}."
        ),
    }


def texts(settings: Settings) -> Dict[str, str]:
    contact = COMPANY_CONTACT
    return {
        "opt_out": (
            "Du er nå reservert mot markedsføring på SMS fra KL Miljøvarme til dette nummeret. "
            "Vil du ha tilbud på SMS igjen senere, send START."
        ),
        "start": (
            "Vil du få tilbud og markedsføring på SMS fra KL Miljøvarme igjen? Svar JA for å "
            "bekrefte. Du kan reservere deg igjen når som helst med STOPP."
        ),
        "opt_in": (
            "Takk, du får nå tilbud på SMS fra KL Miljøvarme igjen. Send STOPP når som helst "
            "for å reservere deg."
        ),
        "opt_in_declined": (
            "Greit, du er fortsatt reservert mot markedsføring på SMS fra KL Miljøvarme."
        ),
        "help": (
            "Dette er personvernassistenten til KL Miljøvarme. Spør om hvordan vi behandler "
            "personopplysningene dine, eller send STOPP for å slippe reklame på SMS. "
            f"Kontakt oss: {contact}."
        ),
        "apology": (
            "Beklager, noe gikk galt hos oss, og meldingen din ble kanskje ikke registrert. "
            f"Prøv igjen senere, eller kontakt KL Miljøvarme på {contact}."
        ),
        "too_long": (
            "Svaret er for langt for SMS. Les personvernerklæringen på {url} eller spør om "
            "noe mer konkret."
        ),
    }


def twiml(messages: List[str]) -> HTTPResponse:
    reply = MessagingResponse()
    for message in messages:
        reply.message(message)
    return response.text(str(reply), content_type="text/xml; charset=utf-8")


def render_for_sms(collected: List[Dict[str, Any]], too_long: str) -> List[str]:
    """The bot's messages as SMS texts: buttons as a numbered list, long text split, and
    the turn's short messages joined into one SMS where they fit (an answer and its «Vil du
    vite mer?» arrive together, in order)."""
    number = 0
    parts: List[str] = []
    for message in collected:
        lines = [message.get("text") or ""]
        if message.get("image"):
            lines.append(str(message["image"]))
        for button in message.get("buttons") or []:
            number += 1
            lines.append(f"{number}) {button.get('title', '')}")
        body = "\n".join(line for line in lines if line).strip()
        if body:
            parts.extend(split_text(body, SMS_LIMIT))
    if number:
        parts.extend(split_text("Svar med tallet for det du vil velge.", SMS_LIMIT))
    parts = _join_short(parts)
    if len(parts) > MAX_MESSAGES:
        parts = parts[: MAX_MESSAGES - 1] + [too_long]
    return parts


def _join_short(parts: List[str]) -> List[str]:
    joined: List[str] = []
    for part in parts:
        if joined and len(joined[-1]) + 1 + len(part) <= SMS_LIMIT:
            joined[-1] = f"{joined[-1]}\n{part}"
        else:
            joined.append(part)
    return joined


def offered_buttons(events: List[Any]) -> List[Dict[str, Any]]:
    """The buttons of the bot's last turn (empty when the channel answered last itself)."""
    turn: List[List[Dict[str, Any]]] = []
    for event in reversed(events):
        if isinstance(event, UserUttered):
            break
        if isinstance(event, BotUttered):
            if (event.metadata or {}).get(META_KEY):
                break
            turn.append(list((event.data or {}).get("buttons") or []))
    return [button for buttons in reversed(turn) for button in buttons]


def pending_opt_in(events: List[Any], now: float) -> bool:
    """True when the channel's last reply was the START question, and recently."""
    for event in reversed(events):
        if isinstance(event, BotUttered):
            marker = (event.metadata or {}).get(META_KEY)
            return marker == "start" and now - event.timestamp < PENDING_OPT_IN_SECONDS
    return False


class TwilioSmsInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "twilio_sms"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
        return cls(load_settings())

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.switch = OffSwitch(
            "twilio_sms", [] if settings.twilio_auth_token else ["TWILIO_AUTH_TOKEN"]
        )
        self.validator = (
            RequestValidator(settings.twilio_auth_token) if settings.twilio_auth_token else None
        )
        self.texts = texts(settings)
        self.texts_en = texts_en(settings)
        self.too_long = self.texts["too_long"].format(
            url=f"{settings.public_url}/webhooks/webchat/personvern"
        )

    def text(self, key: str, body: str) -> str:
        """The channel's own text, in English when the sender wrote English."""
        english = language_of_keyword(body) == "en" or detect_language(body or "") == "en"
        return self.texts_en.get(key, self.texts[key]) if english else self.texts[key]

    # --- request checks -------------------------------------------------------------------

    def signed_url(self, request: Request) -> str:
        url = self.settings.public_url + request.path
        if request.query_string:
            url += "?" + request.query_string
        return url

    def signature_ok(self, request: Request) -> bool:
        signature = request.headers.get("X-Twilio-Signature")
        if not signature or self.validator is None:
            return False
        try:
            params = request.form
        except Exception:  # noqa: BLE001 - an unparsable body is simply not signed
            return False
        return self.validator.validate(self.signed_url(request), params, signature)

    # --- register work (runs in a worker thread) ------------------------------------------

    @staticmethod
    def _first_time(message_sid: str, conversation: str = "", phone: str = "") -> bool:
        """First time this MessageSid is seen? If so, and ``phone`` is the (valid) sender,
        record in the register that this conversation proved it (same transaction): the
        actions ask the register, not the message's metadata, who is verified."""
        with session_scope() as s:
            first = inbound.first_time_seen(s, "twilio_sms", message_sid)
            number = normalize_phone(phone) if phone else None
            if first and conversation and number:
                identity.record_channel_proof_in(s, conversation, "twilio_sms", number)
            return first

    @staticmethod
    def _opt_out_once(message_sid: str, phone: str) -> Optional[str]:
        """Suppress SMS marketing to ``phone`` unless this MessageSid was seen; one commit."""
        with session_scope() as s:
            if not inbound.first_time_seen(s, "twilio_sms", message_sid):
                return None
            request = suppressions.opt_out(
                s,
                channels=["sms"],
                address=phone,
                source_channel="twilio_sms",
                verified_phone=phone,
            )
            return getattr(request, "reference", None) or "done"

    @staticmethod
    def _opt_in(phone: str) -> bool:
        with session_scope() as s:
            return suppressions.opt_in(s, channel="sms", address=phone, actor="twilio_sms")

    # --- tracker (the channel's own replies; pending question; offered buttons) ----------

    @staticmethod
    async def _events(agent: Any, conversation: str) -> List[Any]:
        tracker = await agent.tracker_store.retrieve(conversation)
        return list(tracker.events) if tracker is not None else []

    @staticmethod
    async def _record(agent: Any, conversation: str, replies: List[str], marker: str) -> None:
        async with agent.lock_store.lock(conversation):
            tracker = await agent.processor.fetch_tracker_and_update_session(
                conversation, CollectingOutputChannel(), {"channel": "twilio_sms"}
            )
            for reply in replies:
                tracker.update(BotUttered(reply, metadata={META_KEY: marker}))
            await agent.processor.save_tracker(tracker)

    # --- the webhook ----------------------------------------------------------------------

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        sms = Blueprint("twilio_sms_webhook", __name__)
        handle = guarded(on_new_message)

        @sms.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "off" if self.switch.off else "ok"})

        @sms.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if self.switch.off:
                return response.text("SMS channel not configured", status=404)
            if not self.signature_ok(request):
                logger.warning("SMS webhook: missing or invalid X-Twilio-Signature (403)")
                return response.text("Forbidden", status=403)
            form = request.form
            sender = (form.get("From") or "").strip()
            message_sid = (form.get("MessageSid") or form.get("SmsSid") or "").strip()
            if not sender or not message_sid:
                return response.text("From and MessageSid are required", status=400)
            body = form.get("Body") or ""
            number = normalize_phone(sender) or sender
            if await get_limiter().over_limit("twilio_sms", number, ""):
                # a flood from one number: no turn, and no (paid) reply
                return twiml([])
            try:
                replies = await self.turn(request.app.ctx.agent, handle, sender, message_sid, body)
            except Exception as exc:  # noqa: BLE001 - the customer always gets an answer
                # the exception's text can hold SQL parameters (phone numbers): type only
                logger.error("SMS turn failed (%s); apologising", type(exc).__name__)
                replies = [self.text("apology", body)]
            return twiml(replies)

        return sms

    async def turn(
        self,
        agent: Any,
        handle: Callable[[UserMessage], Awaitable[None]],
        sender: str,
        message_sid: str,
        body: str,
    ) -> List[str]:
        phone = normalize_phone(sender) or sender
        conversation = conversation_id("sms", phone, self.settings.twilio_auth_token or "")
        keyword = classify(body)

        if keyword == "opt_out":
            reference = await run_sync(self._opt_out_once, message_sid, phone)
            if reference is None:
                return []
            logger.info("SMS opt-out recorded (%s)", reference)
            replies = [self.text("opt_out", body)]
            await self._record_quietly(agent, conversation, replies, "opt_out")
            return replies

        if not await run_sync(self._first_time, message_sid, conversation, phone):
            logger.info("SMS retry of a MessageSid already handled; empty reply")
            return []

        if keyword == "help":
            replies = [self.text("help", body)]
            await self._record_quietly(agent, conversation, replies, "help")
            return replies
        if keyword == "start":
            replies = [self.texts["start"]]
            await self._record(agent, conversation, replies, "start")
            return replies

        events = await self._events(agent, conversation)
        if keyword in ("yes", "no") and pending_opt_in(events, time.time()):
            if keyword == "yes":
                await run_sync(self._opt_in, phone)
                logger.info("SMS opt-in confirmed by the sender")
                replies = [self.text("opt_in", body)]
            else:
                replies = [self.text("opt_in_declined", body)]
            await self._record_quietly(agent, conversation, replies, f"start_{keyword}")
            return replies

        text = self.button_choice(body, events) or body
        collector = CollectingOutputChannel()
        await handle(
            UserMessage(
                text,
                collector,
                conversation,
                input_channel=self.name(),
                metadata={"channel": self.name(), "verified_phone": phone},
            )
        )
        return render_for_sms(collector.messages, self.too_long)

    @staticmethod
    def button_choice(body: str, events: List[Any]) -> Optional[str]:
        """The payload of the numbered button the customer picked, if the reply is a number."""
        choice = keyword_of(body)
        if not re.fullmatch(r"\d{1,2}", choice):
            return None
        buttons = offered_buttons(events)
        index = int(choice) - 1
        if 0 <= index < len(buttons):
            return buttons[index].get("payload") or buttons[index].get("title")
        return None

    async def _record_quietly(
        self, agent: Any, conversation: str, replies: List[str], marker: str
    ) -> None:
        """Record the channel's reply in the tracker; the reply is sent even if this fails."""
        try:
            await self._record(agent, conversation, replies, marker)
        except Exception as exc:  # noqa: BLE001
            logger.warning("Could not record the SMS reply in the tracker (%s)", type(exc).__name__)
