"""The controls every result is reported beside: a one-shot description from exemplars alone."""

from __future__ import annotations


def exemplar_oneshot(address: str, modality: str) -> str:
    """A one-shot description from the unit's exemplars alone, in open words, without
    experiments (the `oneshot` policy's answer: what the top exemplars share against the
    corpus's base rates)."""
    from agent.policies.oneshot import oneshot_description

    return oneshot_description(address, modality)
