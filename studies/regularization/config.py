"""The study's configuration: one YAML file validated by pydantic, with errors that say what's valid."""

from __future__ import annotations

import math
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from studies.regularization.regularizers import REGULARIZERS, check_strength


class StudyConfigError(ValueError):
    """A configuration that cannot be run as written; the message says what would be valid."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TrainConfig(_Strict):
    """How each variant is fine-tuned.

    Attributes:
        steps: optimizer steps per variant.
        batch_size: sequences per step.
        seq_len: tokens per sequence (training texts are packed into sequences of this length).
        learning_rate: AdamW peak learning rate (linear warm-up, then cosine decay to 10 %).
        warmup_steps: steps of linear warm-up.
        weight_decay: AdamW's decoupled weight decay (the control has it too).
        grad_clip: maximum gradient norm.
        layers: first and last block (inclusive, 0-based) whose modules train.
        modules: submodules of each block that train, e.g. ["mlp"] or ["mlp", "self_attn"];
            everything else stays frozen.
    """

    steps: int = Field(gt=0)
    batch_size: int = Field(gt=0)
    seq_len: int = Field(ge=8)
    learning_rate: float = Field(gt=0, lt=1)
    warmup_steps: int = Field(default=0, ge=0)
    weight_decay: float = Field(default=0.0, ge=0)
    grad_clip: float = Field(default=1.0, gt=0)
    layers: tuple[int, int]
    modules: tuple[str, ...] = ("mlp",)

    @model_validator(mode="after")
    def _check(self) -> TrainConfig:
        first, last = self.layers
        if first < 0 or last < first:
            raise ValueError(f"train.layers is [first, last] with 0 <= first <= last, got "
                             f"{list(self.layers)}")
        if not self.modules:
            raise ValueError("train.modules names at least one submodule of a block, e.g. mlp")
        if self.warmup_steps >= self.steps:
            raise ValueError(f"train.warmup_steps ({self.warmup_steps}) must be below train.steps "
                             f"({self.steps})")
        return self


class VariantSpec(_Strict):
    """One regularizer and the strengths to train it at (one variant per strength)."""

    regularizer: str
    strengths: tuple[float, ...] = ()

    @field_validator("regularizer")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in REGULARIZERS:
            raise ValueError(f"unknown regularizer {value!r}; valid: {', '.join(REGULARIZERS)}")
        return value

    @model_validator(mode="after")
    def _strengths(self) -> VariantSpec:
        needs = REGULARIZERS[self.regularizer].needs_strength
        if needs and not self.strengths:
            raise ValueError(f"regularizer {self.regularizer!r} needs strengths, e.g. "
                             f"{REGULARIZERS[self.regularizer].example}")
        if not needs and self.strengths:
            raise ValueError(f"regularizer {self.regularizer!r} takes no strengths")
        for strength in self.strengths:
            problem = check_strength(self.regularizer, strength)
            if problem:
                raise ValueError(problem)
        return self


class MeasureConfig(_Strict):
    """How variants are measured on held-out texts.

    Attributes:
        heldout_texts: how many held-out texts (the first ones of the held-out split).
        layers: blocks whose MLP neurons are measured (default: the trained blocks).
        neurons_per_layer: MLP neurons sampled per measured block (same ones for every variant).
        zero_threshold: an activation with |a| <= this counts as near zero (absolute).
        relative_threshold: |a| <= this times the neuron's largest |a| counts as near zero
            (scale-free, so shrinking all activations does not look like sparsity).
        batch_size: texts per forward pass.
    """

    heldout_texts: int = Field(default=200, gt=0)
    layers: tuple[int, ...] | None = None
    neurons_per_layer: int = Field(default=128, gt=0)
    zero_threshold: float = Field(default=0.01, gt=0)
    relative_threshold: float = Field(default=0.01, gt=0, lt=1)
    batch_size: int = Field(default=16, gt=0)


class EditConfig(_Strict):
    """The rank-one factual edits made on every variant.

    Attributes:
        layer: the block whose MLP output projection is edited.
        facts: how many built-in facts to edit (the first ones the base model knows).
        prefixes: random context prefixes averaged over for the key and the target value.
        covariance_texts: corpus texts whose MLP keys estimate the key covariance.
        steps: optimizer steps for the target value.
        learning_rate: Adam learning rate for the target value.
        kl_weight: weight of the KL term that keeps the subject's other predictions.
        max_delta_ratio: the value change is clipped to this times the original value's norm.
    """

    layer: int = Field(ge=0)
    facts: int = Field(default=8, gt=0)
    prefixes: int = Field(default=4, ge=0)
    covariance_texts: int = Field(default=400, gt=0)
    steps: int = Field(default=25, gt=0)
    learning_rate: float = Field(default=0.5, gt=0)
    kl_weight: float = Field(default=0.0625, ge=0)
    max_delta_ratio: float = Field(default=4.0, gt=0)


class StudyConfig(_Strict):
    """A whole study: base model, corpus, variants, and how to train, measure and edit them.

    Attributes:
        name: names the output folder.
        base_model: a registry name or hub id of a causal LM.
        seed: seeds data order, initial state, neuron sampling and prefixes.
        corpus: a corpus name from `studies.regularization.corpus` (train/held-out splits).
        tag: appended to each variant name (`base@l1-act-1e-3-<tag>`) to keep studies apart.
    """

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    base_model: str
    seed: int = 0
    corpus: str = "default"
    tag: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]+$")
    train: TrainConfig
    variants: tuple[VariantSpec, ...] = Field(min_length=1)
    measure: MeasureConfig = MeasureConfig()
    edit: EditConfig | None = None

    @model_validator(mode="after")
    def _check(self) -> StudyConfig:
        if "@" in self.base_model:
            raise ValueError("base_model is a base model, not a variant (no '@')")
        names = [v.name for v in self.variant_runs()]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"variants listed twice: {', '.join(duplicates)}")
        return self

    def variant_runs(self) -> list[VariantRun]:
        """One run per (regularizer, strength), in config order."""
        runs = []
        for spec in self.variants:
            for strength in spec.strengths or (None,):
                runs.append(VariantRun(base=self.base_model, regularizer=spec.regularizer,
                                       strength=strength, tag=self.tag))
        return runs


class VariantRun(_Strict):
    """One variant to train: its regularizer and strength, and the name it is saved under."""

    base: str
    regularizer: str
    strength: float | None
    tag: str | None = None

    @property
    def variant(self) -> str:
        label = REGULARIZERS[self.regularizer].label
        parts = [label] if self.strength is None else [label, format_strength(self.strength)]
        return "-".join(parts + ([self.tag] if self.tag else []))

    @property
    def name(self) -> str:
        return f"{self.base}@{self.variant}"


def format_strength(value: float) -> str:
    """A short, file-safe spelling: 0.001 -> '1e-3', 3e-05 -> '3e-5', 64.0 -> '64', 0.5 -> '0.5'."""
    if value == int(value) and abs(value) < 1e6:
        return str(int(value))
    exponent = math.floor(math.log10(abs(value)))
    mantissa = value / 10**exponent
    if abs(exponent) >= 3 and abs(mantissa - round(mantissa, 2)) < 1e-9:
        return f"{round(mantissa, 2):g}e{exponent}"
    return f"{value:g}"


def parse_config(data: object, source: str = "config") -> StudyConfig:
    """Validate a parsed YAML document; errors name the field and what is valid."""
    if not isinstance(data, dict):
        raise StudyConfigError(f"{source}: expected a mapping of settings, got "
                               f"{type(data).__name__}; see studies/regularization/configs/small.yaml")
    try:
        return StudyConfig.model_validate(data)
    except ValidationError as error:
        lines = []
        for item in error.errors():
            where = ".".join(str(p) for p in item["loc"]) or "(top level)"
            message = item["msg"].removeprefix("Value error, ")
            lines.append(f"  {where}: {message}")
        raise StudyConfigError(f"{source} is not a valid study config:\n" + "\n".join(lines)) from None


def load_config(path: str | Path) -> StudyConfig:
    """Read and validate a YAML study config."""
    path = Path(path)
    if not path.is_file():
        shipped = sorted(p.name for p in (Path(__file__).parent / "configs").glob("*.yaml"))
        raise StudyConfigError(f"no config file at {str(path)!r}; shipped configs: "
                               f"{', '.join(shipped)} in studies/regularization/configs/")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise StudyConfigError(f"{path} is not valid YAML: {error}") from None
    return parse_config(data, str(path))
