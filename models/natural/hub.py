"""Natural data from the Hugging Face hub by name (wikitext, ImageNet validation, ...), for
machines that have the `datasets` package and a network; offline it fails with a clear error.

Rows are identified as `hub:<dataset>:<split>:<row>`, so the same exemplar/held-out rule as for
the installed corpora applies to them.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from models.errors import StimulusError


@dataclass(frozen=True)
class HubDataset:
    """How to read one hub dataset: its repository, configuration, split and columns."""

    repo: str
    config: str | None
    split: str
    column: str
    label_column: str | None = None


#: Named hub datasets; any other `repo[:config]` is read with its "text" or "image" column.
HUB_DATASETS: dict[str, HubDataset] = {
    "wikitext": HubDataset("Salesforce/wikitext", "wikitext-103-raw-v1", "validation", "text"),
    "imagenet-val": HubDataset("ILSVRC/imagenet-1k", None, "validation", "image", "label"),
}


def resolve(name: str, modality: str) -> HubDataset:
    """The dataset spec for a name: a known one, or `repo[:config]` with a default column."""
    if name in HUB_DATASETS:
        return HUB_DATASETS[name]
    repo, _, config = name.partition(":")
    if "/" not in repo:
        raise StimulusError(
            f"unknown hub dataset {name!r}; valid: {', '.join(HUB_DATASETS)}, or a hub "
            f"repository as 'owner/name' or 'owner/name:config'"
        )
    column = "image" if modality == "vision" else "text"
    return HubDataset(repo, config or None, "validation", column,
                      "label" if modality == "vision" else None)


@dataclass(frozen=True)
class HubRows:
    """Rows of a hub dataset, decoded only when asked for.

    Attributes:
        ids: `hub:<name>:<split>:<row>` per usable row.
        labels: a class name per row (vision datasets with labels), else "".
        get: the text or RGB image of the i-th usable row.
    """

    ids: list[str]
    labels: list[str]
    get: Callable[[int], Any]


def hub_rows(name: str, modality: str, limit: int = 20_000) -> HubRows:
    """Up to `limit` usable rows of a hub dataset (texts of 8+ words; any image).

    Raises:
        StimulusError: `datasets` is not installed, or the hub cannot be reached (offline), or
            the dataset has no such column; the message says which and what to do.
    """
    spec = resolve(name, modality)
    if importlib.util.find_spec("datasets") is None:
        raise StimulusError(f"hub dataset {name!r} needs the `datasets` package "
                            f"(pip install datasets) and a network connection")
    import datasets

    try:
        data = datasets.load_dataset(spec.repo, spec.config, split=spec.split)
    except Exception as error:  # noqa: BLE001 - the hub raises many kinds; all mean "not here"
        first_line = str(error).splitlines()[0][:200] if str(error) else ""
        raise StimulusError(
            f"hub dataset {name!r} ({spec.repo}) cannot be loaded on this machine "
            f"({type(error).__name__}: {first_line}); it needs a network connection to the "
            f"Hugging Face hub or a copy in the local datasets cache. Offline, use the "
            f"installed corpora: natural_corpus('text') or natural_corpus('vision')"
        ) from error
    if spec.column not in data.column_names:
        raise StimulusError(f"hub dataset {name!r} has no column {spec.column!r}; columns: "
                            f"{', '.join(data.column_names)}")
    if modality == "text":
        rows = [i for i, text in enumerate(data[spec.column]) if len(str(text).split()) >= 8]
    else:
        rows = list(range(len(data)))
    rows = rows[:limit]
    labels = [""] * len(rows)
    if spec.label_column and spec.label_column in data.column_names:
        names = getattr(data.features[spec.label_column], "names", None)
        raw = data[spec.label_column]
        labels = [(names[raw[i]].split(",")[0] if names else str(raw[i])).lower() for i in rows]

    def get(index: int) -> Any:
        item = data[rows[index]][spec.column]
        return " ".join(str(item).split()) if modality == "text" else item.convert("RGB")

    return HubRows([f"hub:{name}:{spec.split}:{i}" for i in rows], labels, get)
