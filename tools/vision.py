"""The vision experiment tools (MAIA's API): exemplars, unit calls, generation, edits, descriptions."""

from __future__ import annotations

import difflib
from typing import Annotated

import numpy as np
from PIL import Image
from pydantic import Field

from models.base import SubjectModel
from models.exemplars import QUANTILES, exemplars, layer_exemplars
from models.recording import activations, resolve_unit
from models.registry import get_model
from tools import plots
from tools.backends.describe import OFFLINE_LABEL, describer_backend
from tools.backends.images import editor_backend, text2image_backend
from tools.context import ToolContext, ToolError
from tools.observation import Artifact, Observation
from tools.registry import tool
from tools.results import (
    Classification,
    ClassScores,
    EditedImages,
    GeneratedImages,
    ImageDescriptions,
    ImageSummary,
    VisionCall,
    VisionExemplars,
)

#: Image ids (or 'photo:NAME') a tool takes in one call.
ImageRefs = Annotated[list[str], Field(min_length=1, max_length=32)]
#: Corpus-wide level (the median of the unit's per-image maxima) an exemplar's region must reach.
MASK_QUANTILE = 0.5
#: ... and the fraction of the exemplar's own map range above its minimum.
MASK_RELATIVE = 0.5


# --------------------------------------------------------------------------- helpers


def _vision_unit(unit: str) -> tuple[SubjectModel, int, str, str]:
    """(model, unit index, layer, canonical address) of a vision unit, or a clear error."""
    address, model, _ = resolve_unit(unit)
    if model.modality != "vision":
        raise ToolError(f"{unit!r} is a unit of the {model.modality} model {model.name}; "
                        f"vision tools take vision units such as "
                        f"'efficientnet_lite0:blocks.4:7' or 'synthetic-vision:single:0'")
    return model, address.index, address.layer, str(address)


def _load(ctx: ToolContext, refs: list[str]) -> list[Image.Image]:
    """The images behind ids / 'photo:NAME' refs, within the per-call limits."""
    if not refs:
        raise ToolError("pass at least one image id (from an earlier tool call) or "
                        "'photo:NAME'")
    if len(refs) > ctx.limits.max_images:
        raise ToolError(f"{len(refs)} images in one call; the limit is {ctx.limits.max_images}: "
                        f"split them over several calls")
    out = []
    for ref in refs:
        image = ctx.images.get(ref)
        if max(image.size) > ctx.limits.max_image_side:
            raise ToolError(f"image {ref!r} is {image.width}x{image.height}; the limit is "
                            f"{ctx.limits.max_image_side} pixels a side: scale it down first "
                            f"(edit_images with 'scale 0.5' keeps the size)")
        out.append(image)
    return out


def _store(ctx: ToolContext, image: Image.Image, title: str) -> tuple[str, Artifact]:
    image_id, path = ctx.images.add(image, title)
    return image_id, Artifact(str(path), "image", title, image_id)


def _plot(ctx: ToolContext, image: Image.Image, stem: str, title: str) -> Artifact:
    path = plots.save_png(image, ctx.plot_path(stem))
    return Artifact(str(path), "plot", title)


def exemplar_mask(unit_map: np.ndarray, size: tuple[int, int], level: float) -> np.ndarray:
    """Where an exemplar's map, upsampled to the image `size` (w, h), is high.

    A pixel is in the mask when the map reaches both `level` (a corpus-wide quantile of the
    unit's values, so weak regions of a weak image stay dark) and half of the map's own range
    (so the region is local); the threshold never exceeds the map's maximum, so the mask is
    never empty (a flat map, such as a logit's, covers the whole image).
    """
    upsampled = plots.upsample(unit_map, size)
    low, high = float(upsampled.min()), float(upsampled.max())
    threshold = min(max(level, low + MASK_RELATIVE * (high - low)), high)
    return upsampled >= threshold


# --------------------------------------------------------------------------- unit tools


@tool("vision", result=VisionExemplars)
def dataset_exemplars(ctx: ToolContext, unit: str, k: Annotated[int, Field(ge=1, le=32)] = 8
                      ) -> Observation:
    """The unit's top-activating images of the exemplar corpus, highest first, each with the
    region where the unit fires highlighted (pixels outside it dimmed) and saved as an image id.

    Args:
        unit: unit address `<model>:<layer>:<index>`, e.g. 'efficientnet_lite0:blocks.4:7'.
        k: how many exemplars.
    """
    model, index, layer, address = _vision_unit(unit)
    if k > ctx.limits.max_exemplars:
        raise ToolError(f"k={k} exceeds the limit of {ctx.limits.max_exemplars} exemplars")
    top = exemplars(address, k, ctx.corpus)
    cache = layer_exemplars(model.name, layer, ctx.corpus)
    quantiles = dict(zip(QUANTILES, cache.quantiles[index].tolist(), strict=True))
    level = quantiles[MASK_QUANTILE]
    recorded = activations(address, [e.stimulus for e in top])
    artifacts: list[Artifact] = []
    shown, titles, rows = [], [], []
    for exemplar, unit_map in zip(top, recorded.maps, strict=True):
        image = exemplar.stimulus
        mask = exemplar_mask(unit_map, image.size, level)
        image_id, artifact = _store(ctx, image, f"exemplar {exemplar.rank + 1}, act "
                                                f"{exemplar.value:.3g}")
        artifacts.append(artifact)
        shown.append(plots.masked(image, mask, plots.CELL))
        titles.append(f"{image_id}: {exemplar.value:.3g}")
        rows.append({"id": image_id, "rank": exemplar.rank, "value": exemplar.value,
                     "stimulus_id": exemplar.stimulus_id, "mask_shape": list(mask.shape),
                     "mask_coverage": round(float(mask.mean()), 4)})
    artifacts.append(_plot(ctx, plots.grid(shown, titles), f"exemplars-{address}",
                           f"top {len(top)} exemplars of {address} (high regions bright)"))
    listing = ", ".join(f"{r['id']} ({r['value']:.3g})" for r in rows)
    summary = (f"top {len(rows)} exemplars of {address} over corpus {ctx.corpus!r}: {listing}. "
               f"Corpus quantiles of the unit's value: median {quantiles[0.5]:.3g}, "
               f"90% {quantiles[0.9]:.3g}, 99% {quantiles[0.99]:.3g}, max {quantiles[1.0]:.3g}.")
    return Observation("dataset_exemplars", summary, artifacts, result=VisionExemplars(
        unit=address, corpus=ctx.corpus, exemplars=rows,
        quantiles={str(q): v for q, v in quantiles.items()}))


@tool("vision", result=VisionCall)
def call_unit(ctx: ToolContext, unit: str, images: list[str]) -> Observation:
    """Run the unit on images: its activation on each (max over its map) with heat-map overlays
    showing where it fires, and a bar chart.

    Args:
        unit: unit address `<model>:<layer>:<index>`.
        images: image ids from earlier calls (e.g. 'img-0003') or named photos ('photo:coffee').
    """
    _, _, _, address = _vision_unit(unit)
    loaded = _load(ctx, images)
    recorded = activations(address, loaded)
    values = [float(v) for v in recorded.values]
    low = min(float(m.min()) for m in recorded.maps)
    high = max(float(m.max()) for m in recorded.maps)
    overlays = [plots.heat_overlay(image, unit_map, low, high)
                for image, unit_map in zip(loaded, recorded.maps, strict=True)]
    titles = [f"{ref}: {value:.3g}" for ref, value in zip(images, values, strict=True)]
    artifacts = [
        _plot(ctx, plots.grid(overlays, titles), f"overlays-{address}",
              f"{address} heat maps (shared scale {low:.3g} to {high:.3g})"),
        _plot(ctx, plots.bar_chart(images, values, f"{address} activation"),
              f"activations-{address}", f"{address} activation by image"),
    ]
    best = int(np.argmax(values))
    listing = ", ".join(f"{ref} {value:.3g}" for ref, value in zip(images, values, strict=True))
    summary = (f"{address} on {len(images)} images: {listing}. "
               f"Highest: {images[best]} ({values[best]:.3g}).")
    return Observation("call_unit", summary, artifacts, result=VisionCall.model_validate({
        "unit": address, "images": list(images), "values": dict(zip(images, values, strict=True)),
        "activations": values}))


# --------------------------------------------------------------------------- stimuli


@tool("vision", result=GeneratedImages)
def text2image(ctx: ToolContext, prompts: Annotated[list[str], Field(min_length=1, max_length=16)],
               size: Annotated[int, Field(ge=64, le=1024)] = 224) -> Observation:
    """Generate one image per prompt and save each as an image id. Offline, a procedural
    generator draws the prompt's colours, shapes, background patterns, positions, counts and
    text, and reports every word it could not draw.

    Args:
        prompts: one description per image, e.g. 'a red circle on a checkerboard background'.
        size: side of the square images in pixels.
    """
    if len(prompts) > ctx.limits.max_generated:
        raise ToolError(f"{len(prompts)} prompts; one call may generate at most "
                        f"{ctx.limits.max_generated} images")
    if size > ctx.limits.max_image_side:
        raise ToolError(f"size {size} exceeds the limit of {ctx.limits.max_image_side} pixels")
    if any(not p.strip() for p in prompts):
        raise ToolError("every prompt must be non-empty")
    backend, note = text2image_backend(ctx)
    artifacts: list[Artifact] = []
    rows, lines, thumbs = [], [], []
    for seed, prompt in enumerate(prompts):
        generated = backend.generate(prompt, size, seed)
        image_id, artifact = _store(ctx, generated.image, prompt)
        artifacts.append(artifact)
        thumbs.append(generated.image)
        rows.append({"id": image_id, "prompt": prompt, "unrendered": generated.unrendered})
        missing = (f" (could not render: {', '.join(generated.unrendered)})"
                   if generated.unrendered else "")
        lines.append(f"{image_id} <- {prompt!r}{missing}")
    artifacts.append(_plot(ctx, plots.grid(thumbs, [r["id"] + ": " + r["prompt"] for r in rows]),
                           "text2image", f"{len(rows)} generated images ({backend.name})"))
    unrendered = sorted({w for r in rows for w in r["unrendered"]})
    summary = f"generated with {backend.name}: " + "; ".join(lines) + "."
    if unrendered:
        summary += (f" Words the {backend.name} backend cannot draw were left out: "
                    f"{', '.join(unrendered)}.")
    if note:
        summary += f" Note: {note}."
    return Observation("text2image", summary, artifacts, result=GeneratedImages.model_validate({
        "backend": backend.name, "images": rows, "unrendered": unrendered, "note": note}))


@tool("vision", result=EditedImages)
def edit_images(ctx: ToolContext, images: Annotated[list[str], Field(min_length=1, max_length=16)],
                edits: Annotated[list[str], Field(min_length=1, max_length=16)]) -> Observation:
    """Edit images by instructions and save each result as an image id, shown beside its
    original. Pairing: one edit per image (equal lengths), one edit for every image, or one
    image with several edits. Offline edits: on generated images 'make the circle blue',
    'add a red star', 'remove the square', 'remove the text', 'checkerboard background',
    'plain background'; on any image 'crop left half', 'crop center', 'blur 3', 'rotate 90',
    'scale 0.5', 'grayscale', 'flip', 'invert'; chain with ';'. An edit that cannot be applied
    is reported for its pair.

    Args:
        images: image ids (or 'photo:NAME') to edit.
        edits: edit instructions, paired with images as described.
    """
    if len(images) == len(edits):
        pairs = list(zip(images, edits, strict=True))
    elif len(edits) == 1:
        pairs = [(ref, edits[0]) for ref in images]
    elif len(images) == 1:
        pairs = [(images[0], edit) for edit in edits]
    else:
        raise ToolError(f"{len(images)} images and {len(edits)} edits do not pair: give one edit "
                        f"per image, one edit for all images, or one image with several edits")
    if len(pairs) > ctx.limits.max_generated:
        raise ToolError(f"{len(pairs)} edits; one call may make at most "
                        f"{ctx.limits.max_generated} images")
    originals = dict(zip(images, _load(ctx, list(images)), strict=True))
    backend, note = editor_backend(ctx)
    artifacts: list[Artifact] = []
    rows, lines, shown = [], [], []
    for seed, (ref, instruction) in enumerate(pairs):
        result = backend.edit(originals[ref], instruction, seed)
        row = {"original": ref, "edit": instruction, "id": None, "applied": result.applied,
               "error": result.error}
        if result.image is not None and result.error is None:
            image_id, artifact = _store(ctx, result.image, f"{ref} + {instruction}")
            artifacts.append(artifact)
            row["id"] = image_id
            same = " - unchanged, same image" if image_id == ref else ""
            lines.append(f"{ref} + {instruction!r} -> {image_id} ({result.applied}{same})")
            shown.append((originals[ref], result.image, ref, f"{image_id}: {instruction}"))
        else:
            lines.append(f"{ref} + {instruction!r} -> NOT APPLIED: {result.error}")
            shown.append((originals[ref], None, ref, f"failed: {instruction}"))
        rows.append(row)
    artifacts.append(_plot(ctx, plots.pairs_grid(shown), "edits",
                           f"original / edited pairs ({backend.name})"))
    done = sum(r["id"] is not None for r in rows)
    summary = (f"{done} of {len(rows)} edits applied ({backend.name}): " + "; ".join(lines) + ".")
    if note:
        summary += f" Note: {note}."
    return Observation("edit_images", summary, artifacts, result=EditedImages.model_validate({
        "backend": backend.name, "pairs": rows, "applied": done, "note": note}))


# --------------------------------------------------------------------------- descriptions


@tool("vision", result=ImageDescriptions)
def describe_images(ctx: ToolContext, images: ImageRefs) -> Observation:
    """Describe each image in words with a vision-language model; without one, an offline
    fallback (labelled as such) lists the classifier's top classes, dominant colours and, for
    generated images, the scene.

    Args:
        images: image ids (or 'photo:NAME').
    """
    loaded = _load(ctx, images)
    describer, note = describer_backend(ctx)
    descriptions = describer.describe(loaded)
    lines = [f"{ref}: {d.text}" for ref, d in zip(images, descriptions, strict=True)]
    summary = (f"[{OFFLINE_LABEL}] " if describer.offline else "") + " | ".join(
        line.replace(f"[{OFFLINE_LABEL}] ", "") for line in lines)
    if note:
        summary += f" Note: {note}."
    return Observation("describe_images", summary, [], result=ImageDescriptions.model_validate({
        "backend": describer.name, "offline": describer.offline,
        "label": OFFLINE_LABEL if describer.offline else None,
        "descriptions": {ref: d.text for ref, d in zip(images, descriptions, strict=True)},
        "facts": {ref: d.facts for ref, d in zip(images, descriptions, strict=True)},
        "note": note}))


@tool("vision", result=ImageSummary)
def summarize_images(ctx: ToolContext, images: ImageRefs) -> Observation:
    """Say what a set of images has in common (e.g. a unit's exemplars), with a vision-language
    model; without one, an offline fallback (labelled as such) counts the classifier classes,
    colours and scene elements the images share.

    Args:
        images: image ids (or 'photo:NAME').
    """
    loaded = _load(ctx, images)
    describer, note = describer_backend(ctx)
    text, details = describer.summarize(loaded)
    summary = text + (f" Note: {note}." if note else "")
    return Observation("summarize_images", summary, [], result=ImageSummary.model_validate({
        "backend": describer.name, "offline": describer.offline,
        "label": OFFLINE_LABEL if describer.offline else None, "summary": text,
        "images": list(images), **details, "note": note}))


# --------------------------------------------------------------------------- classifier


def _classifier(name: str) -> SubjectModel:
    model = get_model(name)
    if model.modality != "vision" or not getattr(model, "class_names", None):
        raise ToolError(f"{name!r} is not an image classifier with named classes; "
                        f"try 'efficientnet_lite0'")
    return model


@tool("vision", result=Classification)
def classify(ctx: ToolContext, images: ImageRefs,
             model: str = "efficientnet_lite0", top: Annotated[int, Field(ge=1, le=20)] = 5
             ) -> Observation:
    """The classifier's top classes with probabilities for each image (for model-level
    questions: what does it see, is it biased by backgrounds or spurious features).

    Args:
        images: image ids (or 'photo:NAME').
        model: an image classifier, e.g. 'efficientnet_lite0'.
        top: classes per image.
    """
    classifier = _classifier(model)
    loaded = _load(ctx, images)
    proba = classifier.predict_proba(loaded)
    values, indices = proba.topk(min(top, proba.shape[1]), dim=1)
    results = {}
    lines = []
    for ref, row_p, row_i in zip(images, values.tolist(), indices.tolist(), strict=True):
        classes = [{"class": classifier.class_names[i], "p": round(p, 4)}
                   for p, i in zip(row_p, row_i, strict=True)]
        results[ref] = classes
        lines.append(f"{ref}: " + ", ".join(f"{c['class']} {c['p']:.2f}" for c in classes))
    labels = [f"{ref}: {results[ref][0]['class']}" for ref in images]
    chart = plots.bar_chart(labels, [results[ref][0]["p"] for ref in images],
                            f"{model} top-1 probability")
    artifacts = [_plot(ctx, chart, f"classify-{model}", f"{model} top-1 class per image")]
    return Observation("classify", f"{model} top classes: " + " | ".join(lines) + ".",
                       artifacts, result=Classification.model_validate(
                           {"model": model, "classes": results}))


@tool("vision", result=ClassScores)
def class_score(ctx: ToolContext, images: ImageRefs, class_name: str,
                model: str = "efficientnet_lite0") -> Observation:
    """The probability and logit of one class on each image: compare images that differ in one
    feature (background, colour, texture) to see what moves the class score.

    Args:
        images: image ids (or 'photo:NAME').
        class_name: a class of the classifier, e.g. 'espresso' or 'tabby'.
        model: an image classifier, e.g. 'efficientnet_lite0'.
    """
    import torch

    classifier = _classifier(model)
    names = list(classifier.class_names)
    lowered = [n.lower() for n in names]
    if class_name.lower() not in lowered:
        close = difflib.get_close_matches(class_name.lower(), lowered, n=5, cutoff=0.5)
        contains = [n for n in lowered if class_name.lower() in n][:5]
        hints = ", ".join(dict.fromkeys(contains + close)) or "none close"
        raise ToolError(f"{model} has no class {class_name!r}; close names: {hints}")
    index = lowered.index(class_name.lower())
    loaded = _load(ctx, images)
    with torch.inference_mode():
        logits = classifier.net(classifier.preprocess(loaded)).float().cpu()
    proba = logits.softmax(dim=-1)[:, index].tolist()
    logit = logits[:, index].tolist()
    ranks = (logits > logits[:, index : index + 1]).sum(dim=1).add(1).tolist()
    chart = plots.bar_chart(images, proba, f"p({names[index]}) under {model}")
    artifacts = [_plot(ctx, chart, f"class-score-{names[index]}", f"p({names[index]}) by image")]
    lines = [f"{ref} p={p:.3f} logit={z:.2f} rank {r}"
             for ref, p, z, r in zip(images, proba, logit, ranks, strict=True)]
    return Observation("class_score", f"{model} class {names[index]!r}: " + "; ".join(lines) + ".",
                       artifacts, result=ClassScores.model_validate({
                           "model": model, "class": names[index],
                           "probability": dict(zip(images, proba, strict=True)),
                           "logit": dict(zip(images, logit, strict=True)),
                           "rank": dict(zip(images, ranks, strict=True))}))
