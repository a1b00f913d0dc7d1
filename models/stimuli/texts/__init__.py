"""Text stimuli: the offline template corpus, concept-controlled texts, and texts from files."""

from models.concepts.lexicons import IRREGULAR_PLURALS, LEXICONS, plural
from models.stimuli.texts.files import texts_from_file
from models.stimuli.texts.writer import (
    ABSENT_BELOW,
    PRESENT_AT,
    concept_names,
    corpus,
    realize,
    sentences_with,
)

__all__ = ["ABSENT_BELOW", "IRREGULAR_PLURALS", "LEXICONS", "PRESENT_AT", "concept_names",
           "corpus", "plural", "realize", "sentences_with", "texts_from_file"]
