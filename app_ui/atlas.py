"""The Atlas tab's handlers: list atlases, search their units (words in descriptions, layer,
score), show a unit's card with its top exemplars, and send a unit to the Chat tab."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import gradio as gr

from app_ui.settings import app_settings

#: Columns the results table shows, in order.
TABLE = ("address", "label", "description", "simulation_r", "detection_bacc", "predictive_auc")
SCORE_CHOICES = ("simulation_r", "detection_bacc", "predictive_auc", "accuracy")


def atlases(root: Path | None = None) -> list[str]:
    """Atlas folders (holding atlas.parquet) under the atlas root, as paths relative to it."""
    root = (root or app_settings().atlases).resolve()
    if not root.is_dir():
        return []
    found = sorted({p.parent for p in root.glob("**/atlas.parquet") if p.is_file()
                    and len(p.relative_to(root).parts) <= 4})
    return [str(p.relative_to(root)) for p in found]


def _atlas_dir(name: str) -> Path:
    root = app_settings().atlases.resolve()
    path = (root / (name or "")).resolve()
    if not name or not path.is_relative_to(root) or not (path / "atlas.parquet").is_file():
        raise ValueError(f"no atlas named {name!r}; choose one of the list")
    return path


def layers_of(name: str) -> dict[str, Any]:
    """The layer filter's choices for an atlas."""
    from bench.atlas import query

    try:
        rows = query(_atlas_dir(name), "SELECT DISTINCT layer FROM atlas ORDER BY layer")
    except (ValueError, FileNotFoundError):
        return gr.update(choices=[], value=None)
    layers = ["(all layers)"] + [r["layer"] for r in rows]
    return gr.update(choices=layers, value=layers[0])


def search(name: str, words: str, layer: str | None, metric: str, minimum: float,
           limit: int = 200) -> tuple[list[list[Any]], str]:
    """Units whose descriptions contain every word (any order, any case), optionally of one
    layer and at least `minimum` on a score, best score first.

    Returns:
        (table rows, a status line)
    """
    from bench.atlas import query

    try:
        folder = _atlas_dir(name)
    except ValueError as error:
        return [], f"Error: {error}"
    if metric not in SCORE_CHOICES:
        return [], f"Error: the score must be one of {', '.join(SCORE_CHOICES)}"
    clauses, terms = [], re.findall(r"[\w'-]+", (words or "").lower())[:8]
    for term in terms:
        clauses.append("lower(description || ' ' || label) LIKE '%" + term.replace("'", "''")
                       + "%'")
    if layer and layer != "(all layers)":
        clauses.append("layer = '" + layer.replace("'", "''") + "'")
    if minimum is not None and float(minimum) > -1:
        clauses.append(f"coalesce({metric}, -2) >= {float(minimum)}")
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    columns = ", ".join(c if c in SCORE_CHOICES or c in ("address", "label", "description")
                        else c for c in TABLE)
    rows = query(folder, f"SELECT {columns} FROM atlas {where} ORDER BY {metric} DESC NULLS "
                         f"LAST, address LIMIT {int(limit)}")
    total = query(folder, "SELECT count(*) AS n FROM atlas")[0]["n"]
    table = [[_round(row[c]) for c in TABLE] for row in rows]
    return table, f"{len(rows)} of {total} units match" + (" (first 200)" if len(rows) == limit
                                                           else "")


def _round(value: Any) -> Any:
    return round(value, 3) if isinstance(value, float) else value


def unit_card(name: str, address: str) -> tuple[str, list[tuple[str, str]]]:
    """A unit's card: description, scores and top exemplars (texts with their strongest tokens
    highlighted, or images), and the images for a gallery."""
    from bench.atlas import query

    try:
        folder = _atlas_dir(name)
    except ValueError as error:
        return f"Error: {error}", []
    rows = query(folder, "SELECT * FROM atlas WHERE address = '"
                 + (address or "").replace("'", "''") + "'")
    if not rows:
        return "Pick a unit in the table.", []
    row = rows[0]
    scores = [f"{key}: {row[key]:.3f}" for key in SCORE_CHOICES
              if isinstance(row.get(key), float)]
    lines = [f"### {row['address']}", f"**{row['label']}** — {row['description']}", "",
             " · ".join(scores), "", f"*{row['kind']}, described by {row['policy']} "
                                     f"in {row['wall_s']} s*", "", "**Top exemplars**"]
    exemplars = json.loads(row.get("top_exemplars") or "[]")
    images: list[tuple[str, str]] = []
    texts = [e for e in exemplars if e.get("text")]
    if texts:
        lines += _highlighted(row["address"], texts)
    else:
        images = _exemplar_images(row, exemplars)
        if not images:
            lines.append("*(no exemplars recorded)*")
    return "\n".join(lines), images


def _highlighted(address: str, exemplars: list[dict[str, Any]]) -> list[str]:
    """Exemplar texts with the unit's strongest tokens in bold (the unit is run on them)."""
    from models.recording import activations

    texts = [e["text"] for e in exemplars]
    try:
        acts = activations(address, texts)
    except Exception:  # noqa: BLE001 (a model that cannot load here: plain texts)
        return [f"- ({e['value']:.3g}) {html.escape(e['text'])}" for e in exemplars]
    lines = []
    for exemplar, tokens, values in zip(exemplars, acts.tokens, acts.maps, strict=True):
        peak = float(values.max()) if len(values) else 0.0
        marked = "".join(f"**{html.escape(t)}**" if peak > 0 and v >= 0.5 * peak
                         else html.escape(t) for t, v in zip(tokens, values, strict=True))
        lines.append(f"- ({exemplar['value']:.3g}) {marked}")
    return lines


def _exemplar_images(row: dict[str, Any], exemplars: list[dict[str, Any]]
                     ) -> list[tuple[str, str]]:
    import tempfile

    from models.corpora import get_corpus

    try:
        corpus = get_corpus(row.get("corpus") or "default", "vision")
    except Exception:  # noqa: BLE001
        return []
    position = {stimulus_id: i for i, stimulus_id in enumerate(corpus.ids)}
    folder = Path(tempfile.mkdtemp(prefix="atlas-card-"))
    images = []
    for exemplar in exemplars:
        if exemplar["id"] in position:
            image = corpus.items([position[exemplar["id"]]])[0]
            path = folder / f"{exemplar['rank']}.png"
            image.save(path)
            images.append((str(path), f"#{exemplar['rank'] + 1} · activation "
                                      f"{exemplar['value']:.3g}"))
    return images


def pick(table: Any, event: gr.SelectData) -> str:
    """The address of the row the user clicked in the results table."""
    row = event.index[0] if isinstance(event.index, list | tuple) else event.index
    values = table.values.tolist() if hasattr(table, "values") else table
    return str(values[row][0]) if values and 0 <= row < len(values) else ""


def open_in_chat(address: str) -> tuple[Any, Any, Any, Any, Any, str]:
    """Send a unit to the Chat tab: its model, layer and index filled in, the tab selected."""
    parts = (address or "").split(":")
    if len(parts) != 3:
        return (gr.update(), gr.update(), gr.update(), gr.update(), gr.update(),
                "Pick a unit first.")
    model, layer, index = parts
    return (gr.update(value=model), gr.update(choices=[layer], value=layer),
            gr.update(value=int(index)), gr.update(value=False),
            gr.Tabs(selected="chat"), f"Opened {address} in the Chat tab.")
