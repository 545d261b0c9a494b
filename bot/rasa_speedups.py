"""Fixes for the Rasa server's hottest paths, installed when Rasa loads our code.

1. Form turns: the action-response check.

Rasa 3.6 checks every action-server response with ``jsonschema.validate(result, spec)``.
That function first validates the *schema* against its metaschema, on every call; with the
jsonschema 4.17 that Rasa pins, the metaschema is Draft 2020-12 and that check costs more
than everything else in a turn: measured with py-spy on the opt-out form, 72 % of the Rasa
server's CPU went to ``_validate_action_result`` (make bench: form turns 2.0-2.4x the
starter bot's latency).

``install()`` replaces that method with one that checks the (constant) schema once and
keeps a compiled validator. Invalid responses are still refused with the same
``ValidationError`` and message.

2. Every turn: the rule lookup. ``RulePolicy`` predicts each action of a turn by testing every
learned rule key against the conversation, and parses each key (a JSON text) with
``_rule_key_to_state``, which Rasa caches in an ``lru_cache(maxsize=1000)``. Our model has
2478 rule keys (and 529 for the forms' unhappy paths): the keys are tested in the same order
each time, so an LRU cache smaller than the set misses on every call, and each prediction
parsed all 2478 JSON texts again. Profiled with pyinstrument (bench.profile): 66 % of the
Rasa server's time in a policy turn. ``install()`` gives the same function a cache as large
as the keys (unbounded: the keys are the model's, a fixed set of a few thousand; the parsed
states are read, never changed, as with Rasa's own cache).

3. Every turn: the rule search itself. With the parse cached, testing the 2478 keys against
the conversation's current state is still 40 % of the Rasa server's time at 8 users
(``RulePolicy._get_possible_keys``: each key against the latest state, then the survivors
against the states before it). The first filter, against the current state alone, gives
the same keys for the same state (intent, slots, previous action, active form), and a
handful of states recur in every conversation. ``install()`` keeps that first filter's
result per state (per policy and lookup, at most ``MAX_CURRENT_STATES``); the keys that
pass it are filtered against the earlier states as Rasa does. The result is Rasa's.

4. Every custom action: the connection to the action server. Rasa 3.6's
``EndpointConfig.request`` opens a new ``aiohttp.ClientSession`` for every call, so every
custom action (a policy answer runs one, a form several) paid for a new session and a new
TCP connection to the action server, and the action server for accepting it.
``install()`` keeps one session per endpoint and event loop, with the same headers,
authentication and timeout as Rasa's, whose connections are kept alive between calls for
at most ``KEEPALIVE_S`` (less than the action server's 5 s, so the client, never the
server, closes an idle connection: no request is sent on a connection the server is
closing). The request and its answer are Rasa's.

5. Every turn: the message's sparse features, combined three times. The logistic
regression, DIET and the ResponseSelector each ask the message for its sparse features
(``Message.get_sparse_features``), and Rasa concatenates the featurizers' matrices again
for each (``scipy.sparse.hstack``: 6 % of the server's time at 32 users). ``install()``
keeps the combination on the message, for as long as its features are the same list
(nothing added); each caller still gets its own copy, as from Rasa.

6. Every turn: reading the conversation. Rasa finds each stored event's class by walking
every subclass of ``Event`` (``Event.resolve_by_type``), for every event of the
conversation on every turn (3 % at 32 users). ``install()`` remembers the class found for
each type name (a name Rasa does not know is still asked of Rasa each time).

7. Every turn: the ResponseSelector's answer key. For the top label and every label of its
ranking, Rasa looks for the retrieval response the label names by walking every response
of the domain and each of its variations (``ResponseSelector._resolve_intent_response_key``:
6 % of a policy turn on the Rasa server, one user). ``install()`` walks them once per
selector, in Rasa's order, into a table (the first match wins, as in Rasa's walk); each
label is then one lookup.

Installed in one place: when the Rasa server creates its tracker store
(``bot.stores.tracker.ConfiguredTrackerStore``, named in endpoints.yml next to the action
endpoint). Only on the Rasa version it was measured on (3.6.x): another version may have
fixed the check or changed the method, so there it logs one line and leaves Rasa alone.
Idempotent.
"""

from __future__ import annotations

import copy
import functools
import json
import logging
from typing import Any, Callable, Dict, List, Optional, Tuple

from rasa.version import __version__ as RASA_VERSION

logger = logging.getLogger(__name__)

MEASURED_ON = "3.6."  # the Rasa minor version the fix was measured on

_validator: Optional[Any] = None
rasa_check: Optional[Any] = None  # Rasa's own method, kept when the fix replaces it
rasa_rule_key_to_state: Optional[Any] = None  # Rasa's own (small-cache) parser, kept


MAX_CURRENT_STATES = 4096  # cached first filters per policy; then the cache starts again
rasa_get_possible_keys: Optional[Any] = None  # Rasa's own search, kept


def _frozen(state: Dict[str, Any]) -> Any:
    """A state as a hashable value (its sub-states' values are strings, numbers, tuples)."""
    return tuple(sorted((name, tuple(sorted(sub.items()))) for name, sub in state.items()))


def _get_possible_keys(self: Any, lookup: Dict[str, str], states: List[Dict[str, Any]]) -> set:
    """Rasa's ``RulePolicy._get_possible_keys``, with the first filter remembered per state."""
    if not states:
        return set(lookup.keys())
    reversed_states = list(reversed(states))
    current = reversed_states[0]
    try:
        cache_key: Any = (id(lookup), len(lookup), _frozen(current))
    except TypeError:  # an unhashable value: Rasa's way, uncached
        cache_key = None
    cache = self.__dict__.setdefault("_klbot_current_state_keys", {})
    entry = cache.get(cache_key) if cache_key is not None else None
    if entry is not None and entry[0] is lookup:
        possible = set(entry[1])
    else:
        possible = {key for key in lookup if self._is_rule_applicable(key, 0, current)}
        if cache_key is not None:
            if len(cache) >= MAX_CURRENT_STATES:
                cache.clear()
            # the lookup itself is kept with its result: its id cannot be reused meanwhile
            cache[cache_key] = (lookup, frozenset(possible))
    for index, state in enumerate(reversed_states[1:], start=1):
        if not possible:
            break
        possible = {key for key in possible if self._is_rule_applicable(key, index, state)}
    return possible


@functools.lru_cache(maxsize=None)
def _rule_key_to_state(rule_key: str) -> List[Dict[str, Any]]:
    """A rule key's states (Rasa's parse, cached for every key of the model)."""
    return json.loads(rule_key)


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


KEEPALIVE_S = 2.0  # idle connections to an endpoint closed after this (Sanic's is 5 s)
rasa_request: Optional[Any] = None  # Rasa's own EndpointConfig.request, kept


def _pooled_session(endpoint: Any) -> Any:
    """This endpoint's session on the running event loop (made as Rasa's ``session()``)."""
    import asyncio

    import aiohttp
    from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT

    loop = asyncio.get_running_loop()
    held = endpoint.__dict__.get("_klbot_session")
    if held is not None and held[0] is loop and not held[1].closed:
        return held[1]
    auth = None
    if endpoint.basic_auth:
        auth = aiohttp.BasicAuth(endpoint.basic_auth["username"], endpoint.basic_auth["password"])
    session = aiohttp.ClientSession(
        headers=endpoint.headers,
        auth=auth,
        timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
        connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_S),
    )
    endpoint.__dict__["_klbot_session"] = (loop, session)
    return session


async def _request(
    self: Any,
    method: str = "post",
    subpath: Optional[str] = None,
    content_type: Optional[str] = "application/json",
    compress: bool = False,
    **kwargs: Any,
) -> Optional[Any]:
    """Rasa's ``EndpointConfig.request``, on the endpoint's kept session."""
    import os
    import ssl

    from aiohttp import ContentTypeError
    from rasa.shared.exceptions import FileNotFoundException
    from rasa.utils.endpoints import ClientResponseError, concat_url

    headers = {}
    if content_type:
        headers["Content-Type"] = content_type
    if "headers" in kwargs:
        headers.update(kwargs["headers"])
        del kwargs["headers"]
    if self.headers:
        headers.update(self.headers)
    url = concat_url(self.url, subpath)
    sslcontext = None
    if self.cafile:
        try:
            sslcontext = ssl.create_default_context(cafile=self.cafile)
        except FileNotFoundError as e:
            raise FileNotFoundException(
                f"Failed to find certificate file, '{os.path.abspath(self.cafile)}' does not exist."
            ) from e
    session = _pooled_session(self)
    async with session.request(
        method,
        url,
        headers=headers,
        params=self.combine_parameters(kwargs),
        compress=compress,
        ssl=sslcontext,
        **kwargs,
    ) as response:
        if response.status >= 400:
            raise ClientResponseError(
                response.status, response.reason, await response.content.read()
            )
        try:
            return await response.json()
        except ContentTypeError:
            return None


rasa_get_sparse_features: Optional[Any] = None  # Rasa's own, kept


def _get_sparse_features(
    self: Any, attribute: str, featurizers: Optional[List[str]] = None
) -> Tuple[Any, Any]:
    """Rasa's ``Message.get_sparse_features``, the combination kept while the features are."""
    features = self.features
    stamp = (id(features), len(features), id(features[-1]) if features else None)
    held = self.__dict__.get("_klbot_sparse")
    if held is None or held[0] != stamp:
        held = (stamp, {})
        self.__dict__["_klbot_sparse"] = held
    key = (attribute, tuple(featurizers or ()))
    if key not in held[1]:
        held[1][key] = rasa_get_sparse_features(self, attribute, featurizers)
    sequence, sentence = held[1][key]
    return copy.deepcopy(sequence), copy.deepcopy(sentence)


rasa_resolve_by_type: Optional[Any] = None  # Rasa's own, kept
_event_classes: Dict[str, Any] = {}


def _resolve_by_type(type_name: str, default: Optional[Any] = None) -> Optional[Any]:
    """Rasa's ``Event.resolve_by_type``, each type name's class remembered once found."""
    found = _event_classes.get(type_name)
    if found is not None:
        return found
    try:
        found = rasa_resolve_by_type(type_name, None) if type_name != "topic" else None
    except ValueError:  # unknown to Rasa: its answer (the default, or the same error)
        found = None
    if found is not None:
        _event_classes[type_name] = found
        return found
    return rasa_resolve_by_type(type_name, default)


rasa_resolve_intent_response_key: Optional[Any] = None  # Rasa's own, kept


def _resolve_intent_response_key(self: Any, label: Dict[str, Any]) -> Optional[str]:
    """Rasa's ``ResponseSelector._resolve_intent_response_key`` from a table of its walk: each
    response key (as an intent response key), then its variations' texts, key after key;
    the first to match a name is the answer, as in Rasa's loop."""
    responses = self.responses
    held = self.__dict__.get("_klbot_response_keys")
    if held is None or held[0] is not responses:
        from rasa.shared.nlu.constants import TEXT
        from rasa.shared.nlu.training_data.util import template_key_to_intent_response_key

        table: Dict[Any, str] = {}
        for key, variations in responses.items():
            search_key = template_key_to_intent_response_key(key)
            table.setdefault(search_key, search_key)
            for variation in variations:
                table.setdefault(variation.get(TEXT, ""), search_key)
        held = (responses, table)
        self.__dict__["_klbot_response_keys"] = held
    return held[1].get(label.get("name"))


def _replace(
    owner: Any, attribute: str, ours: Any, kept_as: str, wrap: Callable[[Any], Any] = lambda f: f
) -> None:
    """Put ``ours`` (wrapped, e.g. as a staticmethod) in place of Rasa's ``owner.attribute``
    once, keeping Rasa's own in the module global ``kept_as`` (a static method as its plain
    function); installing again changes nothing."""
    if getattr(owner, attribute) is ours:
        return
    rasas = owner.__dict__[attribute]
    globals()[kept_as] = rasas.__func__ if isinstance(rasas, staticmethod) else rasas
    setattr(owner, attribute, wrap(ours))


def install() -> bool:
    """Install the cached check, the rule-key cache, the rule search's first filter and the
    kept action-server sessions; True when they are in place."""
    from rasa.core.actions.action import RemoteAction
    from rasa.core.policies.rule_policy import RulePolicy
    from rasa.utils.endpoints import EndpointConfig

    if not RASA_VERSION.startswith(MEASURED_ON):
        logger.info(
            "Rasa %s: the action-response speed-up (measured on %sx) is not installed.",
            RASA_VERSION,
            MEASURED_ON,
        )
        return False
    from rasa.shared.core.events import Event
    from rasa.shared.nlu.training_data.message import Message

    _replace(RemoteAction, "_validate_action_result", _validate_action_result, "rasa_check")
    _replace(
        RulePolicy, "_rule_key_to_state", _rule_key_to_state, "rasa_rule_key_to_state", staticmethod
    )
    _replace(RulePolicy, "_get_possible_keys", _get_possible_keys, "rasa_get_possible_keys")
    _replace(Message, "get_sparse_features", _get_sparse_features, "rasa_get_sparse_features")
    _replace(Event, "resolve_by_type", _resolve_by_type, "rasa_resolve_by_type", staticmethod)
    _replace(EndpointConfig, "request", _request, "rasa_request")
    from rasa.nlu.selectors.response_selector import ResponseSelector

    _replace(
        ResponseSelector,
        "_resolve_intent_response_key",
        _resolve_intent_response_key,
        "rasa_resolve_intent_response_key",
    )
    return True
