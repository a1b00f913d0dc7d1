"""Per-variant measures: held-out loss, activation sparsity of sampled MLP neurons, and the seam
where an interpretability score (from the workbench's atlas) plugs in."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from models.text import TextModel
from models.units import format_unit


@dataclass(frozen=True)
class HeldoutLoss:
    """Token-weighted mean next-token loss (nats) on held-out texts, and its perplexity."""

    loss: float
    perplexity: float
    tokens: int

    def to_json(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True)
class SparsityStats:
    """How sparse sampled MLP neurons fire on held-out tokens.

    Attributes:
        near_zero: fraction of (neuron, token) activations with |a| <= `threshold`.
        near_zero_relative: fraction with |a| <= `relative_threshold` x the neuron's largest |a|
            on these tokens (unchanged by rescaling a neuron).
        kurtosis: median over neurons of the excess kurtosis of each neuron's activations over
            tokens (heavy tails: mostly quiet, sometimes strong); constant neurons are left out.
        mean_abs: mean |a|, to tell real sparsity from activations that merely shrank.
        threshold: the absolute threshold used.
        relative_threshold: the relative threshold used.
        neurons: how many neurons were measured.
        tokens: how many held-out tokens each neuron was measured on.
        per_layer: the same numbers per measured layer.
    """

    near_zero: float
    near_zero_relative: float
    kurtosis: float
    mean_abs: float
    threshold: float
    relative_threshold: float
    neurons: int
    tokens: int
    per_layer: dict[str, dict[str, float]]

    def to_json(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True)
class InterpretabilityScore:
    """The mean of a per-unit interpretability score over a variant's sampled units, with a 95 %
    normal-approximation interval."""

    variant: str
    mean: float
    low: float
    high: float
    scores: dict[str, float]

    def to_json(self) -> dict:
        return dict(self.__dict__)


def heldout_loss(model: TextModel, texts: Sequence[str], batch_size: int = 16) -> HeldoutLoss:
    """Mean loss over every real next-token prediction in `texts` (each text on its own)."""
    total, count = 0.0, 0
    net = model.net
    for start in range(0, len(texts), batch_size):
        batch = model.tokenize(texts[start:start + batch_size])
        ids = batch["input_ids"].to(model.device)
        mask = batch["attention_mask"].to(model.device)
        with torch.no_grad():
            logits = net(input_ids=ids, attention_mask=mask, use_cache=False).logits.float()
        logp = logits[:, :-1].log_softmax(-1).gather(-1, ids[:, 1:, None])[..., 0]
        real = mask[:, 1:].bool()  # [batch, tokens-1]: targets that are real tokens
        total -= float(logp[real].sum())
        count += int(real.sum())
    loss = total / max(1, count)
    return HeldoutLoss(loss=loss, perplexity=math.exp(loss), tokens=count)


def mlp_layers(model: TextModel) -> list[str]:
    """The model's MLP-neuron layer names, block by block (`model.layers.3.mlp`, ...)."""
    return [info.layer for info in model.layers() if info.kind == "mlp_neuron"]


def sample_neurons(model: TextModel, blocks: Sequence[int], per_layer: int,
                   seed: int) -> dict[str, list[int]]:
    """`per_layer` MLP neurons of each block, drawn without replacement with a fixed seed."""
    layers = mlp_layers(model)
    rng = np.random.default_rng(seed)
    chosen = {}
    for block in blocks:
        if not 0 <= block < len(layers):
            raise ValueError(f"measure.layers: block {block} is out of range for {model.name} "
                             f"(0..{len(layers) - 1})")
        width = model.layer_info(layers[block]).units
        picked = rng.choice(width, size=min(per_layer, width), replace=False)
        chosen[layers[block]] = sorted(int(i) for i in picked)
    return chosen


def neuron_activations(model: TextModel, layer: str, units: Sequence[int],
                       texts: Sequence[str], batch_size: int = 16) -> torch.Tensor:
    """The units' activations on every real token of `texts`, `[units, tokens]`."""
    columns = []
    step = min(batch_size, model.max_batch)
    for start in range(0, len(texts), step):
        recording = model.record(layer, texts[start:start + step], units)
        for row, length in enumerate(recording.lengths):
            columns.append(recording.maps[row, :, :length])  # [units, length]
    return torch.cat(columns, dim=1)


def excess_kurtosis(values: torch.Tensor) -> torch.Tensor:
    """Excess kurtosis of each row of `[rows, samples]`; NaN for constant rows."""
    centred = values.double() - values.double().mean(dim=1, keepdim=True)
    variance = centred.pow(2).mean(dim=1)
    fourth = centred.pow(4).mean(dim=1)
    return torch.where(variance > 1e-12, fourth / variance.clamp_min(1e-12) ** 2 - 3,
                       torch.full_like(variance, float("nan")))


def activation_sparsity(model: TextModel, texts: Sequence[str], neurons: dict[str, list[int]],
                        threshold: float, relative_threshold: float,
                        batch_size: int = 16) -> SparsityStats:
    """Sparsity of the sampled `neurons` (layer -> indices) over the real tokens of `texts`."""
    per_layer, pooled = {}, []
    for layer, units in neurons.items():
        values = neuron_activations(model, layer, units, texts, batch_size)  # [units, tokens]
        pooled.append(values)
        per_layer[layer] = _stats(values, threshold, relative_threshold)
    values = torch.cat(pooled, dim=0)
    overall = _stats(values, threshold, relative_threshold)
    return SparsityStats(**overall, threshold=threshold, relative_threshold=relative_threshold,
                         neurons=values.shape[0], tokens=values.shape[1], per_layer=per_layer)


def _stats(values: torch.Tensor, threshold: float, relative: float) -> dict[str, float]:
    size = values.abs()
    peak = size.max(dim=1, keepdim=True).values
    kurtosis = excess_kurtosis(values)
    return {
        "near_zero": float((size <= threshold).float().mean()),
        "near_zero_relative": float((size <= relative * peak).float().mean()),
        "kurtosis": float(np.nanmedian(kurtosis.numpy())) if bool(
            (~kurtosis.isnan()).any()) else float("nan"),
        "mean_abs": float(size.mean()),
    }


def unit_addresses(variant: str, neurons: dict[str, list[int]]) -> list[str]:
    """The sampled neurons as unit addresses of `variant` (same indices for every variant)."""
    return [format_unit(variant, layer, i) for layer, units in neurons.items() for i in units]


def interpretability(variant: str, units: Sequence[str],
                     score: Callable[[str], float]) -> InterpretabilityScore:
    """Score each unit of `variant` with `score` (for example an atlas description's simulation
    score) and summarise.

    Args:
        variant: the model name the units belong to (`base@variant`).
        units: unit addresses, normally `unit_addresses(variant, neurons)`.
        score: maps a unit address to a number, higher = easier to interpret.
    """
    if not units:
        raise ValueError("interpretability needs at least one unit")
    foreign = [u for u in units if not u.startswith(f"{variant}:")]
    if foreign:
        raise ValueError(f"units {foreign[:3]} are not units of {variant!r}")
    scores = {unit: float(score(unit)) for unit in units}
    values = np.array(list(scores.values()))
    mean = float(values.mean())
    half = 1.96 * float(values.std(ddof=1)) / math.sqrt(len(values)) if len(values) > 1 else 0.0
    return InterpretabilityScore(variant, mean, mean - half, mean + half, scores)
