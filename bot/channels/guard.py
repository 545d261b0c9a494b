"""Every turn gets a clear answer, whatever the input and whatever fails.

Every channel wraps its message handler with ``guarded``:
- an empty message or one longer than ``MAX_MESSAGE_CHARS`` gets a plain answer without
  running the NLU (a huge message would otherwise cost seconds of CPU);
- Rasa logs and swallows a failing custom action (action server down, register down), so
  the customer would get silence: a turn that produced no reply at all gets a short apology
  with the company's contact details, so the customer knows how to reach staff.
"""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Optional

from rasa.core.channels.channel import OutputChannel, UserMessage

from bot.policy import COMPANY_CONTACT, COMPANY_CONTACT_EN, COMPANY_EMAIL, COMPANY_NAME

logger = logging.getLogger(__name__)

APOLOGY = (
    "Beklager, noe gikk galt hos oss, og jeg kunne ikke fullføre dette nå. Forespørselen din "
    f"er kanskje ikke registrert. Kontakt {COMPANY_NAME} på {COMPANY_CONTACT}, så hjelper vi "
    "deg."
)

APOLOGY_EN = (
    "Sorry, something went wrong on our side, and I could not finish this now. Your request "
    f"may not have been registered. Contact {COMPANY_NAME}: {COMPANY_CONTACT_EN}, and we will "
    "help you."
)


def apology(text: object) -> str:
    """The apology in the customer's language (English when their message is English)."""
    from bot.nlp.extractors import detect_language

    english = isinstance(text, str) and detect_language(text) == "en"
    return APOLOGY_EN if english else APOLOGY


MAX_MESSAGE_CHARS = 2000
EMPTY_REPLY = "Jeg fikk en tom melding. Hva kan jeg hjelpe deg med?"
TOO_LONG_REPLY = (
    f"Meldingen er for lang for meg (over {MAX_MESSAGE_CHARS} tegn). Skriv kort hva du lurer på, "
    f"eller send det som e-post til {COMPANY_EMAIL}."
)


def input_problem(text: object) -> Optional[str]:
    """The reply for a message that must not reach the NLU, or None when it is fine."""
    if not isinstance(text, str) or not text.strip():
        return EMPTY_REPLY
    if len(text) > MAX_MESSAGE_CHARS:
        return TOO_LONG_REPLY
    return None


class CountingOutputChannel(OutputChannel):
    """Passes every response through to the real channel and counts them."""

    def __init__(self, inner: OutputChannel) -> None:
        self.inner = inner
        self.sent = 0

    @classmethod
    def name(cls) -> str:
        return "counting"

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        self.sent += 1
        await self.inner.send_response(recipient_id, message)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        self.sent += 1
        await self.inner.send_text_message(recipient_id, text, **kwargs)

    def __getattr__(self, item: str) -> Any:
        return getattr(self.inner, item)


def guarded(
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
) -> Callable[[UserMessage], Awaitable[None]]:
    async def handle(message: UserMessage) -> None:
        problem = input_problem(message.text)
        if problem:
            await message.output_channel.send_text_message(message.sender_id, problem)
            return
        counter = CountingOutputChannel(message.output_channel)
        message.output_channel = counter
        try:
            await on_new_message(message)
        except Exception:  # noqa: BLE001 - the customer gets an answer whatever failed
            logger.exception("Handling a message failed (channel %s)", message.input_channel)
        if counter.sent == 0:
            logger.warning(
                "A turn produced no reply (channel %s); apologising.", message.input_channel
            )
            await counter.inner.send_text_message(message.sender_id, apology(message.text))

    return handle
