"""Rasa's REST channel, hardened: same URL (/webhooks/rest/webhook), same JSON.

Two changes to Rasa's ``RestInput``: the input channel is always ``rest`` (Rasa's lets the
caller name any channel, which would let a REST caller pose as the SMS channel), channel
proofs (``verified_phone``) in caller-supplied metadata are dropped; and a turn that
produced no reply gets an apology with contact details, and empty or huge messages a
clear answer (see ``guard``); a body that is not the expected JSON object gets a 400
(see ``body_check``).
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Optional

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput as RasaRestInput
from sanic import Blueprint
from sanic.request import Request

from bot.channels.body_check import install_on
from bot.channels.guard import guarded
from bot.channels.rate_limit import client_address, client_key

TRUSTED_METADATA_KEYS = {"verified_phone", "channel", "client"}


class RestInput(RasaRestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"

    def _extract_input_channel(self, req: Request) -> str:
        return self.name()

    def get_metadata(self, request: Request) -> Optional[dict[str, Any]]:
        body = request.json if isinstance(request.json, dict) else {}
        metadata = body.get("metadata")
        ours = {"channel": "rest", "client": client_key(client_address(request))}
        if not isinstance(metadata, dict):
            return ours
        clean = {k: v for k, v in metadata.items() if k not in TRUSTED_METADATA_KEYS}
        return {**clean, **ours}

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = super().blueprint(guarded(on_new_message))
        install_on(blueprint)  # bad JSON here and on /model/parse: 400, not Rasa's 500
        return blueprint
