"""Build the Norwegian spaCy pipeline that Rasa's SpacyNLP loads by path.

No pretrained Norwegian model can be downloaded here, so the pipeline is
``spacy.blank("nb")`` (Norwegian tokenizer rules and stop words) plus the lookup
lemmatizer whose tables ship in ``spacy-lookups-data``. Run as
``python -m bot.nlp.build_spacy [TARGET]``; it writes nothing when the target is current.
"""

from __future__ import annotations

import sys
from pathlib import Path

import spacy

DEFAULT_TARGET = Path("var/spacy/nb_blank")
VERSION_MARK = "klbot-nb-pipeline-v1"


def build(target: Path = DEFAULT_TARGET) -> Path:
    mark = target / "KLBOT_VERSION"
    if mark.exists() and mark.read_text().strip() == f"{VERSION_MARK} spacy={spacy.__version__}":
        return target
    nlp = spacy.blank("nb")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    target.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(target)
    mark.write_text(f"{VERSION_MARK} spacy={spacy.__version__}\n")
    return target


def main() -> None:
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_TARGET
    path = build(target)
    print(f"spaCy pipeline (blank nb + lookup lemmatizer) ready at {path}")


if __name__ == "__main__":
    main()
