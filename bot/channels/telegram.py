"""Telegram through the Bot API (python-telegram-bot 22): ``POST /webhooks/telegram/webhook``.

- The ``X-Telegram-Bot-Api-Secret-Token`` header must equal ``TELEGRAM_WEBHOOK_SECRET``
  (constant-time compare): 403 otherwise. With a valid secret the answer is always 200, even
  when the update cannot be handled (logged without personal data), so that Telegram does not
  retry it for hours; each ``update_id`` acts once (``inbound.first_time_seen``).
- Replies go out through PTB's ``Bot`` at ``TELEGRAM_API_URL``: PTB appends the token to
  ``base_url``, so ``base_url=f"{root}/bot"`` calls ``<root>/bot<token>/<method>``.
- Buttons are inline keyboards; a pressed button is answered (``answerCallbackQuery``) and
  its payload goes to Rasa as the user's message.
- ``/start`` greets and offers a "Del telefonnummeret mitt" keyboard (``request_contact``).
  A contact whose ``user_id`` is the sender's own id proves the number: it is remembered in
  the register and every later message of that user carries ``verified_phone``. Someone
  else's contact is refused and not stored.
"""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict
from typing import Any, Awaitable, Callable, Dict, List, Optional

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from telegram import (
    Bot,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.request import HTTPXRequest

from bot.channels.guard import APOLOGY, APOLOGY_EN, guarded
from bot.channels.rate_limit import get_limiter
from bot.channels.support import OffSwitch, conversation_id, run_sync, secrets_equal, split_text
from bot.config import Settings, load_settings
from bot.policy import COMPANY_EMAIL, COMPANY_PHONE
from bot.register import channel_identities, inbound
from bot.register.contacts import normalize_phone
from bot.register.db import session_scope

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
TEXT_LIMIT = 4096
CALLBACK_DATA_LIMIT = 64  # bytes, Bot API limit for callback_data
SHARE_PHONE = "Del telefonnummeret mitt"
SHARE_PHONE_EN = "Share my phone number"
COMMANDS = {"/start": "/greet", "/hjelp": "/help", "/help": "/help"}

CONTACT_OFFER = (
    "Vil du at jeg skal kjenne igjen telefonnummeret ditt, for eksempel for å stoppe reklame "
    f"på SMS? Trykk «{SHARE_PHONE}» nedenfor. Det er frivillig."
)
CONTACT_THANKS = (
    "Takk! Nå vet jeg at dette er ditt telefonnummer, og jeg bruker det bare når du ber om "
    "noe som gjelder det, for eksempel å stoppe reklame på SMS."
)
CONTACT_NOT_OWN = (
    "Jeg kan bare bruke ditt eget telefonnummer. Trykk «" + SHARE_PHONE + "» for å dele "
    "nummeret som hører til Telegram-kontoen din."
)
CONTACT_FAILED = (
    "Beklager, jeg fikk ikke lagret telefonnummeret nå. Prøv igjen senere, eller kontakt "
    "KL Miljøvarme på tlf. {phone} eller {email}."
)
TEXT_ONLY = "Jeg kan dessverre bare lese tekstmeldinger. Skriv spørsmålet ditt, så hjelper jeg."

# the same in English, for a Telegram user whose app is set to English (language_code)
TEXTS = {
    "nb": {
        "share": SHARE_PHONE,
        "offer": CONTACT_OFFER,
        "thanks": CONTACT_THANKS,
        "not_own": CONTACT_NOT_OWN,
        "failed": CONTACT_FAILED,
        "text_only": TEXT_ONLY,
        "apology": APOLOGY,
    },
    "en": {
        "share": SHARE_PHONE_EN,
        "offer": "Would you like me to recognise your phone number, for instance to stop "
        f"marketing by SMS? Tap «{SHARE_PHONE_EN}» below. It is up to you.",
        "thanks": "Thank you! I now know this is your phone number, and I use it only when "
        "you ask for something about it, such as stopping marketing by SMS.",
        "not_own": f"I can only use your own phone number. Tap «{SHARE_PHONE_EN}» to share "
        "the number of your Telegram account.",
        "failed": "Sorry, I could not save your phone number just now. Please try again "
        "later, or contact KL Miljøvarme on {phone} or {email}.",
        "text_only": "Sorry, I can only read text messages. Write your question and I will help.",
        "apology": APOLOGY_EN,
    },
}


def language_of(user: Optional[Any]) -> str:
    """English for a user whose Telegram app is in English; Norwegian otherwise."""
    code = (getattr(user, "language_code", None) or "").lower()
    return "en" if code.startswith("en") else "nb"


def _contact_keyboard(lang: str = "nb") -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [[KeyboardButton(TEXTS[lang]["share"], request_contact=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


class CallbackPayloads:
    """Button payloads too long for ``callback_data`` travel as a short hash.

    The hash is resolved from memory; after a restart, from the button's own title in the
    message the button belongs to (Telegram sends that message with the callback query).
    """

    def __init__(self, size: int = 5000) -> None:
        self.size = size
        self.known: OrderedDict[str, str] = OrderedDict()

    def encode(self, payload: str) -> str:
        if len(payload.encode("utf-8")) <= CALLBACK_DATA_LIMIT:
            return payload
        key = "#" + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:20]
        self.known[key] = payload
        self.known.move_to_end(key)
        while len(self.known) > self.size:
            self.known.popitem(last=False)
        return key

    def decode(self, data: str, message: Optional[Message]) -> str:
        if not data.startswith("#"):
            return data
        if data in self.known:
            return self.known[data]
        markup = message.reply_markup if message is not None else None
        for row in markup.inline_keyboard if markup is not None else ():
            for button in row:
                if button.callback_data == data:
                    return button.text
        return data


class TelegramOutput(OutputChannel):
    """Sends the bot's messages to one chat."""

    @classmethod
    def name(cls) -> str:
        return "telegram"

    def __init__(self, bot: Bot, chat_id: int, payloads: CallbackPayloads) -> None:
        self.bot = bot
        self.chat_id = chat_id
        self.payloads = payloads

    async def _send(self, text: str, reply_markup: Any = None) -> None:
        parts = split_text(text, TEXT_LIMIT) or [text]
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            await self.bot.send_message(
                self.chat_id, part, reply_markup=reply_markup if last else None
            )

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._send(text)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: List[Dict[str, Any]], **kwargs: Any
    ) -> None:
        keyboard = [
            [
                InlineKeyboardButton(
                    str(button.get("title", "")),
                    callback_data=self.payloads.encode(
                        str(button.get("payload") or button.get("title", ""))
                    ),
                )
            ]
            for button in buttons
        ]
        await self._send(text, InlineKeyboardMarkup(keyboard))

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self.bot.send_photo(self.chat_id, image)

    async def send_custom_json(
        self, recipient_id: str, json_message: Dict[str, Any], **kwargs: Any
    ) -> None:
        text = json_message.get("text")
        if isinstance(text, str) and text:
            await self._send(text)


class TelegramInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
        return cls(load_settings())

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        missing = [
            name
            for name, value in (
                ("TELEGRAM_BOT_TOKEN", settings.telegram_bot_token),
                ("TELEGRAM_WEBHOOK_SECRET", settings.telegram_webhook_secret),
            )
            if not value
        ]
        self.switch = OffSwitch("telegram", missing)
        self.payloads = CallbackPayloads()
        self._bot: Optional[Bot] = None

    @property
    def bot(self) -> Bot:
        """PTB's Bot, created on first use (inside the server's event loop)."""
        if self._bot is None:
            self._bot = make_bot(self.settings)
        return self._bot

    def conversation(self, user_id: int) -> str:
        return conversation_id("telegram", str(user_id), self.settings.telegram_bot_token or "")

    # --- register work (runs in a worker thread) ------------------------------------------

    @staticmethod
    def _first_time(update_id: int) -> bool:
        with session_scope() as s:
            return inbound.first_time_seen(s, "telegram", str(update_id))

    @staticmethod
    def _remember_phone(user_id: int, phone: str, conversation: Optional[str] = None) -> None:
        with session_scope() as s:
            channel_identities.remember_verified_phone(
                s,
                channel="telegram",
                external_id=str(user_id),
                phone=phone,
                conversation_id=conversation,
            )

    @staticmethod
    def _verified_phone(user_id: int, conversation: Optional[str] = None) -> Optional[str]:
        """The number this user proved; a proof from before the register kept the
        conversation (migration 0003) is tied to this user's conversation now."""
        with session_scope() as s:
            phone = channel_identities.verified_phone(
                s, channel="telegram", external_id=str(user_id)
            )
            if phone and conversation:
                channel_identities.remember_conversation(
                    s, channel="telegram", external_id=str(user_id), conversation_id=conversation
                )
            return phone

    # --- the webhook ----------------------------------------------------------------------

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        telegram = Blueprint("telegram_webhook", __name__)
        handle = guarded(on_new_message)

        @telegram.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "off" if self.switch.off else "ok"})

        @telegram.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if self.switch.off:
                return response.text("Telegram channel not configured", status=404)
            secret = self.settings.telegram_webhook_secret or ""
            if not secrets_equal(request.headers.get(SECRET_HEADER), secret):
                logger.warning("Telegram webhook: missing or wrong secret token (403)")
                return response.text("Forbidden", status=403)
            try:
                await self.process(request, handle)
            except Exception as exc:  # noqa: BLE001 - answer 200 so Telegram does not retry
                logger.error("Telegram update not handled (%s)", type(exc).__name__)
            return response.text("")

        return telegram

    async def process(self, request: Request, handle: Callable[[UserMessage], Awaitable[None]]):
        data = request.json
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            logger.warning("Telegram webhook: body is not an update; ignored")
            return
        update = Update.de_json(data, self.bot)
        user = update.effective_user
        if user is not None and await get_limiter().over_limit("telegram", str(user.id), ""):
            logger.info("Telegram update over the per-sender limit; ignored")
            return  # a flood from one user: no turn, no reply
        try:
            first_time = await run_sync(self._first_time, update.update_id)
        except Exception as exc:  # noqa: BLE001 - register down: say so, with contact details
            logger.error(
                "Telegram update not handled, register unavailable (%s)", type(exc).__name__
            )
            chat = update.effective_chat
            if chat is not None and chat.type == "private":
                lang = language_of(update.effective_user)
                await self.bot.send_message(chat.id, TEXTS[lang]["apology"])
            return
        if not first_time:
            logger.info("Telegram update %s was handled before; ignored", update.update_id)
            return
        if update.callback_query is not None:
            await self.on_callback(update.callback_query, handle)
        elif update.message is not None:
            await self.on_message(update.message, handle)

    async def on_callback(
        self, query: CallbackQuery, handle: Callable[[UserMessage], Awaitable[None]]
    ) -> None:
        await self.bot.answer_callback_query(query.id)
        message = query.message if isinstance(query.message, Message) else None
        if message is not None and message.chat.type != "private":
            return
        chat_id = message.chat.id if message is not None else query.from_user.id
        payload = self.payloads.decode(query.data or "", message)
        if payload:
            await self.to_rasa(payload, query.from_user.id, chat_id, handle)

    async def on_message(
        self, message: Message, handle: Callable[[UserMessage], Awaitable[None]]
    ) -> None:
        user = message.from_user
        if message.chat.type != "private" or user is None:
            logger.info("Telegram message outside a private chat; ignored")
            return
        if message.contact is not None:
            await self.on_contact(message)
            return
        lang = language_of(user)
        text = message.text
        if text is None:
            await self.bot.send_message(message.chat.id, TEXTS[lang]["text_only"])
            return
        command = text.strip().split("@", 1)[0].split(" ", 1)[0].lower()
        if command in ("/telefon", "/phone") or text.strip() in (SHARE_PHONE, SHARE_PHONE_EN):
            await self.bot.send_message(
                message.chat.id, TEXTS[lang]["offer"], reply_markup=_contact_keyboard(lang)
            )
            return
        await self.to_rasa(COMMANDS.get(command, text), user.id, message.chat.id, handle)
        if command == "/start":
            await self.bot.send_message(
                message.chat.id, TEXTS[lang]["offer"], reply_markup=_contact_keyboard(lang)
            )

    async def on_contact(self, message: Message) -> None:
        contact = message.contact
        user = message.from_user
        lang = language_of(user)
        if contact is None or user is None or contact.user_id != user.id:
            await self.bot.send_message(
                message.chat.id, TEXTS[lang]["not_own"], reply_markup=_contact_keyboard(lang)
            )
            return
        raw = contact.phone_number or ""
        phone = normalize_phone(raw if raw.startswith("+") else f"+{raw}")
        if phone is None:
            await self.bot.send_message(message.chat.id, TEXTS[lang]["not_own"])
            return
        try:
            await run_sync(self._remember_phone, user.id, phone, self.conversation(user.id))
        except Exception as exc:  # noqa: BLE001
            logger.error("Could not remember a Telegram user's phone (%s)", type(exc).__name__)
            failed = TEXTS[lang]["failed"].format(phone=COMPANY_PHONE, email=COMPANY_EMAIL)
            await self.bot.send_message(message.chat.id, failed)
            return
        logger.info("Telegram user proved a phone number")
        await self.bot.send_message(
            message.chat.id, TEXTS[lang]["thanks"], reply_markup=ReplyKeyboardRemove()
        )

    async def to_rasa(
        self,
        text: str,
        user_id: int,
        chat_id: int,
        handle: Callable[[UserMessage], Awaitable[None]],
    ) -> None:
        # the chat id: where a closing notice for a ticket written here goes
        metadata: Dict[str, Any] = {"channel": self.name(), "chat_id": chat_id}
        try:
            phone = await run_sync(self._verified_phone, user_id, self.conversation(user_id))
        except Exception as exc:  # noqa: BLE001 - without the register the turn still runs
            logger.warning("Could not look up a Telegram user's phone (%s)", type(exc).__name__)
            phone = None
        if phone:
            metadata["verified_phone"] = phone
        await handle(
            UserMessage(
                text,
                TelegramOutput(self.bot, chat_id, self.payloads),
                self.conversation(user_id),
                input_channel=self.name(),
                metadata=metadata,
            )
        )


def make_bot(settings: Settings) -> Bot:
    """PTB's Bot at ``TELEGRAM_API_URL`` (PTB calls ``<base_url><token>/<method>``)."""
    # httpx logs every request URL at INFO, and Bot API URLs contain the bot token
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
    return Bot(
        settings.telegram_bot_token or "",
        base_url=f"{settings.telegram_api_url}/bot",
        request=HTTPXRequest(connection_pool_size=8, read_timeout=15, write_timeout=15),
    )
