"""Composition trees: concepts combined by operators, nested to any depth, and their JSON form.

A tree is a concept name (a leaf) or a `CompositionNode` whose arguments are trees:
`and_not(or(red, blue), circle)` is `CompositionNode("and_not", (CompositionNode("or",
("red", "blue")), "circle"))`, written in JSON as
`{"op": "and_not", "args": [{"op": "or", "args": ["red", "blue"]}, "circle"]}`.

Operators act at the level a description speaks of (the evaluator is
`models.synthetic.base.evaluate`):

* `or`: any argument, where it is.
* `and`: the first argument, where it is, when every other argument is present anywhere in
  the same input (image or text): "red things in images that also hold a circle".
* `and_not`: the first argument, where it is, when the second is absent from the whole input:
  one square anywhere switches an "unless squares" unit off everywhere.
* `bound_and`: where all arguments coincide (the same object, region or token): "red circles"
  are circles that are red.
* `bound_and_not`: the first argument where the second is not at the same place: "circles that
  are not red".

Every operator belongs to one of the four composition families the rest of the code knows
(`single`, `or`, `and`, `and_not`): bound operators are conjunctions and exclusions too.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from models.errors import ModelsError

#: Operators of composition nodes, and the composition family each belongs to.
OPERATOR_FAMILY: dict[str, str] = {
    "or": "or",
    "and": "and",
    "and_not": "and_not",
    "bound_and": "and",
    "bound_and_not": "and_not",
}


OPERATORS: tuple[str, ...] = tuple(OPERATOR_FAMILY)


#: Operators that take exactly two arguments (the first, unless the second).
BINARY: frozenset[str] = frozenset({"and_not", "bound_and_not"})


#: Limits that keep a tree readable as one sentence.
MAX_DEPTH = 4


MAX_LEAVES = 8


@dataclass(frozen=True)
class CompositionNode:
    """An operator applied to two or more subtrees (exactly two for the `*and_not` ones).

    Attributes:
        op: one of OPERATORS.
        args: the subtrees, each a concept name or a node.
    """

    op: str
    args: tuple[Tree, ...]

    def __post_init__(self) -> None:
        if self.op not in OPERATOR_FAMILY:
            raise ModelsError(f"unknown operator {self.op!r}; valid: {', '.join(OPERATORS)}")
        count = len(self.args)
        if self.op in BINARY and count != 2:
            raise ModelsError(f"operator {self.op!r} takes exactly two arguments (the first, "
                              f"unless the second), got {count}")
        if count < 2:
            raise ModelsError(f"operator {self.op!r} takes two or more arguments, got {count}")
        for arg in self.args:
            if not isinstance(arg, str | CompositionNode):
                raise ModelsError(f"an argument of {self.op!r} must be a concept name or a "
                                  f"node, got {type(arg).__name__}")
            if isinstance(arg, str) and not arg:
                raise ModelsError(f"an argument of {self.op!r} is an empty concept name")


Tree = str | CompositionNode


def leaves(tree: Tree) -> tuple[str, ...]:
    """The concept names of a tree's leaves, left to right (repeats kept)."""
    if isinstance(tree, str):
        return (tree,)
    return tuple(name for arg in tree.args for name in leaves(arg))


def nodes(tree: Tree) -> Iterator[CompositionNode]:
    """Every node of a tree, the root first."""
    if isinstance(tree, CompositionNode):
        yield tree
        for arg in tree.args:
            yield from nodes(arg)


def depth(tree: Tree) -> int:
    """0 for a leaf, 1 for a flat composition, more for nested ones."""
    return 0 if isinstance(tree, str) else 1 + max(depth(a) for a in tree.args)


def family(tree: Tree) -> str:
    """The composition family of the root: single, or, and, and_not."""
    return "single" if isinstance(tree, str) else OPERATOR_FAMILY[tree.op]


def is_flat(tree: Tree) -> bool:
    """A leaf, or one operator over leaves."""
    return depth(tree) <= 1


def flat_tree(composition: str, concepts: tuple[str, ...] | list[str]) -> Tree:
    """The tree of a flat composition (`single` over one concept is the concept itself)."""
    concepts = tuple(concepts)
    if composition == "single":
        if len(concepts) != 1:
            raise ModelsError(f"composition 'single' takes exactly one concept, got "
                              f"{len(concepts)}: {list(concepts)}")
        return concepts[0]
    return CompositionNode(composition, concepts)


def check_tree(tree: Tree) -> Tree:
    """Check a tree's size limits; returns it.

    Raises:
        ModelsError: deeper than MAX_DEPTH or more than MAX_LEAVES leaves.
    """
    if depth(tree) > MAX_DEPTH:
        raise ModelsError(f"composition nested {depth(tree)} deep; at most {MAX_DEPTH}")
    if len(leaves(tree)) > MAX_LEAVES:
        raise ModelsError(f"composition has {len(leaves(tree))} concepts; at most {MAX_LEAVES}")
    return tree


def tree_to_json(tree: Tree) -> str | dict[str, Any]:
    """The JSON form: a concept name, or {"op": ..., "args": [...]}."""
    if isinstance(tree, str):
        return tree
    return {"op": tree.op, "args": [tree_to_json(a) for a in tree.args]}


def parse_tree(data: Any, where: str = "tree") -> Tree:
    """Read a tree from its JSON form, with an error that says where and what would be valid.

    Args:
        data: a concept name, or a mapping {"op": operator, "args": [trees]}.
        where: the path shown in errors (e.g. "tree.args[0]").

    Raises:
        ModelsError: anything that is not a tree of known operators with valid arities.
    """
    if isinstance(data, str):
        if not data.strip():
            raise ModelsError(f"{where}: an empty concept name")
        return data.strip()
    if not isinstance(data, dict):
        raise ModelsError(f"{where}: expected a concept name or an object "
                          f"{{\"op\": ..., \"args\": [...]}}, got {type(data).__name__}")
    extra = sorted(set(data) - {"op", "args"})
    if extra:
        raise ModelsError(f"{where}: unexpected key(s) {extra}; a node has only 'op' and 'args'")
    op, args = data.get("op"), data.get("args")
    if not isinstance(op, str) or op not in OPERATOR_FAMILY:
        raise ModelsError(f"{where}.op: {op!r} is not an operator; valid: {', '.join(OPERATORS)}")
    if not isinstance(args, list):
        raise ModelsError(f"{where}.args: expected a list of concept names or nodes, got "
                          f"{type(args).__name__}")
    parsed = tuple(parse_tree(arg, f"{where}.args[{i}]") for i, arg in enumerate(args))
    try:
        node = CompositionNode(op, parsed)
    except ModelsError as error:
        raise ModelsError(f"{where}: {error}") from None
    if where == "tree":
        try:
            check_tree(node)
        except ModelsError as error:
            raise ModelsError(f"{where}: {error}") from None
    return node


_SYMBOLS = {"or": " | ", "and": " & ", "and_not": " & not ", "bound_and": " * ",
            "bound_and_not": " * not "}


def tree_label(tree: Tree) -> str:
    """A short label: "red", "red | blue", "(red | blue) & not circle", "red * circle"."""
    if isinstance(tree, str):
        return tree.replace("_", " ")
    parts = [tree_label(a) if isinstance(a, str) else f"({tree_label(a)})" for a in tree.args]
    return _SYMBOLS[tree.op].join(parts)
