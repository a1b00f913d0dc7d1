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
