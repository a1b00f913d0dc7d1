"""The maps of a synthetic unit's concepts, from the vocabulary's detectors or the hidden ones;
the unit's combined map and values on stimuli; units built from a composition tree."""

from __future__ import annotations

import numpy as np

from models.concepts import vocabulary
from models.concepts.base import composition_label, phrase_composition
from models.concepts.trees import CompositionNode, Tree, is_flat, leaves, parse_tree, tree_label
from models.errors import ModelsError, choices
from models.synthetic.base import SyntheticUnitSpec, evaluate
from models.synthetic.hidden import hidden_concepts, hidden_maps


def known_concepts(modality: str) -> dict[str, str]:
    """Every concept a synthetic unit may use, mapped to its phrase (vocabulary and hidden)."""
    return {**{n: c.phrase for n, c in vocabulary(modality).items()},
            **{n: c.phrase for n, c in hidden_concepts(modality).items()}}


def check_concepts(modality: str, names: list[str] | tuple[str, ...], where: str = "") -> None:
    """Raise a ModelsError naming the valid concepts if a name is neither kind of concept."""
    known = known_concepts(modality)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ModelsError(f"{where + ': ' if where else ''}unknown {modality} concept(s) "
                          f"{unknown}; valid: {choices(sorted(known), limit=200)}")


def leaf_maps(modality: str, names: list[str],
              stimuli: list) -> tuple[dict[str, np.ndarray], list[list[str]] | None]:
    """Each concept's map on the stimuli, and the tokens of texts (None for images).

    Returns:
        `({name: [b, *map]}, tokens)`: `*map` is `28, 28` for images and `tokens` for texts
        (padded with 0, one width for all concepts).
    """
    names = list(dict.fromkeys(names))
    check_concepts(modality, names)
    shown = vocabulary(modality)
    open_names = [n for n in names if n in shown]
    hidden = [n for n in names if n not in shown]
    out: dict[str, np.ndarray] = {}
    tokens = None
    if modality == "vision":
        from models.concepts.vision import vision_concept_maps

        if open_names:
            maps = vision_concept_maps(open_names, list(stimuli))
            out.update({n: maps[:, i] for i, n in enumerate(open_names)})
    else:
        from models.concepts.text import text_concept_scores

        # always tokenize (an empty concept list still returns the tokens)
        scores, tokens = text_concept_scores(open_names, list(stimuli))
        out.update({n: scores[:, i] for i, n in enumerate(open_names)})
    if hidden:
        maps = hidden_maps(modality, hidden, list(stimuli))
        out.update({n: maps[:, i] for i, n in enumerate(hidden)})
    return out, tokens


def unit_maps(spec: SyntheticUnitSpec,
              stimuli: list) -> tuple[np.ndarray, list[list[str]] | None]:
    """A unit's combined map `[b, *map]` on stimuli, and the texts' tokens (None for images)."""
    maps, tokens = leaf_maps(spec.modality, list(spec.concepts), stimuli)
    return evaluate(spec.unit_tree, maps).astype(np.float32), tokens


def unit_values(spec: SyntheticUnitSpec, stimuli: list) -> np.ndarray:
    """A unit's activation per stimulus `[b]`: the max of its combined map."""
    maps, _ = unit_maps(spec, stimuli)
    return maps.reshape(maps.shape[0], -1).max(axis=1).astype(np.float32)


def build_unit(modality: str, tree: Tree | dict | str, description: str | None = None,
               label: str | None = None, id: str = "") -> SyntheticUnitSpec:  # noqa: A002
    """A unit from a composition tree (or its JSON form), described from the tree by default.

    Args:
        modality: vision or text.
        tree: a tree, or its JSON form (`models.concepts.trees.parse_tree`).
        description: the ground truth in words; by default `phrase_composition` of the tree
            over the concepts' phrases (vocabulary or hidden).
        label: a short label; by default the tree's label.
        id: the unit id; by default derived from the tree.

    Raises:
        ModelsError: a malformed tree or an unknown concept.
    """
    if not isinstance(tree, CompositionNode):
        tree = parse_tree(tree)
    names = list(leaves(tree))
    check_concepts(modality, names)
    phrases = known_concepts(modality)
    if description is None:
        composition = tree if isinstance(tree, CompositionNode) else "single"
        description = phrase_composition(composition, [phrases[n] for n in names])
    if label is None:
        if isinstance(tree, CompositionNode) and is_flat(tree):
            label = composition_label(tree.op, names)
        else:
            label = tree_label(tree)
    return SyntheticUnitSpec.from_tree(modality, tree, description, label, id)
