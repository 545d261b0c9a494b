"""How wide an opt-out the customer asked for: the channels named decide.

"dere sender meg alt for mye reklame på epost" stops e-mail only: the channel named wins over
any "all"-like word, unless the words are about the channels themselves ("på alle kanaler",
"uansett kanal", "overalt"). Only without a named channel do "alle / alt / all reklame /
everything" mean every channel; "alt for" and "altfor" (too much) never do. Without either,
the answer is [] and the assistant asks which channel. "alt unntatt brev" and "e-post, men
SMS er greit" leave the excluded channel out.

A pure function of the message text and the NLU's ``marketing_channel`` values (used only
when the words name no channel, e.g. a button's payload), so that it is tested directly
(tests/actions/test_opt_out_scope.py).
"""

from __future__ import annotations

import re
from typing import Iterable, List, Set

CHANNELS = ["sms", "email", "post"]

_CONTACTS = re.compile(
    r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)*\.[A-Za-z]{2,}|(?<![\w+])(?:\+|00)?\d[\d \-.]{6,15}\d(?!\w)"
)
_WORDS = {
    "sms": r"sms\w*|tekstmeld\w*|mobil(?:en|telefonen)?",
    "email": r"e-?post(?:er|ene|en)?|e-?mail\w*|mail(?:er|ene|en)?|nyhetsbrev\w*|newsletters?",
    "post": r"(?:reklame)?brev\w*|posten|post|papirpost|postkass\w*|letters?|snail ?mail",
}
_CHANNEL = {
    c: re.compile(rf"(?<![\w@.\-])(?:{w})(?![\w@])", re.IGNORECASE) for c, w in _WORDS.items()
}
# words about the channels themselves: these mean every channel even next to a named one
_EVERY_CHANNEL = re.compile(
    r"\b(?:alle\s+(?:kanaler|kanalene|kanalar|stader|steder|måter|former|typer|slags)|"
    r"på\s+alle(?:\s+måter)?\s*$|uansett\s+kanal|overalt|alle\s+tre|all\s+channels|"
    r"every\s+channel|everywhere)\b",
    re.IGNORECASE,
)
# "all"-like words: every channel only when no channel is named
_ALL = re.compile(
    r"(?<![\w\-])(?:alle|all|alt(?!\s+for\b)|samtlige|everything|anything|"
    r"i\s+det\s+hele\s+tatt|noe\s+som\s+helst|ingen\s+(?:reklame|markedsføring))(?![\w\-])",
    re.IGNORECASE,
)
_EXCEPT = re.compile(
    r"\b(?:unntatt|untatt|bortsett\s+fra|except|but\s+not|ikke|ikkje|ikkj)\s+(?:på\s+|for\s+)?"
    r"(?P<word>\S+)",
    re.IGNORECASE,
)
_FINE = re.compile(
    r"\b(?:men|but)\s+(?:(?:fortsatt|still)\s+)?(?P<word>\S+)\s+(?:er|e|is)\s+"
    r"(?:greit|grei|fint|ok|okei|i orden|fine)\b",
    re.IGNORECASE,
)


# A clause that keeps a channel: «men fortsett å sende brev», «brev vil jeg fortsatt ha»,
# «men e-post går fint», «but keep sending letters» (and no stop in that clause)
_CLAUSES = re.compile(r"\b(?:men|but|mens|while|however)\b|[,;.!?]", re.IGNORECASE)
_KEEP = re.compile(
    r"\b(?:fortsett\w*|fortsatt|framleis|fremdeles|behold\w*|gjerne|greit|grei|fint|ok|okei|"
    r"i orden|går bra|vil (?:jeg|eg) (?:fortsatt |framleis |gjerne )?ha|keep\w*|continue\w*|"
    r"still|fine|okay|alright)\b",
    re.IGNORECASE,
)
_STOP = re.compile(
    r"\b(?:stopp\w*|stans\w*|slutt\w*|avslutt\w*|reserver\w*|ikke|ikkje|itj|aldri|ingen|"
    r"meld\w* av|stop\w*|no more|not|don'?t|unsubscri\w*|opt.?out)\b|reklame|markedsf|"
    r"marknadsf|marketing",
    re.IGNORECASE,
)


def _kept(text: str) -> Set[str]:
    """Channels the customer wants to keep, each named in a clause of its own that keeps."""
    out: Set[str] = set()
    for clause in _CLAUSES.split(text):
        if _KEEP.search(clause) and not _STOP.search(clause):
            out.update(_channels_in(clause))
    return out


def asks_to_stop(text: str) -> bool:
    """Does a clause other than a keeping one ask to stop marketing?"""
    return any(_STOP.search(clause) and not _KEEP.search(clause) for clause in _CLAUSES.split(text))


def _channels_in(text: str) -> List[str]:
    return [c for c in CHANNELS if _CHANNEL[c].search(text)]


def _excluded(text: str, named: Set[str], has_all: bool) -> Set[str]:
    """Channels the message keeps ("alt unntatt brev", "men sms er greit")."""
    out: Set[str] = set()
    for pattern in (_EXCEPT, _FINE):
        for match in pattern.finditer(text):
            out.update(_channels_in(match.group("word")))
    # "jeg vil ikke ha sms" names SMS as the one to stop: only exclude when something stays
    if not has_all and out >= named:
        return set()
    return out


def channels_asked(text: str, entity_values: Iterable[str] = ()) -> List[str]:
    """The marketing channels ("sms", "email", "post") the message asks to stop, in that
    order; [] when it does not say which (ask)."""
    plain = _CONTACTS.sub(" ", text or "")
    plain = re.sub(r"\be\s+post", "epost", plain, flags=re.IGNORECASE)
    plain = re.sub(r"\baltfor\b", "alt for", plain, flags=re.IGNORECASE)
    named = set(_channels_in(plain))
    values = {str(v).lower() for v in entity_values if v}
    if not named:
        # the NLU's values count only where the words say nothing (a button's payload): its
        # regex reads "e post" as post, the words here as e-mail
        named = values & set(CHANNELS)
    every = bool(_EVERY_CHANNEL.search(plain))
    has_all = every or bool(_ALL.search(plain)) or "all" in values
    kept = _kept(plain)
    excluded = _excluded(plain, named, has_all) | kept
    stops_in_general = bool(kept) and not (named - kept) and asks_to_stop(plain)
    if every or stops_in_general or (has_all and not (named - excluded)):
        # «stopp reklame, men send gjerne brev»: every channel but the one kept
        chosen = set(CHANNELS)
    else:
        chosen = named
    return [c for c in CHANNELS if c in chosen - excluded]
