"""Natural data installed from package registries: a text corpus of passages and a labelled
photo collection, each split once into an exemplar split (for tools) and a held-out split (for
the benchmark only; see `models.natural.splits.heldout_corpus`).

`python -m models.natural` reports what is installed and what to install.
"""

from models.natural.splits import natural_corpus, split_of

__all__ = ["natural_corpus", "split_of"]
