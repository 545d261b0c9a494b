"""A spaCy tokenizer for Rasa that gives featurizers normalised Norwegian tokens.

``token.text`` becomes the normalised surface form (``normalize.norm``) and
``token.lemma`` the folded Snowball stem (``normalize.stem``); start and end offsets
still point into the original message, so entity extraction is unaffected. Configure
char n-gram featurizers with ``use_lemma: false`` (surface) and the word featurizer
with ``use_lemma: true`` (stems).
"""

from __future__ import annotations

from typing import List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.spacy_tokenizer import SpacyTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.training_data.message import Message

from bot.nlp.normalize import norm, stem


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class NorwegianTokenizer(SpacyTokenizer):
    """SpacyTokenizer (blank ``nb`` pipeline) plus Norwegian normalisation and stems."""

    def tokenize(self, message: Message, attribute: str) -> List[Token]:
        tokens = super().tokenize(message, attribute)
        for token in tokens:
            surface = token.text
            token.text = norm(surface) or surface
            token.lemma = stem(surface) or token.text
        return tokens
