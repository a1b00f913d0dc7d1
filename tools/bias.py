"""Is a classifier biased by the background for a class? A model-level experiment in the style
of the background challenge of Xiao et al. (2021, "Noise or Signal: The Role of Image
Backgrounds in Object Recognition"): separate each image of the class into object and
background (the class's own evidence map), then measure the class with the background removed,
the object removed, and the object on other images' backgrounds."""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from PIL import Image, ImageFilter
from pydantic import BaseModel, Field

from models.exemplars import exemplars
from models.registry import get_model
from tools import plots
from tools.context import ToolContext, ToolError
from tools.observation import Artifact, Observation
from tools.registry import tool
from tools.results import ToolResult

#: Share of an image's pixels taken as the object: the most class-evident part.
OBJECT_SHARE = 0.35
CONDITIONS = ("original", "object_only", "background_only", "other_background",
              "same_class_background")
_SHORT = {"original": "orig", "object_only": "object", "background_only": "backgr.",
          "other_background": "swap", "same_class_background": "same"}
_PLAIN = {"object_only": "object on a plain grey background",
          "background_only": "background with the object greyed out",
          "other_background": "object pasted on another class's image",
          "same_class_background": "object pasted on another image of the same class"}


class ConditionScore(BaseModel):
    condition: str
    mean_probability: float
    top1: float
    top5: float
    mean_logit: float


class BackgroundBias(ToolResult):
    """`background_bias`: the class's scores per condition, the effects and a verdict."""

    model: str
    class_name: str
    images: list[str]
    source: str
    conditions: list[ConditionScore]
    effects: dict[str, dict[str, float]]
    verdict: str
    reason: str


def _bootstrap(values: np.ndarray, seed: int = 0, rounds: int = 2000) -> tuple[float, float]:
    """95% interval of a mean by resampling images."""
    if len(values) < 2:
        return float(values.mean()), float(values.mean())
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), (rounds, len(values)))].mean(axis=1)
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def _composite(object_image: Image.Image, mask: np.ndarray, background: Image.Image
               ) -> Image.Image:
    """The masked object of one image over another image's background (soft edges)."""
    size = object_image.size
    alpha = Image.fromarray((mask * 255).astype(np.uint8)).resize(size).filter(
        ImageFilter.GaussianBlur(2))
    return Image.composite(object_image, background.resize(size), alpha)


def _sources(ctx: ToolContext, model: Any, index: int, refs: list[str] | None,
             n: int) -> tuple[list[str], list[Image.Image], str]:
    """The images of the class: given ones, else the class's top exemplars of the corpus."""
    if refs:
        return list(refs), [ctx.images.get(r) for r in refs], "given images"
    logit_layer = next(info.layer for info in model.layers() if info.kind == "logit")
    found = exemplars(f"{model.name}:{logit_layer}:{index}", k=n, corpus=ctx.corpus)
    ids = []
    for exemplar in found:
        image_id, _ = ctx.images.add(exemplar.stimulus, f"exemplar of {model.class_names[index]}")
        ids.append(image_id)
    return ids, [e.stimulus for e in found], (f"the {n} images of corpus {ctx.corpus!r} with "
                                                "the highest logit for the class")


def _backgrounds(ctx: ToolContext, model: Any, index: int, n: int) -> list[Image.Image]:
    """Images of other classes to take backgrounds from: the corpus's lowest for the class."""
    from models.exemplars import layer_exemplars

    logit_layer = next(info.layer for info in model.layers() if info.kind == "logit")
    cache = layer_exemplars(model.name, logit_layer, ctx.corpus)
    sample = [int(i) for i in cache.sample_indices[:n]]
    return [image.convert("RGB") for image in cache.corpus.items(sample)]


def _verdict(scores: dict[str, ConditionScore], effects: dict[str, dict[str, float]],
             recognised: int) -> tuple[str, str]:
    """biased / not biased / inconclusive, and why (thresholds stated in the reason)."""
    if recognised < 3:
        return "inconclusive", (f"the classifier recognises the class in only {recognised} "
                                "source image(s) (top-5); at least 3 are needed")
    only_bg = scores["background_only"].top5
    swap, alone = effects["other_background"], effects["object_only"]
    if only_bg >= 0.5:
        return "biased", (f"with the object greyed out the class stays in the top 5 for "
                          f"{only_bg:.0%} of images (>= 50%): the background alone carries it")
    for what, effect in (("pasting the object on other classes' backgrounds", swap),
                         ("showing the object on plain grey", alone)):
        if effect["top5_change"] <= -0.3 and effect["high"] < 0:
            return "biased", (f"{what} lowers the top-5 rate by {-effect['top5_change']:.0%} "
                              "(>= 30%, interval excludes 0): the class needs its background")
    if only_bg <= 0.2 and swap["top5_change"] > -0.2 and alone["top5_change"] > -0.2:
        return "not biased", (f"without the object the class is in the top 5 for only "
                              f"{only_bg:.0%} of images (<= 20%), and other or no backgrounds "
                              f"change the top-5 rate by {swap['top5_change']:+.0%} and "
                              f"{alone['top5_change']:+.0%} (less than 20% each)")
    return "inconclusive", ("the background neither carries the class alone nor leaves it "
                            "untouched by the thresholds used (50% / 30% / 20%)")


@tool("vision", result=BackgroundBias)
def background_bias(ctx: ToolContext, class_name: str, model: str = "efficientnet_lite0",
                    images: Annotated[list[str], Field(max_length=16)] | None = None,
                    n: Annotated[int, Field(ge=3, le=16)] = 8) -> Observation:
    """Is the classifier biased by the background for a class? Separates each image of the
    class into object and background (the class's evidence map), then scores the class on the
    object alone, the background alone, and the object pasted on other images' backgrounds;
    reports the effects with 95% intervals, the images, and a verdict (biased / not biased /
    inconclusive).

    Args:
        class_name: the class, e.g. 'espresso'.
        model: an image classifier, e.g. 'efficientnet_lite0'.
        images: image ids of the class (default: its top exemplars in the corpus).
        n: how many images when none are given.
    """
    classifier = get_model(model)
    if classifier.modality != "vision" or not getattr(classifier, "class_names", None):
        raise ToolError(f"{model!r} is not an image classifier with named classes; "
                        "try 'efficientnet_lite0'")
    index = classifier.class_index(class_name)
    name = classifier.class_names[index]
    refs, originals, source = _sources(ctx, classifier, index, images, n)
    originals = [image.convert("RGB") for image in originals]
    masks = classifier.class_evidence_map(originals, index)
    masks = masks >= np.quantile(masks.reshape(len(masks), -1), 1 - OBJECT_SHARE, axis=1)[
        :, None, None]
    others = _backgrounds(ctx, classifier, index, len(originals))
    grey = Image.new("RGB", originals[0].size, (128, 128, 128))
    variants: dict[str, list[Image.Image]] = {c: [] for c in CONDITIONS}
    for i, (image, mask) in enumerate(zip(originals, masks, strict=True)):
        mean_colour = tuple(int(v) for v in np.asarray(image).reshape(-1, 3).mean(axis=0))
        variants["original"].append(image)
        variants["object_only"].append(_composite(image, mask, grey.resize(image.size)))
        variants["background_only"].append(_composite(
            Image.new("RGB", image.size, mean_colour), mask, image))
        variants["other_background"].append(_composite(image, mask, others[i % len(others)]))
        partner = originals[(i + 1) % len(originals)]
        variants["same_class_background"].append(_composite(image, mask, partner))
    scores: dict[str, ConditionScore] = {}
    per_condition: dict[str, dict[str, np.ndarray]] = {}
    for condition, batch in variants.items():
        logits = classifier.logits(batch)
        probability = logits.softmax(dim=-1)[:, index].numpy()
        rank = (logits > logits[:, index:index + 1]).sum(dim=1).numpy() + 1
        per_condition[condition] = {"p": probability, "top5": (rank <= 5).astype(float)}
        scores[condition] = ConditionScore(
            condition=condition, mean_probability=round(float(probability.mean()), 4),
            top1=round(float((rank == 1).mean()), 4), top5=round(float((rank <= 5).mean()), 4),
            mean_logit=round(float(logits[:, index].mean()), 4))
    effects = {}
    for condition in CONDITIONS[1:]:
        delta_p = per_condition[condition]["p"] - per_condition["original"]["p"]
        delta_top5 = per_condition[condition]["top5"] - per_condition["original"]["top5"]
        low, high = _bootstrap(delta_top5)
        p_low, p_high = _bootstrap(delta_p, seed=1)
        effects[condition] = {"probability_change": round(float(delta_p.mean()), 4),
                              "probability_low": round(p_low, 4),
                              "probability_high": round(p_high, 4),
                              "top5_change": round(float(delta_top5.mean()), 4),
                              "low": round(low, 4), "high": round(high, 4)}
    recognised = int(per_condition["original"]["top5"].sum())
    verdict, reason = _verdict(scores, effects, recognised)
    artifacts = _figures(ctx, variants, per_condition, name)
    lines = [f"{_PLAIN.get(c, c)}: p={scores[c].mean_probability:.3f}, top-5 "
             f"{scores[c].top5:.0%}" for c in CONDITIONS]
    summary = (f"Background bias of {model} for {name!r} on {len(refs)} images ({source}): "
               f"{verdict.upper()}: {reason}. " + "; ".join(lines) + ".")
    return Observation("background_bias", summary, artifacts, result=BackgroundBias(
        model=model, class_name=name, images=refs, source=source,
        conditions=list(scores.values()), effects=effects, verdict=verdict, reason=reason))


def _figures(ctx: ToolContext, variants: dict[str, list[Image.Image]],
             per_condition: dict[str, dict[str, np.ndarray]], name: str) -> list[Artifact]:
    """A grid (rows: images, columns: conditions, captions: p(class)) and a bar chart."""
    shown, titles = [], []
    rows = min(4, len(variants["original"]))
    for i in range(rows):
        for condition in CONDITIONS:
            shown.append(variants[condition][i])
            titles.append(f"{_SHORT[condition]} p={per_condition[condition]['p'][i]:.2f}")
    grid_path = plots.save_png(plots.grid(shown, titles, columns=len(CONDITIONS)),
                               ctx.plot_path("background-bias"))
    legend = ", ".join(f"{_SHORT[c]} = {_PLAIN.get(c, 'the image as it is')}" for c in CONDITIONS)
    chart = plots.bar_chart([c.replace("_", " ") for c in CONDITIONS],
                            [float(per_condition[c]["p"].mean()) for c in CONDITIONS],
                            f"mean p({name}) by condition")
    chart_path = plots.save_png(chart, ctx.plot_path("background-bias-chart"))
    return [Artifact(str(grid_path), "plot", f"p({name}) per image (rows) and condition "
                                             f"(columns: {legend})"),
            Artifact(str(chart_path), "plot", f"mean p({name}) by condition")]
