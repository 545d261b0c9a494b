"""An inbound SMS as Twilio posts it: the form fields and the ``X-Twilio-Signature``."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET  # noqa: N817 - the usual name
from typing import Dict, List, Optional, Tuple

from twilio.request_validator import RequestValidator

SMS_PATH = "/webhooks/twilio_sms/webhook"
DEFAULT_ACCOUNT = "AC" + "0" * 32


def new_sid() -> str:
    return "SM" + uuid.uuid4().hex


def sms_params(
    body: str, sender: str, to: str, account: str = DEFAULT_ACCOUNT, sid: Optional[str] = None
) -> Dict[str, str]:
    """The form fields Twilio sends for one inbound SMS (``To`` left out when unknown: a
    blank field would not survive the server's form parsing, and the signature with it)."""
    sid = sid or new_sid()
    params = {
        "ToCountry": "NO",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "SmsSid": sid,
        "SmsStatus": "received",
        "Body": body,
        "To": to,
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": account,
        "From": sender,
        "ApiVersion": "2010-04-01",
    }
    return {k: v for k, v in params.items() if v}


def sign(auth_token: str, url: str, params: Dict[str, str]) -> str:
    """Twilio's signature of a POST to ``url`` (the public URL Twilio was given)."""
    return RequestValidator(auth_token).compute_signature(url, params)


def signed_sms(
    body: str,
    sender: str,
    auth_token: str,
    public_url: str,
    to: str = "",
    account: str = DEFAULT_ACCOUNT,
    sid: Optional[str] = None,
) -> Tuple[Dict[str, str], Dict[str, str]]:
    """``(form, headers)`` of an inbound SMS signed for ``public_url`` + the webhook path."""
    params = sms_params(body, sender, to, account, sid)
    signature = sign(auth_token, public_url.rstrip("/") + SMS_PATH, params)
    return params, {"X-Twilio-Signature": signature}


def twiml_messages(xml: str) -> List[str]:
    """The texts of a TwiML ``<Response>``'s ``<Message>`` elements."""
    root = ET.fromstring(xml)  # noqa: S314 - our own server's answer
    return [m.text or "" for m in root.findall("Message")]
