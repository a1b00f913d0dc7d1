"""Contrastive concept experiments: build stimuli with and without vocabulary concepts and
measure the unit on them (screens over the whole vocabulary, and single design cells)."""

from __future__ import annotations

import zlib
from typing import Annotated

import numpy as np
from pydantic import Field

from models.concepts import vocabulary
from models.errors import ModelsError
from models.recording import activations, resolve_unit
from tools.context import ToolContext, ToolError
from tools.observation import Artifact, Observation
from tools.registry import tool
from tools.results import ConceptEnrichment, ConceptProbe, ConceptScreen


def _seed(*parts: object) -> int:
    return zlib.crc32("|".join(map(str, parts)).encode())


def build_stimuli(modality: str, include: list[str], exclude: list[str], n: int,
                  seed: int) -> list:
    """n stimuli that show every concept of `include` and none of `exclude`."""
    if modality == "vision":
        from models.stimuli.images import render, scene_with

        rng = np.random.default_rng(_seed("vision", sorted(include), sorted(exclude), seed))
        # With two or more concepts, they appear only on the one object they are bound to
        # (a red circle, and no other red thing or other circle): a clean conjunction cell.
        others = list(include) if len(include) >= 2 else []
        return [render(scene_with(include, exclude, rng, others_exclude=others))
                for _ in range(n)]
    from models.stimuli.texts import sentences_with

    return sentences_with(include, exclude, n, _seed("text", sorted(include), sorted(exclude),
                                                     seed))


def auc(positives: np.ndarray, negatives: np.ndarray) -> float:
    """Probability that a random positive outscores a random negative (ties count half)."""
    pos = np.asarray(positives, dtype=float)[:, None]
    neg = np.asarray(negatives, dtype=float)[None, :]
    return float((pos > neg).mean() + 0.5 * (pos == neg).mean())


def _check_concepts(names: list[str], modality: str) -> None:
    known = vocabulary(modality)
    unknown = [c for c in names if c not in known]
    if unknown:
        raise ToolError(f"unknown {modality} concept(s) {unknown}; valid: "
                        f"{', '.join(sorted(known))}")


def _modality(unit: str) -> str:
    _, model, _ = resolve_unit(unit)
    return model.modality


def _bar_plot(ctx: ToolContext, title: str, labels: list[str], values: list[float],
              stem: str) -> Artifact:
    from tools.plots import bar_chart, save_png

    path = ctx.plot_path(stem)
    save_png(bar_chart(labels, values, title), path)
    return Artifact(str(path), "plot", title)


def screen(ctx: ToolContext, unit: str, concepts: list[str] | None, n: int,
           given: list[str], seed: int, absent: list[str] | None = None) -> Observation:
    modality = _modality(unit)
    absent = list(absent or [])
    names = list(concepts) if concepts else sorted(vocabulary(modality))
    _check_concepts(names + list(given) + absent, modality)
    if set(given) & set(absent):
        raise ToolError(f"concepts both given and absent: {sorted(set(given) & set(absent))}")
    names = [c for c in names if c not in given and c not in absent]
    budget = ctx.limits.max_generated * 40
    if 2 * n * len(names) > budget:
        raise ToolError(f"a screen of {len(names)} concepts x {2 * n} stimuli exceeds the "
                        f"limit of {budget} stimuli per call; lower n or pass fewer concepts")
    batches, skipped, spans = [], [], []
    for concept in names:
        try:
            with_c = build_stimuli(modality, [*given, concept], absent, n, seed)
            without_c = build_stimuli(modality, list(given), [concept, *absent], n, seed)
        except ModelsError as error:
            skipped.append(f"{concept} ({error})")
            continue
        spans.append((concept, len(batches), len(with_c), len(without_c)))
        batches.extend(with_c)
        batches.extend(without_c)
    if not spans:
        raise ToolError("no concept could be screened: " + "; ".join(skipped))
    values = activations(unit, batches).values
    rows = []
    for concept, start, n_with, n_without in spans:
        pos = values[start : start + n_with]
        neg = values[start + n_with : start + n_with + n_without]
        rows.append({"concept": concept, "auc": round(auc(pos, neg), 4),
                     "mean_with": round(float(pos.mean()), 5),
                     "mean_without": round(float(neg.mean()), 5),
                     "difference": round(float(pos.mean() - neg.mean()), 5)})
    rows.sort(key=lambda r: -r["auc"])
    context = f" given {', '.join(given)}" if given else ""
    if absent:
        context += f" with {', '.join(absent)} absent"
    top = ", ".join(f"{r['concept']} (AUC {r['auc']:.2f}, {r['mean_with']:.3g} vs "
                    f"{r['mean_without']:.3g})" for r in rows[:5])
    bottom = ", ".join(f"{r['concept']} (AUC {r['auc']:.2f})" for r in rows[-3:])
    summary = (f"screened {len(rows)} concepts{context} with {n} stimuli with and {n} without "
               f"each. Most activating: {top}. Least: {bottom}.")
    if skipped:
        summary += f" Skipped: {'; '.join(skipped)}."
    shown = rows[:12]
    artifact = _bar_plot(ctx, f"AUC of concept present vs absent{context}",
                         [r["concept"] for r in shown], [r["auc"] for r in shown], "screen")
    return Observation("screen_concepts", summary, [artifact], result=ConceptScreen(
        given=list(given), absent=absent, n=n, concepts=rows, skipped=skipped))


def probe(ctx: ToolContext, unit: str, include: list[str], exclude: list[str], n: int,
          seed: int) -> Observation:
    modality = _modality(unit)
    _check_concepts(list(include) + list(exclude), modality)
    try:
        stimuli = build_stimuli(modality, list(include), list(exclude), n, seed)
    except ModelsError as error:
        raise ToolError(str(error)) from None
    values = activations(unit, stimuli).values
    artifacts, examples = [], []
    for i in np.argsort(-values)[: min(4, n)]:
        if modality == "vision":
            image_id, path = ctx.images.add(stimuli[i])
            condition = ("with " + " and ".join(include) if include else "a neutral stimulus") + (
                f", without {' or '.join(exclude)}" if exclude else "")
            artifacts.append(Artifact(str(path), "image",
                                      f"{image_id} ({condition}) · activation {values[i]:.3g}",
                                      image_id))
            examples.append({"image": image_id, "value": round(float(values[i]), 5)})
        else:
            examples.append({"text": stimuli[i], "value": round(float(values[i]), 5)})
    described = " and ".join(include) or "anything"
    if exclude:
        described += f", without {' or '.join(exclude)}"
    summary = (f"{n} stimuli with {described}: mean {values.mean():.4g}, "
               f"min {values.min():.4g}, max {values.max():.4g}")
    return Observation("probe_concepts", summary, artifacts, result=ConceptProbe(
        include=list(include), exclude=list(exclude), n=n,
        values=[round(float(v), 5) for v in values], mean=float(values.mean()),
        std=float(values.std()), examples=examples))


PRESENT_AT = 0.6  # a concept is tagged present where its detector map reaches this


def concept_tags(modality: str, stimuli: list) -> list[set[str]]:
    """Which vocabulary concepts each stimulus shows, by the concept detectors (content only)."""
    names = sorted(vocabulary(modality))
    if modality == "vision":
        from models.concepts.vision import vision_concept_maps

        maps = vision_concept_maps(names, stimuli)  # [b, concepts, h, w]
        peaks = maps.reshape(maps.shape[0], maps.shape[1], -1).max(axis=2)
    else:
        from models.concepts.text import text_concept_scores

        scores, _ = text_concept_scores(names, stimuli)
        peaks = scores.max(axis=2)
    return [{names[j] for j in np.flatnonzero(row >= PRESENT_AT)} for row in peaks]


def enrichment(ctx: ToolContext, unit: str, k: int) -> Observation:
    from models.exemplars import QUANTILES, exemplars, layer_exemplars

    address, model, _ = resolve_unit(unit)
    top = exemplars(unit, k=k, corpus=ctx.corpus)
    cache = layer_exemplars(address.model, address.layer, ctx.corpus)
    # tag only exemplars that really fire: well above the corpus median (at least three)
    median = float(cache.quantiles[address.index][QUANTILES.index(0.5)])
    cut = median + 0.5 * (top[0].value - median)
    top = [e for e in top if e.value >= cut] if sum(e.value >= cut for e in top) >= 3 else top[:3]
    sample = cache.corpus.items(list(cache.sample_indices))
    top_tags = concept_tags(model.modality, [e.stimulus for e in top])
    base_tags = concept_tags(model.modality, sample)
    rows = []
    for concept in sorted(vocabulary(model.modality)):
        in_top = sum(concept in t for t in top_tags) / len(top_tags)
        in_base = sum(concept in t for t in base_tags) / max(len(base_tags), 1)
        # add-one smoothing keeps rare concepts from dominating on one lucky exemplar
        ratio = (in_top * len(top_tags) + 1) / (len(top_tags) + 2) / (
            (in_base * len(base_tags) + 1) / (len(base_tags) + 2))
        rows.append({"concept": concept, "top_fraction": round(in_top, 3),
                     "base_fraction": round(in_base, 3), "lift": round(in_top - in_base, 3),
                     "enrichment": round(ratio, 3)})
    # rank by lift (difference of fractions): a ratio favours rare concepts seen once
    rows.sort(key=lambda r: (-r["lift"], -r["enrichment"]))
    listed = ", ".join(f"{r['concept']} ({r['top_fraction']:.0%} of top vs "
                       f"{r['base_fraction']:.0%} of random)" for r in rows[:6])
    summary = (f"concepts tagged in the top {len(top)} exemplars against a random sample of "
               f"{len(sample)} ({ctx.corpus} corpus); most over-represented: {listed}")
    artifact = _bar_plot(ctx, "fraction of top exemplars minus fraction of random sample",
                         [r["concept"] for r in rows[:12]], [r["lift"] for r in rows[:12]],
                         "enrichment")
    return Observation("exemplar_concepts", summary, [artifact], result=ConceptEnrichment(
        k=len(top), sample=len(sample), concepts=rows,
        top_values=[round(e.value, 5) for e in top],
        natural=str(cache.corpus.name).startswith(("natural", "hub-"))))


def _register(modality: str) -> None:
    @tool(modality, result=ConceptEnrichment, name="exemplar_concepts")
    def exemplar_concepts(ctx: ToolContext, unit: str,
                          k: Annotated[int, Field(ge=4, le=64)] = 16) -> Observation:
        """Which vocabulary concepts are over-represented among the unit's top exemplars,
        compared with a random sample of the same corpus (tagged by concept detectors).

        Args:
            unit: the unit address `<model>:<layer>:<index>`.
            k: how many top exemplars to tag.
        """
        return enrichment(ctx, unit, k)

    @tool(modality, result=ConceptScreen, name="screen_concepts")
    def screen_concepts(ctx: ToolContext, unit: str, concepts: list[str] | None = None,
                        n: Annotated[int, Field(ge=2, le=32)] = 8, given: list[str] | None = None,
                        absent: list[str] | None = None, seed: int = 0) -> Observation:
        """Contrast each vocabulary concept: n stimuli with it vs n without, ranked by AUC.

        Args:
            unit: the unit address `<model>:<layer>:<index>`.
            concepts: concepts to screen (default: the whole vocabulary of the modality).
            n: stimuli per side and concept.
            given: concepts present in every stimulus (a conditional screen: which concepts
                raise or lower the unit when these are already there?).
            absent: concepts kept out of every stimulus (which concepts drive the unit
                without these? finds the other half of an OR).
            seed: change it for fresh stimuli.
        """
        return screen(ctx, unit, concepts, n, list(given or []), seed, list(absent or []))

    @tool(modality, result=ConceptProbe, name="probe_concepts")
    def probe_concepts(ctx: ToolContext, unit: str, include: list[str],
                       exclude: list[str] | None = None,
                       n: Annotated[int, Field(ge=1, le=32)] = 8, seed: int = 0) -> Observation:
        """Measure the unit on n fresh stimuli that show all `include` concepts and no
        `exclude` concept (one cell of a contrastive design).

        Args:
            unit: the unit address `<model>:<layer>:<index>`.
            include: concepts every stimulus shows (may be empty for a baseline).
            exclude: concepts no stimulus shows.
            n: how many stimuli.
            seed: change it for fresh stimuli.
        """
        return probe(ctx, unit, include, list(exclude or []), n, seed)


_register("vision")
_register("text")
