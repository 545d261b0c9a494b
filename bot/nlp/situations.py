"""What a message is about beyond its intent, found by patterns (no training, no model files).

``SituationDetector`` (config.yml, after the other extractors) adds up to four entities, each
filling a slot for one turn (domain.yml) that the rules (data/rules/policy.yml, topics.yml)
use to choose the answer over the request:

* ``question`` = ``how``: the message asks how a right works or what it takes («Hvordan ber
  jeg om registerutdrag?», «Må det være skriftlig?», «Hva kan dere ikke slette?»), not for
  the request itself («Jeg vil ha innsyn»). The intent may well be ``request_access``: the
  catalog calls that a request; the answer then says what the policy requires and offers it.
* ``situation``: someone else's data: ``deceased`` (a relative who died), ``contact_person``
  (a company's former contact person: a correction), ``company`` (a company asking for
  itself: the policy's rule for companies).
* ``policy_topic``: topics the policy is silent on whose phrasing needs more than a word list
  (data/nlu/topics.yml has the word lists): ``unsolicited_code`` («jeg fikk en kode jeg ikke
  ba om»), ``storage`` (where the data is stored), ``transfer`` (outside the EEA),
  ``automated`` (automated decisions, profiling), ``telemarketing``, ``processor``
  (data processing agreements).

* ``personal_data`` = ``yes``: the message is about personal data at all («tar dere opp
  samtalene?», «har dere kamera ved anlegget?», «what do you do with my data?»). When the
  NLU finds no policy topic in such a message (``out_of_scope``, ``nlu_fallback``), the
  reply says the chat finds nothing about it in the policy and how to ask (domain.yml,
  utter_out_of_scope), never «I only help with privacy».

Patterns match the lower-cased, æøå-folded text (``bot.nlp.normalize.fold``), Bokmål,
Nynorsk, dialect and English.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Tuple

from rasa.engine.recipes.default_recipe import DefaultV1Recipe

from bot.nlp.extractors import _Extractor
from bot.nlp.normalize import fold

_I = r"(?:jeg|eg|e|æ|ae|i|man|vi|me)"
_NOT = r"(?:ikke|ikkje|ikkj|itj|inte|not|n't)"
# the subject right after the verb: a yes/no question («sletter dere ...», «kan eg ...»)
_ASKED = r"(?:dere|de|dokker|dykk|jeg|eg|e|æ|ae|man|du|vi|me|you|i|we)"

# a request in so many words: a how-word does not make it a question («jeg vil ha innsyn,
# hvordan gjør jeg det?» starts the request)
_WANTS = re.compile(
    r"\b(?:jeg|eg|e|æ|ae|vi|me)\s+(?:vil|ønsker|onsker|onske|ynskjer|vill)\b"
    r"|\bvil (?:gjerne|ha)\b|\bi (?:want|would like|'d like)\b|\bplease\b|\bsnill\b"
    r"|\b(?:slett|fjern|send|gi)\s+(?:meg|oss|alt)\b|\bstart\b",
)
# Each way a message asks how a right works or what it takes, by name; tests/actions/
# test_answers.py has an example for every name that no other pattern matches.
QUESTION_PATTERNS: Dict[str, str] = {
    "how_word": r"\b(?:hvordan|korleis|koss|kossen|åssen|assen|hvorleis|how)\b",
    # «må det være skriftlig?», also «hva må jeg legge ved?», «kva skal eg skrive?»
    "must_it": (
        r"\b(?:ma|må|skal|trenger|treng|trengs|bor|bør)\s+(?:det|den|jeg|eg|e|man|vi|me"
        r"|forespørselen|foresporselen|kravet|brevet|søknaden)\b"
        r"|\b(?:do|must|should)\s+(?:i|we)\b|\bdoes it have to\b|\bis it enough\b"
    ),
    "difference": r"\bforskjell\w*|\bdifference\b",
    # «selv om» in a question («sletter dere meg selv om jeg er kunde»: verb first, or a «?»),
    # not in a statement («Dere ringte meg selv om jeg hadde reservert meg»: a complaint)
    "even_if": (
        r"^\s*\w+\s+" + _ASKED + r"\b.*\b(?:selv|sjolv|sjølv) om\b|\b(?:selv|sjolv|sjølv) om\b.*\?"
        r"|^\s*\w+\s+" + _ASKED + r"\b.*\beven (?:if|though)\b|\beven (?:if|though)\b.*\?"
    ),
    # «hva får jeg tilsendt når jeg ber om registerutdrag?»: what the right gives
    "what_i_get": (
        r"\b(?:hva|kva|ka)\s+(?:far|får)\s+(?:jeg|eg|e|æ|man)\s+(?:tilsendt|utlevert|se|vite"
        r"|sendt)\b|\bwhat (?:do|will|would) i (?:get|receive)\b"
    ),
    "what_cannot": (
        r"\bhva\s+(?:kan|kan\s+ikke)\s+dere\s+"
        + _NOT
        + r"|\bkva\s+kan\s+(?:de|dokker|dykk)\s+"
        + _NOT
        + r"|\bhva er (?:det )?(?:dere )?"
        + _NOT
        + r"\s+kan\b"
        r"|\bhva kan (?:ikke|ikkje) slettes\b|\bwhat (?:can't|cannot|can you not) you\b"
    ),
    "who_may_ask": (
        r"\bhvem (?:hos oss|i firmaet|i selskapet|i bedriften|kan be|kan sende|kan kreve)\b"
        r"|\bkven (?:hjå oss|hja oss|kan be)\b|\bwho (?:can|may) (?:ask|request)\b"
    ),
    # whether one has the right, not the request: «Har jeg rett til å ...?», «Kan jeg
    # protestere mot ...?» («kan jeg få innsyn?» is a polite request, not matched)
    "have_the_right": (
        r"\bhar (?:jeg|eg|e|æ|man|vi|me) (?:ikke |ikkje )?rett\b"
        r"|\b(?:har|får|far) (?:jeg|eg|man|vi|me) lov\b"
        r"|\b(?:do|have) i (?:got )?(?:the |a )?right\b|\bam i (?:entitled|allowed)\b"
    ),
    "may_i_oppose": (
        r"\bkan (?:jeg|eg|e|æ|man|vi|me) (?:protestere|motsette|nekte|reservere|kreve|klage)\b"
        r"|\b(?:can|may) i (?:object|refuse|complain|demand|opt out)\b"
    ),
    # whether one may ask at all: «kan jeg be dere om ...?», «får jeg ... hvis jeg ber om det?»
    "may_i_ask": (
        r"\bkan (?:jeg|eg|e|æ|man|vi|me) (?:be (?:dere|dokker|dykk|de|om)|ta med|kreve|flytte"
        r"|fa (?:dem |dataene |opplysningene |opplysningane )?(?:flyttet|flytta|overf[oø]rt))\b"
        r"|\b(?:hvis|viss|om) (?:jeg|eg|e|æ|vi|me) (?:spør|spor|ber|krever|kreve)\b"
        r"|\bcan i (?:ask|request|take my data|have my data moved|get my data moved|move)\b"
        r"|\bif i (?:ask|request)\b"
    ),
    # a question by its first words: why, when, who, what happens / means, is it, does it
    # («hva har dere om meg?» is left out: a customer who asks it often wants the extract)
    "opener": (
        r"^\W*(?:hvorfor|kvifor|korfor|når|naar|hvem|kven|hva skjer|kva skjer|hva betyr"
        r"|kva tyder|hva innebærer|hva inneberer|hva er|kva er|er det|gjelder|gjeld|why|when"
        r"|who|what happens|what does|what is|is it|does|are you allowed)\b"
    ),
}
_QUESTION = re.compile("|".join(f"(?:{pattern})" for pattern in QUESTION_PATTERNS.values()))
# words about what a request takes: a question whatever the grammar
_REQUIREMENT = re.compile(
    r"\b(?:skriftlig\w*|skriftleg\w*|in writing|underskr\w+|signert?\b|signatur\w*|konvolutt\w*"
    r"|envelope|id-kopi|kopi av (?:id|legitimasjon|pass|førerkort|forerkort)|legitimasjon\w*"
    r"|copy of (?:my |an )?id"
    r"|(?:ikke|ikkje|uten|utan|no|not have)\s+(?:har\s+)?(?:internett|nett|pc)\b"
    r"|har ikkje internett|har ikke internett|don't have (?:the )?internet"
    r"|without (?:the )?internet"
    r"|per post\b|i posten\b|by (?:post|letter)\b|registrer ekstra persondata)"
)

_SITUATIONS: List[Tuple[str, re.Pattern]] = [
    (
        "deceased",
        re.compile(
            r"\b(?:dode|døde|doydde|døydde|doyde|døyde|avdod\w*|avdød\w*|dodsbo\w*|dødsbo\w*"
            r"|dodsfall\w*|dødsfall\w*|gatt bort|gått bort|gikk bort|gjekk bort|er dod|er død"
            r"|passed away|died|deceased|late (?:mother|father|husband|wife|mum|dad))\b"
        ),
    ),
    (
        "contact_person",
        re.compile(
            r"\b(?:gamle|gammel|tidligere|tidlegare|forrige|forr?ige|eks|sluttet|slutta|fjern\w*"
            r"|slett\w*|bytt\w*|skift\w*|ny)\s+(?:den\s+|var\s+|vår\s+|var\s+)?kontaktperson\w*"
            r"|kontaktperson\w*\s+(?:vår|var|vaar|vores|som)?\s*(?:har\s+|har\s+nettopp\s+)?"
            r"(?:sluttet|slutta|gått av|gatt av|jobber ikke|jobbar ikkje|er ikke lenger)"
            r"|\b(?:former|old|previous) contact person\b"
        ),
    ),
    (
        "company",
        re.compile(
            r"\b(?:vi|me) er (?:et|eit|ei|en) (?:aksjeselskap|as|firma|selskap|borettslag|sameie"
            r"|bedrift|foretak|enkeltpersonforetak|forening|lag|kommune)\b"
            r"|\bpå vegne av (?:firmaet|selskapet|bedriften|borettslaget|sameiet|foretaket)\b"
            r"|\bpa vegne av (?:firmaet|selskapet|bedriften|borettslaget|sameiet|foretaket)\b"
            r"|\b(?:we are a|on behalf of (?:our|the|my)) (?:company|firm|business)\b"
            r"|\bsom (?:et )?(?:aksjeselskap|firma|bedrift)\b"
        ),
    ),
]

_TOPICS: List[Tuple[str, re.Pattern]] = [
    (
        "unsolicited_code",
        re.compile(
            r"\b\w*kode\w*\b.{0,40}\b(?:"
            + _I
            + r"\s+)?(?:"
            + _NOT
            + r"\s+(?:har\s+)?(?:ba|bad|bedt"
            r"|bede|spurt|bestilt|bestilte|bedd)|ba\s+" + _I + r"\s+" + _NOT + r"|uten\s+a\s+ha"
            r"|utan\s+a\s+ha|ukjent|uventet|ikke\s+har\s+bedt)\b"
            r"|\b(?:ukjent|uventet|rar|merkelig|mystisk)e?\s+kode\b"
            # «hvorfor fikk jeg en kode?», «fikk en kode, men har ikke gjort noe»
            r"|\b(?:hvorfor|kvifor|korfor|why)\b(?!.*\b(?:ikke|ikkje|itj|not|never|aldri)\b)"
            r".{0,30}\b(?:fikk|får|far|fekk|have i got"
            r"|did i get|am i getting)\b.{0,30}\w*(?:kode|code)\w*\b"
            r"|\b\w*(?:kode|code)\w*\b.{0,50}\b(?:ikke gjort noe|ikkje gjort noko|ikke gjort"
            r" noen ting|out of the blue|haven't done anything|have not done anything)\b"
            r"|\bcode\b.{0,30}\b(?:didn't|did not|never|not)\s+(?:ask|request)"
            r"|\b(?:unexpected|unknown|strange) code\b"
        ),
    ),
    (
        "storage",
        re.compile(
            r"\b(?:hvor|kor|where)\b(?!\s+(?:lenge|lang|long))"
            r"(?:.{0,40}\b(?:data\w*|opplysning\w*|opplysing\w*|info\w*|register\w*|it)\b.{0,20}"
            r"\b(?:lagret|lagra|lagres|lagrast|oppbevart|oppbevares|stored|kept|held|ligger|located)\b"
            r"|\s+(?:lagrer|lagrar|lagres|oppbevarer|do you (?:store|keep)|is my data))"
            r"|\b(?:i|in) norge eller\b|\bin norway or\b|\b(?:i|in) (?:skyen|the cloud)\b"
            r"|\bservere?n?e?\b|\bservers?\b|\bdatasenter\w*|\bhvilket land\b|\bkva land\b"
            r"|\bwhich country\b"
        ),
    ),
    (
        "transfer",
        re.compile(
            r"\butenfor (?:eos|eøs|eu|europa|norge)\b|\butanfor (?:eos|eøs|eu|europa|noreg)\b"
            r"|\boutside (?:the )?(?:eea|eu|europe|norway)\b|\btredjeland\w*|\bthird countr\w*"
            r"|\b(?:overf[oø]r\w*|sender|send\w*|transfer\w*)\b.{0,30}\b(?:til|to) (?:usa|utlandet"
            r"|amerika|kina|abroad)\b"
        ),
    ),
    (
        "automated",
        re.compile(
            r"\bautomati\w*\s+(?:avgj[oø]rels\w*|avgjerd\w*|beslutning\w*|vedtak\w*|decision\w*)"
            r"|\bprofilering\w*|\bprofilerer\b|\bprofiling\b|\bautomated decision\w*"
            r"|\bkunstig intelligens\b|\bmaskinl[aæ]ring\b"
            r"|\bai\b.{0,20}\b(?:bestemmer|avgjør|avgjor)"
        ),
    ),
    (
        "telemarketing",
        re.compile(
            r"\btelefonsalg\w*|\btelemarketing\b|\btelesalg\w*|\bsalgsoppringing\w*"
            r"|\bring\w*\b.{0,25}\b(?:salg|selge|selgje|tilbud|reklame)\b"
            r"|\bsales calls?\b|\bcold call\w*|\bcall\w* (?:me|people) to sell\b"
        ),
    ),
    (
        "processor",
        re.compile(
            r"\bdatabehandleravtal\w*|\bdatabehandlaravtal\w*|\bdatabehandlere?\b"
            r"|\bdata processing agreement\w*|\bprocessor agreement\w*|\bdpa\b"
        ),
    ),
]


_NOT_PERSONAL = r"(?! om (?:pris\w*|levering\w*|produkt\w*|tilbud\w*|apningstid\w*|åpningstid\w*))"
_PERSONAL_DATA = re.compile(
    r"\b(?:personvern\w*|personopplys\w*|persondata\w*|gdpr|privacy"
    r"|personal (?:data|information|details)|opplysning\w*\b"
    + _NOT_PERSONAL
    + r"|opplysing\w*\b"
    + _NOT_PERSONAL
    + r"|data(?:ene|a)?\b|info(?:rmasjon(?:en)?)? om (?:meg|mæ|mae|me|oss)"
    r"|my (?:data|details|information)|(?:data|information) about (?:me|us|my)\b"
    r"|lagr(?:er|ar|es|ast|et|a)\b|registrer(?:er|ar|es|t)\b|oppbevar\w*"
    r"|slett(?:e|er|ar|es|et|a|ing\w*)\b|overvak\w*|overvåk\w*|kamera\w*|videoovervak\w*"
    r"|opptak\w*|lydopptak\w*|ta(?:r|k)? (?:dere |de |dykk |dokker )?opp (?:samtal\w*"
    r"|telefon\w*|lyd\w*|chat\w*)|loggf[oø]r\w*|logges\b|chatlogg\w*|sporing\w*"
    r"|spore[rt]\b|sikkerhetskopi\w*|backup\w*|samtykk\w*|consent\w*|surveillance"
    r"|cameras?\b|record(?:s|ed|ing)?\b|stored\b|store my|keep my|delete\w*|tracking"
    r"|track me)"
)


def about_personal_data(text: str) -> bool:
    """Is the message about personal data at all (the slot ``personal_data``)?"""
    folded, lowered = _fold(text), text.lower()
    return bool(_PERSONAL_DATA.search(folded) or _PERSONAL_DATA.search(lowered))


def _fold(text: str) -> str:
    lowered = text.lower()
    folded = fold(lowered)
    return folded if len(folded) == len(lowered) else lowered


def asks_how(text: str) -> bool:
    """A question about how a right works or what it takes, not the request itself.

    A request in so many words stays a request, whatever it mentions («send meg utdraget i
    posten», «jeg vil ha innsyn, legger ved kopi av legitimasjon»), unless it also asks
    what the request takes («jeg vil ha innsyn, må det være skriftlig?»)."""
    folded, lowered = _fold(text), text.lower()
    requirement = bool(_REQUIREMENT.search(folded) or _REQUIREMENT.search(lowered))
    if _WANTS.search(folded):
        return requirement and "?" in text
    return requirement or bool(_QUESTION.search(folded) or _QUESTION.search(lowered))


def situation_of(text: str) -> Optional[str]:
    folded, lowered = _fold(text), text.lower()
    return next((name for name, p in _SITUATIONS if p.search(folded) or p.search(lowered)), None)


def topic_of(text: str) -> Optional[str]:
    folded, lowered = _fold(text), text.lower()
    return next((name for name, p in _TOPICS if p.search(folded) or p.search(lowered)), None)


def _entity(name: str, value: str, text: str) -> Dict[str, Any]:
    return {
        "entity": name,
        "value": value,
        "start": 0,
        "end": len(text),
        "confidence": 1.0,
        "extractor": "SituationDetector",
    }


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class SituationDetector(_Extractor):
    """Adds ``question``, ``situation``, ``policy_topic`` and ``personal_data`` (see the
    module's docstring)."""

    def entities_for(self, text: str) -> List[Dict[str, Any]]:
        if not text or text.startswith("/"):
            return []
        found = []
        if asks_how(text):
            found.append(_entity("question", "how", text))
        situation = situation_of(text)
        if situation:
            found.append(_entity("situation", situation, text))
        topic = topic_of(text)
        if topic:
            found.append(_entity("policy_topic", topic, text))
        if about_personal_data(text):
            found.append(_entity("personal_data", "yes", text))
        return found
