"""A fix for the Rasa server's hottest path on form turns, installed when Rasa loads our code.

Rasa 3.6 checks every action-server response with ``jsonschema.validate(result, spec)``.
That function first validates the *schema* against its metaschema, on every call; with the
jsonschema 4.17 that Rasa pins, the metaschema is Draft 2020-12 and that check costs more
than everything else in a turn: measured with py-spy on the opt-out form, 72 % of the Rasa
server's CPU went to ``_validate_action_result`` (make bench: form turns 2.0-2.4x the
starter bot's latency).

``install()`` replaces that method with one that checks the (constant) schema once and
keeps a compiled validator. Invalid responses are still refused with the same
``ValidationError`` and message.

Installed in one place: when the Rasa server creates its tracker store
(``bot.stores.tracker.ConfiguredTrackerStore``, named in endpoints.yml next to the action
endpoint). Only on the Rasa version it was measured on (3.6.x): another version may have
fixed the check or changed the method, so there it logs one line and leaves Rasa alone.
Idempotent.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, Optional

from rasa.version import __version__ as RASA_VERSION

logger = logging.getLogger(__name__)

MEASURED_ON = "3.6."  # the Rasa minor version the fix was measured on

_validator: Optional[Any] = None
rasa_check: Optional[Any] = None  # Rasa's own method, kept when the fix replaces it


def _validate_action_result(self: Any, result: Dict[str, Any]) -> bool:
    from jsonschema import ValidationError, validators
    from rasa.shared.constants import DOCS_BASE_URL

    global _validator
    if _validator is None:
        spec = self.action_response_format_spec()
        validator_class = validators.validator_for(spec)
        validator_class.check_schema(spec)
        _validator = validator_class(spec)
    try:
        _validator.validate(result)
        return True
    except ValidationError as e:
        e.message += (
            ". Failed to validate Action server response from API, "
            "make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise e


def install() -> bool:
    """Install the cached check; True when it is in place."""
    from rasa.core.actions.action import RemoteAction

    if not RASA_VERSION.startswith(MEASURED_ON):
        logger.info(
            "Rasa %s: the action-response speed-up (measured on %sx) is not installed.",
            RASA_VERSION,
            MEASURED_ON,
        )
        return False
    global rasa_check
    if RemoteAction._validate_action_result is not _validate_action_result:
        rasa_check = RemoteAction.__dict__["_validate_action_result"]
        RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
    return True
