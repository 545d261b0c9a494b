"""Text normalisation for Norwegian as customers really write it.

Customers write Bokmål and Nynorsk, dialect, SMS style and often without æøå. The
featurizers see a normalised form of each token so that these variants meet:
``norm()`` lower-cases, maps Nynorsk and dialect function words to Bokmål and folds
æøå; ``stem()`` adds the Snowball Norwegian stemmer on top. The message text itself
is never changed, so entity offsets stay right.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

# Nynorsk, dialect and SMS spellings of frequent words, mapped to Bokmål.
# Only words whose meaning is unambiguous in this domain belong here.
WORD_MAP: dict[str, str] = {
    # pronouns and function words (Nynorsk / dialect)
    "eg": "jeg",
    "æ": "jeg",
    "je": "jeg",
    "jæ": "jeg",
    "mæ": "meg",
    "mej": "meg",
    "deg": "deg",
    "dæ": "deg",
    "dokker": "dere",
    "dykk": "dere",
    "dykkar": "deres",
    "dokkers": "deres",
    "dokkas": "deres",
    "dåkker": "dere",
    "dere's": "deres",
    "ikkje": "ikke",
    "ikkj": "ikke",
    "itj": "ikke",
    "ikk": "ikke",
    "ike": "ikke",
    "ikek": "ikke",
    "kva": "hva",
    "ka": "hva",
    "va": "hva",
    "kå": "hva",
    "hvafor": "hvorfor",
    "kvifor": "hvorfor",
    "korfor": "hvorfor",
    "kafor": "hvorfor",
    "koffor": "hvorfor",
    "kofor": "hvorfor",
    "korleis": "hvordan",
    "koss": "hvordan",
    "kossen": "hvordan",
    "åssen": "hvordan",
    "hvordn": "hvordan",
    "hordan": "hvordan",
    "kor": "hvor",
    "kvar": "hvor",
    "kordan": "hvordan",
    "kven": "hvem",
    "kem": "hvem",
    "kenn": "hvem",
    "hvm": "hvem",
    "kor lenge": "hvor lenge",
    "når": "når",
    "kortid": "når",
    "kor tid": "når",
    "òg": "også",
    "og så": "også",
    "ein": "en",
    "eit": "et",
    "ei": "en",
    "frå": "fra",
    "fraa": "fra",
    "berre": "bare",
    "bære": "bare",
    "mykje": "mye",
    "mykkje": "mye",
    "noko": "noe",
    "nokre": "noen",
    "nokon": "noen",
    "korkje": "verken",
    "dei": "de",
    "dai": "de",
    "dem": "dem",
    "vere": "være",
    "vera": "være",
    "heile": "hele",
    "dette": "dette",
    "kan": "kan",
    "ska": "skal",
    "sku": "skulle",
    "vil": "vil",
    "ville": "ville",
    "treng": "trenger",
    "trenge": "trenger",
    "veit": "vet",
    "vett": "vet",
    "seie": "si",
    "sei": "si",
    "gjere": "gjøre",
    "gjer": "gjør",
    "gjør": "gjør",
    "sjå": "se",
    "høyre": "høre",
    "opplysningane": "opplysningene",
    "opplysingar": "opplysninger",
    "opplysingane": "opplysningene",
    "personopplysingar": "personopplysninger",
    "personopplysingane": "personopplysningene",
    "kundeforholdet": "kundeforholdet",
    "slett": "slett",
    "sletta": "slette",
    "slettast": "slettes",
    "lagra": "lagre",
    "lagrar": "lagrer",
    "lagrast": "lagres",
    "brukar": "bruker",
    "brukast": "brukes",
    "deler": "deler",
    "deiler": "deler",
    "delar": "deler",
    "stoppe": "stoppe",
    "stopp": "stopp",
    "takk": "takk",
    "tusen": "tusen",
    "tk": "takk",
    "tnx": "takk",
    "thx": "takk",
    "mvh": "mvh",
    "hade": "ha det",
    "hadet": "ha det",
    "pls": "vær så snill",
    "plz": "vær så snill",
    "epost": "epost",
    "e-post": "epost",
    "email": "epost",
    "mail": "epost",
    "e-mail": "epost",
    "mailen": "eposten",
    "eposten": "eposten",
    "e-posten": "eposten",
    "sms": "sms",
    "sms'er": "smser",
    "tekstmelding": "sms",
    "tekstmeldinger": "smser",
}

_FOLD = str.maketrans(
    {
        "æ": "ae",
        "ø": "o",
        "å": "a",
        "é": "e",
        "è": "e",
        "ê": "e",
        "ö": "o",
        "ä": "ae",
        "ü": "u",
        "ó": "o",
        "à": "a",
    }
)
_REPEAT = re.compile(r"(.)\1{2,}")
_STEMMER = snowballstemmer.stemmer("norwegian")


def fold(text: str) -> str:
    """Fold æøå and accents to ASCII the way customers without æøå write them."""
    text = text.translate(_FOLD)
    # "aa" is the old and the keyboard-less spelling of "å"; both fold to "a".
    text = text.replace("aa", "a")
    # "oe" written for "ø" ("soek") folds with "o".
    text = text.replace("oe", "o")
    return text


@lru_cache(maxsize=50_000)
def norm(token: str) -> str:
    """Lower-case, map dialect/Nynorsk words to Bokmål, squeeze repeats, fold æøå."""
    t = unicodedata.normalize("NFC", token).lower().strip()
    t = _REPEAT.sub(r"\1\1", t)  # "heeeei" -> "heei"
    t = WORD_MAP.get(t, t)
    return fold(t)


@lru_cache(maxsize=50_000)
def stem(token: str) -> str:
    """Snowball-stem the Bokmål form, then fold, so inflections and spellings meet."""
    t = unicodedata.normalize("NFC", token).lower().strip()
    t = _REPEAT.sub(r"\1\1", t)
    t = WORD_MAP.get(t, t)
    if " " in t:
        return fold(t)
    return fold(_STEMMER.stemWord(t))
