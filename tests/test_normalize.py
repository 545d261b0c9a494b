"""Spelling variants of the same Norwegian word meet after normalisation."""

import pytest

from bot.nlp.normalize import fold, norm, stem


@pytest.mark.parametrize(
    "a,b",
    [
        ("personopplysningene", "personopplysninger"),
        ("slette", "slettes"),
        ("får", "faar"),
        ("spørsmål", "sporsmal"),
        ("Innsyn", "INNSYN"),
        ("opplysingar", "opplysninger"),
    ],
)
def test_variants_share_a_stem(a, b):
    assert stem(a) == stem(b)


@pytest.mark.parametrize(
    "nynorsk,bokmaal",
    [("kva", "hva"), ("ikkje", "ikke"), ("eg", "jeg"), ("korleis", "hvordan"), ("frå", "fra")],
)
def test_nynorsk_function_words_map_to_bokmaal(nynorsk, bokmaal):
    assert norm(nynorsk) == norm(bokmaal)


def test_fold_removes_norwegian_letters():
    assert fold("blåbærsyltetøy") == "blabaersyltetoy"


def test_repeated_letters_are_squeezed():
    assert norm("heeeeei") == norm("heei")
