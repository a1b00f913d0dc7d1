"""The controls every result is reported beside: a one-shot description from exemplars alone."""

from __future__ import annotations


def exemplar_oneshot(address: str, modality: str, k: int = 16) -> str:
    """A one-shot explanation from exemplars alone (no experiments): the concept whose share
    among the top-k exemplars most exceeds its share in the cache's random sample."""
    from models.exemplars import exemplars, layer_exemplars
    from models.units import parse_unit
    from tools.contrast import concept_tags, vocabulary

    unit = parse_unit(address)
    top = exemplars(address, k=k)
    cache = layer_exemplars(unit.model, unit.layer)
    sample = cache.corpus.items(list(cache.sample_indices))
    top_tags = concept_tags(modality, [e.stimulus for e in top])
    base_tags = concept_tags(modality, sample)
    best, best_lift = None, -1.0
    for concept in sorted(vocabulary(modality)):
        lift = (sum(concept in t for t in top_tags) / len(top_tags)
                - sum(concept in t for t in base_tags) / max(len(base_tags), 1))
        if lift > best_lift:
            best, best_lift = concept, lift
    if best is None:
        return "no clear concept among the top exemplars"
    return f"fires on {vocabulary(modality)[best].phrase}"
