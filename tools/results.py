"""Typed tool results: the contract between the tools and everything that reads them.

Every tool declares one of these as its result (`@tool(..., result=...)`); the Observation
carries it, the transcript stores its JSON, and policies read its fields (never dict keys
by tool name). `parse_result` turns a recorded JSON back into the typed result.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ToolResult(BaseModel):
    """Base class of every tool's structured result (JSON-serialisable, validated)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)

    def headline(self) -> str:
        """What the result found, in one plain sentence (for the chat's "Found:" line)."""
        return headline(self)

    def rows(self) -> list[dict[str, Any]]:
        """A few rows of numbers to show as a small table (empty when there are none)."""
        return table(self)


# --------------------------------------------------------------------------- unit readings


class ImageExemplar(BaseModel):
    """One top-activating image of a unit, saved under an image id."""

    id: str
    rank: int
    value: float
    stimulus_id: str
    mask_shape: list[int]
    mask_coverage: float


class VisionExemplars(ToolResult):
    """`dataset_exemplars` on a vision unit: top images and the unit's corpus quantiles."""

    unit: str
    corpus: str
    exemplars: list[ImageExemplar]
    quantiles: dict[str, float]


class TokenRow(BaseModel):
    """A text with the unit's value on each token."""

    text: str
    tokens: list[str]
    values: list[float]
    max: float
    max_token: str
    rank: int | None = None
    stimulus_id: str | None = None
    cached_value: float | None = None


class TextExemplars(ToolResult):
    """`dataset_exemplars` on a text unit: top texts with per-token values."""

    unit: str
    kind: str
    corpus: str
    exemplars: list[TokenRow]


class VisionCall(ToolResult):
    """`call_unit` on images: the unit's value (max over its map) per image."""

    unit: str
    images: list[str]
    values: dict[str, float]
    activations: list[float]


class TextCall(ToolResult):
    """`call_unit` on texts: per-token values and the max per text."""

    unit: str
    kind: str
    texts: list[TokenRow]
    max: list[float]


# --------------------------------------------------------------------------- concept contrasts


class ConceptEnrichmentRow(BaseModel):
    concept: str
    top_fraction: float
    base_fraction: float
    lift: float
    enrichment: float


class ConceptEnrichment(ToolResult):
    """`exemplar_concepts`: how over-represented each concept is among the top exemplars."""

    k: int
    sample: int
    concepts: list[ConceptEnrichmentRow]
    top_values: list[float]
    # the exemplars are natural data (photos, passages), not procedural stimuli
    natural: bool = False


class ConceptScreenRow(BaseModel):
    concept: str
    auc: float
    mean_with: float
    mean_without: float
    difference: float


class ConceptScreen(ToolResult):
    """`screen_concepts`: each concept present vs absent (optionally given or without others)."""

    given: list[str]
    absent: list[str]
    n: int
    concepts: list[ConceptScreenRow]
    skipped: list[str]


class ProbeExample(BaseModel):
    value: float
    image: str | None = None
    text: str | None = None


class ConceptProbe(ToolResult):
    """`probe_concepts`: the unit on n stimuli with some concepts and without others."""

    include: list[str]
    exclude: list[str]
    n: int
    values: list[float]
    mean: float
    std: float
    examples: list[ProbeExample]


# --------------------------------------------------------------------------- image stimuli


class GeneratedImage(BaseModel):
    id: str
    prompt: str
    unrendered: list[str]


class GeneratedImages(ToolResult):
    """`text2image`: one image id per prompt, and words the backend could not draw."""

    backend: str
    images: list[GeneratedImage]
    unrendered: list[str]
    note: str | None = None


class ImageEdit(BaseModel):
    original: str
    edit: str
    id: str | None
    applied: str | None = None
    error: str | None = None


class EditedImages(ToolResult):
    """`edit_images`: the edited image id per (image, instruction) pair, or why not."""

    backend: str
    pairs: list[ImageEdit]
    applied: int
    note: str | None = None


class ImageDescriptions(ToolResult):
    """`describe_images`: a description per image (offline fallback labelled as such)."""

    backend: str
    offline: bool
    label: str | None
    descriptions: dict[str, str]
    facts: dict[str, dict[str, Any]]
    note: str | None = None


class SharedTag(BaseModel):
    tag: str
    count: int


class ImageSummary(ToolResult):
    """`summarize_images`: what a set of images has in common."""

    backend: str
    offline: bool
    label: str | None
    summary: str
    images: list[str]
    shared: list[SharedTag] = Field(default_factory=list)
    tag_counts: dict[str, int] = Field(default_factory=dict)
    note: str | None = None


class ClassProbability(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    class_name: str = Field(alias="class")
    p: float


class Classification(ToolResult):
    """`classify`: the classifier's top classes per image."""

    model: str
    classes: dict[str, list[ClassProbability]]


class ClassScores(ToolResult):
    """`class_score`: one class's probability, logit and rank per image."""

    model: str
    class_name: str = Field(alias="class")
    probability: dict[str, float]
    logit: dict[str, float]
    rank: dict[str, int]


# --------------------------------------------------------------------------- text stimuli


class GeneratedTexts(ToolResult):
    """`generate_texts`: new stimulus texts and where they came from."""

    texts: list[str]
    source: str
    prompt: str


class TextEdit(BaseModel):
    original: str
    edit: str
    edited: str | None
    path: str
    applied: bool
    reason: str
    original_max: float | None = None
    edited_max: float | None = None


class EditedTexts(ToolResult):
    """`edit_texts`: each (text, edit) pair, applied or why not, and the unit on both."""

    pairs: list[TextEdit]
    unit: str | None = None


# --------------------------------------------------------------------------- causal text tools


class NextToken(BaseModel):
    token: str
    id: int
    prob: float


class InterventionEffect(ToolResult):
    """`ablate_unit` / `steer_unit`: the next token and continuation before and after."""

    unit: str
    kind: str
    prompt: str
    intervention: str
    activation_on_prompt: float
    kl_divergence: float | None = None
    top_before: list[NextToken] = Field(default_factory=list)
    top_after: list[NextToken] = Field(default_factory=list)
    continuation_before: str | None = None
    continuation_after: str | None = None
    continuation_changed: bool | None = None
    embedding_cosine: float | None = None
    embedding_l2_change: float | None = None


class TokenWeightRow(BaseModel):
    token_id: int
    token: str
    weight: float


class LogitEffectResult(ToolResult):
    """`logit_effect`: tokens a unit promotes and suppresses through the unembedding."""

    unit: str
    kind: str
    method: str
    promoted: list[TokenWeightRow]
    suppressed: list[TokenWeightRow]


# --------------------------------------------------------------------------- plain words
# One sentence per result for people (the chat's "Found:" line) and, where the result has
# rows, a small table. Kept beside the result types so that a new result can say the same.


def _top(items: list[str], k: int = 3) -> str:
    return ", ".join(items[:k]) if items else "none"


def headline(result: ToolResult) -> str:
    """What a result found, in one plain sentence."""
    if isinstance(result, VisionExemplars):
        values = [e.value for e in result.exemplars]
        return (f"The top {len(values)} images reach activations from {max(values):.3g} down "
                f"to {min(values):.3g} (corpus median {result.quantiles.get('0.5', 0):.3g}).")
    if isinstance(result, TextExemplars):
        tokens = list(dict.fromkeys(r.max_token.strip() for r in result.exemplars))
        return (f"The top {len(result.exemplars)} texts peak on the tokens "
                f"{_top([repr(t) for t in tokens if t], 5)}.")
    if isinstance(result, VisionCall | TextCall):
        values = result.activations if isinstance(result, VisionCall) else result.max
        names = result.images if isinstance(result, VisionCall) else [
            f"text {i}" for i in range(len(values))]
        best, worst = max(range(len(values)), key=values.__getitem__), min(
            range(len(values)), key=values.__getitem__)
        return (f"Highest on {names[best]} ({values[best]:.3g}), lowest on {names[worst]} "
                f"({values[worst]:.3g}).")
    if isinstance(result, ConceptEnrichment):
        rows = [f"{r.concept} ({r.top_fraction:.0%} of top vs {r.base_fraction:.0%} of random)"
                for r in result.concepts if r.lift > 0]
        return f"Over-represented among the top exemplars: {_top(rows)}."
    if isinstance(result, ConceptScreen):
        context = (f" with {', '.join(result.given)} present" if result.given else "") + (
            f" without {', '.join(result.absent)}" if result.absent else "")
        best, worst = result.concepts[0], result.concepts[-1]
        return (f"Across {len(result.concepts)} concepts{context}, {best.concept} raises the unit "
                f"most (AUC {best.auc:.2f}) and {worst.concept} least (AUC {worst.auc:.2f}).")
    if isinstance(result, ConceptProbe):
        described = " and ".join(result.include) or "no particular concept"
        if result.exclude:
            described += f", without {' or '.join(result.exclude)}"
        return (f"On {result.n} stimuli with {described} the unit averages {result.mean:.3g} "
                f"(sd {result.std:.2g}).")
    if isinstance(result, InterventionEffect):
        if result.kl_divergence is None:
            return f"{result.intervention} moves the sentence embedding (cosine " \
                   f"{result.embedding_cosine:.3f})."
        changed = "changes" if result.continuation_changed else "keeps"
        return (f"{result.intervention.capitalize()} shifts the next-token distribution by "
                f"KL {result.kl_divergence:.3g} nats and {changed} the greedy continuation.")
    if isinstance(result, LogitEffectResult):
        return (f"Promotes {_top([repr(r.token) for r in result.promoted])}; suppresses "
                f"{_top([repr(r.token) for r in result.suppressed])}.")
    if isinstance(result, GeneratedImages):
        return f"Generated {len(result.images)} images ({result.backend})."
    if isinstance(result, EditedImages):
        return f"Applied {result.applied} of {len(result.pairs)} edits ({result.backend})."
    if isinstance(result, GeneratedTexts):
        return f"Wrote {len(result.texts)} texts."
    if isinstance(result, EditedTexts):
        applied = sum(p.applied for p in result.pairs)
        return f"Applied {applied} of {len(result.pairs)} edits."
    if isinstance(result, ClassScores):
        values = list(result.probability.values())
        return (f"p({result.class_name}) ranges from {min(values):.3f} to {max(values):.3f} "
                "over the images.")
    return ""


def table(result: ToolResult) -> list[dict[str, Any]]:
    """A few rows of numbers to show as a small table (empty when there are none)."""
    if isinstance(result, ConceptScreen):
        return [{"concept": r.concept, "AUC": round(r.auc, 2), "mean with": round(r.mean_with, 3),
                 "mean without": round(r.mean_without, 3)} for r in result.concepts[:5]]
    if isinstance(result, ConceptEnrichment):
        return [{"concept": r.concept, "in top exemplars": f"{r.top_fraction:.0%}",
                 "in a random sample": f"{r.base_fraction:.0%}"}
                for r in result.concepts[:5] if r.lift > 0]
    return []
