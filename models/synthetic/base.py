"""Synthetic ground-truth units: vocabulary (or hidden) concepts composed by a composition tree.

A synthetic unit computes its activation from the stimulus content alone (pixels or text),
never from hidden metadata. Each concept detector returns a map of scores in [0, 1] (spatial
`[28, 28]` for images, per token for texts); `evaluate` combines the maps along the unit's
composition tree, each operator at the level its description speaks of (see
`models.concepts.trees`): `or` is the position-wise max; `and` and `and_not` gate the first
argument's map by the presence (max over the whole input) of the others, so one square anywhere
silences an "unless squares" unit everywhere; `bound_and` (min) and `bound_and_not`
(`min(a, 1 - b)`) are position-wise, for conjunctions bound to one thing ("red circles"). The
unit's value is the max of the combined map, like any real unit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from models.concepts.base import COMPOSITIONS, Composition
from models.concepts.trees import (
    CompositionNode,
    Tree,
    check_tree,
    family,
    flat_tree,
    is_flat,
    leaves,
    tree_to_json,
)
from models.errors import ModelsError


def tree_id(tree: Tree) -> str:
    """A readable identifier of a tree: `and_not_circle_red`, `and_not[or[red,blue],circle]`."""
    if isinstance(tree, str):
        return tree
    if is_flat(tree) and tree.op in COMPOSITIONS:
        return "_".join([tree.op, *leaves(tree)])
    return f"{tree.op}[{','.join(tree_id(a) for a in tree.args)}]"


@dataclass(frozen=True)
class SyntheticUnitSpec:
    """One synthetic unit and its ground truth.

    A unit is built either flat, from `composition` and `concepts` (one concept for
    "single", two or more for "or"/"and", exactly two for "and_not": the first unless the
    second), or from a composition `tree` (use `from_tree`), which may nest operators and use
    the bound ones. Either way `tree` is set, `concepts` holds the tree's leaves in order and
    `composition` the family of its root operator (`bound_and` is an "and", `bound_and_not`
    an "and_not"), so code that reads only those two fields keeps working.
    """

    modality: Literal["vision", "text"]
    composition: Composition
    concepts: tuple[str, ...]
    description: str
    label: str
    id: str = field(default="")
    tree: Tree | None = field(default=None)

    def __post_init__(self) -> None:
        if self.tree is None:
            if self.composition not in COMPOSITIONS:
                raise ModelsError(f"unknown composition {self.composition!r}; valid: "
                                  f"{', '.join(COMPOSITIONS)}")
            count = len(self.concepts)
            expected = {"single": count == 1, "or": count >= 2, "and": count >= 2,
                        "and_not": count == 2}[self.composition]
            if not expected:
                raise ModelsError(
                    f"composition {self.composition!r} takes "
                    + {"single": "exactly one concept", "or": "two or more concepts",
                       "and": "two or more concepts", "and_not": "exactly two concepts"}[
                        self.composition]
                    + f", got {count}: {list(self.concepts)}")
            object.__setattr__(self, "tree", flat_tree(self.composition, self.concepts))
        else:
            check_tree(self.tree)
            if tuple(self.concepts) != leaves(self.tree) or self.composition != family(self.tree):
                raise ModelsError(
                    f"unit {self.id or '?'}: concepts {list(self.concepts)} and composition "
                    f"{self.composition!r} disagree with its tree (leaves "
                    f"{list(leaves(self.tree))}, family {family(self.tree)!r}); build it "
                    f"with SyntheticUnitSpec.from_tree")
        if not self.id:
            object.__setattr__(self, "id", tree_id(self.unit_tree))

    @classmethod
    def from_tree(cls, modality: str, tree: Tree, description: str, label: str,
                  id: str = "") -> SyntheticUnitSpec:  # noqa: A002 (the field's name)
        """A unit from its composition tree (concepts and composition follow from it)."""
        check_tree(tree)
        return cls(modality, family(tree), leaves(tree), description, label,  # type: ignore
                   id, tree)

    @property
    def unit_tree(self) -> Tree:
        """The composition tree (always set after construction)."""
        assert self.tree is not None
        return self.tree

    @property
    def operator(self) -> str:
        """The root operator: single, or, and, and_not, bound_and or bound_and_not."""
        return self.unit_tree.op if isinstance(self.unit_tree, CompositionNode) else "single"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "modality": self.modality,
            "composition": self.composition,
            "concepts": list(self.concepts),
            "tree": tree_to_json(self.unit_tree),
            "description": self.description,
            "label": self.label,
        }


def presence(maps: np.ndarray) -> np.ndarray:
    """The max of each input's map, shaped to broadcast against `[batch, *map]`."""
    flat = maps.reshape(maps.shape[0], -1)
    peak = flat.max(axis=1) if flat.shape[1] else np.zeros(maps.shape[0], maps.dtype)
    return peak.reshape((maps.shape[0],) + (1,) * (maps.ndim - 1))


def evaluate(tree: Tree, maps: Mapping[str, np.ndarray]) -> np.ndarray:
    """Combine leaf maps along a composition tree.

    Args:
        tree: the unit's composition tree.
        maps: each leaf's map `[batch, *map]` in [0, 1] (`*map` is `28, 28` for images,
            `tokens` for texts, padded with 0).

    Returns:
        `[batch, *map]`, the unit's combined map.
    """
    if isinstance(tree, str):
        if tree not in maps:
            raise ModelsError(f"no map for concept {tree!r}; have {sorted(maps)}")
        return np.asarray(maps[tree], dtype=np.float32)
    args = [evaluate(arg, maps) for arg in tree.args]
    if tree.op == "or":
        return np.maximum.reduce(args)
    if tree.op == "bound_and":
        return np.minimum.reduce(args)
    if tree.op == "bound_and_not":
        return np.minimum(args[0], 1.0 - args[1])
    if tree.op == "and":
        gate = np.minimum.reduce([presence(a) for a in args[1:]])
        return np.minimum(args[0], gate)
    return np.minimum(args[0], 1.0 - presence(args[1]))  # and_not


def combine(composition: str, maps: np.ndarray) -> np.ndarray:
    """Combine per-concept maps `[concepts, *map]` of ONE input by a flat composition.

    `composition` is single or any operator; the concepts are its arguments in order. Same
    rule as `evaluate` (AND and AND-NOT at the level of the whole input).
    """
    names = tuple(f"c{i}" for i in range(maps.shape[0]))
    tree = names[0] if composition == "single" else CompositionNode(composition, names)
    return evaluate(tree, {n: maps[i][None] for i, n in enumerate(names)})[0]
