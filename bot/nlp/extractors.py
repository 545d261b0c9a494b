"""Two small entity extractors for the NLU pipeline (no training, no model files).

``LanguageDetector`` adds a ``language`` entity, ``en`` or ``nb``, when the message clearly is
English or Norwegian (and nothing for a bare number, address or "ok"), so that the ``language``
slot chooses the English or Norwegian response variation. Norwegian is the default: a message
counts as English only when it has English words and no Norwegian ones, or English words
outnumber the Norwegian ones more than two to one ("kan jeg få en copy av dataene" stays
Norwegian).

``RequestKindExtractor`` adds a ``request_kind`` entity (access, correction, erasure,
restriction, objection, portability, opt_out, complaint) when the message names a kind of
request ("er slettingen min registrert?" -> erasure), so that the answer to a status question
can speak of that request.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Iterable, List, Optional, Tuple

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlp.normalize import fold

_WORD = re.compile(r"[a-zæøåéèäöü']+", re.IGNORECASE)
# An e-mail or web address is read as no words at all: "ukjent.person@example.com" is not
# English, and a Norwegian customer typing it must not get English answers.
_ADDRESS = re.compile(r"\S+@\S+|\b(?:https?://|www\.)\S+", re.IGNORECASE)

# Words that are English and not also Norwegian ("i", "at", "to", "for", "is", "her", "no", "send",
# "by", "man", "data" and "sms" are both, so they count for neither).
ENGLISH = frozenset(
    """
    the a an my me you your yours we us our they them their he she his it its this that
    these those what how why who whom which where when whether do does did done doing can could
    would should will shall may might must have has had having be been being am are was were
    not don't doesn't didn't can't won't i'm i'd i've you're it's what's there here and or but
    if any some all of with about from into out please thanks thank thx hello hi hey bye
    goodbye yes yeah yep nope okay want like need get got send sent delete erase remove stop
    change update correct wrong copy access information personal details rights right
    complaint complain speak talk someone somebody person human real robot bot help
    request status long keep share shared sell sold use used using why unsubscribe email
    phone number name address moved new old company customer service privacy policy just
    now also more much very much many time still yet again already be sure let know tell
    code codes nothing never came received receive arrived thanks cheers sorry wait
    """.split()
)
# Words of both languages that folding would turn Norwegian («no» is Nynorsk for «nå»):
# they count for neither, so that «no code» and «no thanks» keep an English conversation
# English.
BOTH = frozenset("no i at to for is her send by man data sms".split())
NORWEGIAN = frozenset(
    fold(word)
    for word in """
    jeg eg æ meg mæ deg dæ du vi oss dere dykk dykkar dokker deres hun han den det dette disse
    hva kva ka hvordan korleis koss hvorfor kvifor korfor hvem kven kem hvor kor når
    er var har hadde ikke ikkje itj og eller men på til med av om fra frå hos hjå ut opp
    en ei et ein eit kan vil skal må må bør kunne ville skulle min mi mitt mine sin sitt sine
    ja jo nei neida takk tusen hei hallo heisann ha hadet morn noe noko noen nokon alle alt
    slett slette sletting opplysninger opplysningene opplysingar dataene mine
    innsyn retting reklame klage personvern kunde kundenummer gjerne bare berre også òg
    så litt mye mykje nå ennå enda får få gi gje sende stopp avbryt hjelp
    snakke menneske ring ringe lagre lagrer lagret bruke bruker brukar dere deres
    """.split()
)
# Definite and verbal-noun endings that English words do not have ("opplysningene",
# "slettingen", "rettighetene", "handsaminga").
_NORWEGIAN_ENDINGS = ("ene", "ane", "ingen", "inga", "heten", "heita", "sjon", "sjonen")
_NORWEGIAN_LETTERS = re.compile(r"[æøåÆØÅ]")


def detect_language(text: str) -> Optional[str]:
    """``"en"``, ``"nb"`` or None when the message has no telling words."""
    text = _ADDRESS.sub(" ", text or "")
    words = [w.lower() for w in _WORD.findall(text)]
    english = sum(1 for w in words if w in ENGLISH)
    norwegian = sum(
        1
        for w in words
        if w not in ENGLISH
        and w not in BOTH
        and (fold(w) in NORWEGIAN or w.endswith(_NORWEGIAN_ENDINGS))
    )
    norwegian += len(_NORWEGIAN_LETTERS.findall(text)) and 1
    if english and (norwegian == 0 or english > 2 * norwegian + 1):
        return "en"
    if norwegian:
        return "nb"
    return None


# Kind of request: a stem (after folding æøå) that starts a word, and the kind it names.
# Nouns only: "slett meg" is a new request, "slettingen" names an earlier one; the intent
# decides which, this only says which kind.
KIND_STEMS: Tuple[Tuple[str, str], ...] = (
    ("sletting", "erasure"),
    ("slettinga", "erasure"),
    ("slettefor", "erasure"),
    ("slettekrav", "erasure"),
    ("sletteonsk", "erasure"),
    ("slettebe", "erasure"),
    ("deletion", "erasure"),
    ("erasure", "erasure"),
    ("innsyn", "access"),
    ("registerutdrag", "access"),
    ("innsynsbegj", "access"),
    ("access request", "access"),
    ("subject access", "access"),
    ("retting", "correction"),
    ("rettinga", "correction"),
    ("rettelse", "correction"),
    ("korrigering", "correction"),
    ("endringa", "correction"),
    ("endringen", "correction"),
    ("correction", "correction"),
    ("begrensning", "restriction"),
    ("avgrensing", "restriction"),
    ("restriction", "restriction"),
    ("protest", "objection"),
    ("innsigelse", "objection"),
    ("motsegn", "objection"),
    ("objection", "objection"),
    ("dataportabilitet", "portability"),
    ("portabilitet", "portability"),
    ("overforing", "portability"),
    ("dataoverforing", "portability"),
    ("portability", "portability"),
    ("avmelding", "opt_out"),
    ("reservasjon", "opt_out"),
    ("reklamestopp", "opt_out"),
    ("unsubscri", "opt_out"),
    ("opt-out", "opt_out"),
    ("opt out", "opt_out"),
    ("klagen", "complaint"),
    ("klaga", "complaint"),
    ("klagesak", "complaint"),
    ("complaint", "complaint"),
)
_KIND_PATTERNS = [
    (re.compile(r"(?<![\w-])" + re.escape(stem) + r"[\w-]*", re.IGNORECASE), kind)
    for stem, kind in KIND_STEMS
]


def find_request_kinds(text: str) -> List[Tuple[int, int, str]]:
    """(start, end, kind) for every word in ``text`` that names a kind of request."""
    folded = fold(text.lower())
    if len(folded) != len(text):  # "aa"/"oe" folding shifts offsets; match on the lower text
        folded = text.lower().translate(str.maketrans("æøå", "aoa"))
    found: List[Tuple[int, int, str]] = []
    taken: List[Tuple[int, int]] = []
    for pattern, kind in _KIND_PATTERNS:
        for match in pattern.finditer(folded):
            span = match.span()
            if any(s < span[1] and span[0] < e for s, e in taken):
                continue
            taken.append(span)
            found.append((span[0], span[1], kind))
    return sorted(found)


class _Extractor(GraphComponent, EntityExtractorMixin):
    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> _Extractor:
        return cls()

    def entities_for(self, text: str) -> List[Dict[str, Any]]:
        raise NotImplementedError

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            found = self.entities_for(message.get(TEXT) or "")
            if found:
                message.set(ENTITIES, list(message.get(ENTITIES, [])) + found, add_to_output=True)
        return messages

    def process_training_data(self, training_data: Any) -> Any:
        return training_data


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class LanguageDetector(_Extractor):
    """Adds ``language`` = ``en`` | ``nb`` when the message clearly is one of them."""

    def entities_for(self, text: str) -> List[Dict[str, Any]]:
        language = detect_language(text)
        if language is None:
            return []
        return [
            {
                "entity": "language",
                "value": language,
                "start": 0,
                "end": len(text),
                "confidence": 1.0,
                "extractor": type(self).__name__,
            }
        ]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class RequestKindExtractor(_Extractor):
    """Adds ``request_kind`` for words that name a kind of request (first one wins)."""

    def entities_for(self, text: str) -> List[Dict[str, Any]]:
        return [
            {
                "entity": "request_kind",
                "value": kind,
                "start": start,
                "end": end,
                "confidence": 1.0,
                "extractor": type(self).__name__,
            }
            for start, end, kind in find_request_kinds(text)[:1]
        ]


def kinds(texts: Iterable[str]) -> List[Optional[str]]:
    """The first request kind named in each text (None if none); for tests and reports."""
    return [next((k for _, _, k in find_request_kinds(t)), None) for t in texts]
