"""Norwegian NLU components for Rasa (normalisation, stemming, spaCy pipeline)."""
