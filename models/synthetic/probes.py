"""Fresh stimuli on which any synthetic unit (any composition tree, hidden concepts included)
should fire or stay silent, labelled by the reference truth of `models.synthetic.oracle`.

Candidate stimuli are drawn from cells: which of the unit's vocabulary concepts to include
and which to exclude, chosen so that the tree, read at the level of the whole input, comes out
as wanted (positives) or not (negatives, with near misses: all but one concept, the excluded
one present). Each candidate is then labelled by the oracle from what it is made of (a scene
spec, or the tokens' concepts), and only those whose truth is the wanted one, and sure, are
kept. Hidden concepts cannot be asked for; random scenes and fillers supply them.
"""

from __future__ import annotations

import itertools

import numpy as np

from models.concepts import vocabulary
from models.concepts.lexicons import SUBLEXICON_PARENT
from models.concepts.trees import Tree, leaves
from models.errors import ModelsError
from models.synthetic.base import SyntheticUnitSpec
from models.synthetic.detect import leaf_maps
from models.synthetic.oracle import Element, scene_elements, token_elements, truth


def _input_truth(tree: Tree, present: dict[str, bool]) -> bool:
    """The tree read at the level of the whole input (bound operators as their families)."""
    if isinstance(tree, str):
        return present[tree]
    args = [_input_truth(arg, present) for arg in tree.args]
    if tree.op == "or":
        return any(args)
    if tree.op in ("and", "bound_and"):
        return all(args)
    return args[0] and not args[1]


def _consistent(modality: str, include: set[str], exclude: set[str]) -> bool:
    if modality == "text":
        for child, parent in SUBLEXICON_PARENT.items():
            if child in include and parent in exclude:
                return False
    if modality == "vision":
        if {"many_objects", "single_object"} <= include:
            return False
        patterns = [c for c in include if vocabulary("vision")[c].category == "pattern"]
        if len(patterns) > 1:
            return False
    return True


def cells(spec: SyntheticUnitSpec, positive: bool) -> list[tuple[list[str], list[str]]]:
    """(include, exclude) lists of vocabulary concepts whose input-level truth is `positive`.

    Hidden concepts are neither included nor excluded; a cell qualifies if some presence of
    them gives the wanted truth.
    """
    tree = spec.unit_tree
    names = list(dict.fromkeys(leaves(tree)))
    shown = [n for n in names if n in vocabulary(spec.modality)]
    hidden = [n for n in names if n not in shown]
    out = []
    for values in itertools.product((True, False), repeat=len(shown)):
        present = dict(zip(shown, values, strict=True))
        include = [n for n in shown if present[n]]
        exclude = [n for n in shown if not present[n]]
        if not _consistent(spec.modality, set(include), set(exclude)):
            continue
        for hidden_values in itertools.product((True, False), repeat=len(hidden)):
            if _input_truth(tree, {**present, **dict(zip(hidden, hidden_values,
                                                         strict=True))}) == positive:
                out.append((include, exclude))
                break
    if not out:
        raise ModelsError(f"unit {spec.id}: no combination of its concepts makes it "
                          f"{'fire' if positive else 'silent'}")
    return out


def _text_tags(spec: SyntheticUnitSpec, texts: list[str]) -> list[list[Element]]:
    maps, tokens = leaf_maps("text", list(dict.fromkeys(spec.concepts)), texts)
    assert tokens is not None
    out = []
    for i, words in enumerate(tokens):
        tags = [{n for n, m in maps.items() if m[i, k] >= 0.5} for k in range(len(words))]
        out.append(token_elements(tags))
    return out


def probe_stimuli(spec: SyntheticUnitSpec, n: int, seed: int, positive: bool,
                  attempts: int = 60) -> list:
    """`n` fresh images or texts on which the unit should fire (positive) or stay silent.

    Args:
        spec: the unit.
        n: how many stimuli.
        seed: the random seed (the same arguments give the same stimuli).
        positive: fire (True) or stay silent (False).
        attempts: candidates drawn per wanted stimulus before giving up.

    Raises:
        ModelsError: not enough sure stimuli were found within `attempts * n` candidates.
    """
    from models.stimuli import images as gen
    from models.stimuli.texts import sentences_with

    plans = cells(spec, positive)
    rng = np.random.default_rng(seed)
    found: list = []
    drawn = 0
    for k in range(attempts * n):
        if len(found) >= n or drawn >= attempts * n:
            break
        include, exclude = plans[k % len(plans)]
        if spec.modality == "vision":
            drawn += 1
            try:
                scene = gen.scene_with(include, exclude, rng)
            except ModelsError:
                continue
            if truth(spec.unit_tree, scene_elements(scene)) == positive:
                found.append(gen.render(scene))
            continue
        drawn += 4
        try:
            texts = sentences_with(include, exclude, 4, seed * 7919 + k)
        except ModelsError:
            continue
        for text, elements in zip(texts, _text_tags(spec, texts), strict=True):
            if truth(spec.unit_tree, elements) == positive and len(found) < n:
                found.append(text)
    if len(found) < n:
        raise ModelsError(f"unit {spec.id}: found only {len(found)} of {n} "
                          f"{'positive' if positive else 'negative'} probes in {drawn} tries")
    return found
