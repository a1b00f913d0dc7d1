"""Regularizers for fine-tuning, one small class each behind a registry from name to class.

Each one attaches to the trained part of a net (`TrainTarget`), may add a penalty to the loss,
may act after each optimizer step, and may change the forward pass in a way the saved variant
has to keep (top-k). Penalties are stated in the class docstrings so strengths can be compared.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from models.variants import TopK, install_topk


@dataclass
class TrainTarget:
    """The part of a net a fine-tune changes.

    Attributes:
        net: the transformers module being trained.
        neuron_inputs: paths of the modules whose input is each trained block's MLP neuron
            activations (`mlp.down_proj` in Llama-family models).
        weights: names of the trained weight matrices (2-D parameters) of the trained MLPs.
        steps: how many optimizer steps training will take.
        trained: names of every trained parameter.
    """

    net: nn.Module
    neuron_inputs: list[str]
    weights: list[str]
    steps: int
    trained: list[str]


class Regularizer:
    """Base class. Subclasses set `label` (used in variant names) and override what they need."""

    label: str = ""
    needs_strength: bool = True
    acts_on_weights: bool = False
    example: str = ""

    def __init__(self, strength: float | None) -> None:
        self.strength = strength
        self.target: TrainTarget | None = None

    @classmethod
    def strength_problem(cls, strength: float) -> str | None:
        """Why `strength` is invalid for this regularizer, or None."""
        return None if strength > 0 else f"{cls.label} strength must be > 0, got {strength}"

    def attach(self, target: TrainTarget) -> None:
        """Install hooks on the net before training."""
        self.target = target

    def penalty(self) -> torch.Tensor | None:
        """The term to add to this step's loss (after a forward pass), or None."""
        return None

    def after_step(self, step: int) -> None:
        """Called after optimizer step `step` (0-based)."""

    def detach(self) -> None:
        """Remove training-only hooks (forward changes the variant keeps stay, see `topk`)."""

    def topk(self) -> TopK | None:
        """The forward change the saved variant must re-install, if any."""
        return None

    def summary(self) -> dict:
        """Numbers describing the regularizer's state at the end of training."""
        return {}


class Control(Regularizer):
    """No regularizer: the unregularized fine-tune every other variant is compared with."""

    label = "control"
    needs_strength = False


class L1Activations(Regularizer):
    """L1 on MLP neuron activations (the input of `mlp.down_proj`).

    penalty = strength * mean over trained blocks of (mean over tokens of sum over neurons |a|),
    the per-token L1 norm used for sparse autoencoders.
    """

    label = "l1-act"
    example = "[1e-4, 1e-3]"

    def attach(self, target: TrainTarget) -> None:
        super().attach(target)
        self._terms: list[torch.Tensor] = []

        def record(_module, args):
            hidden = args[0]  # [batch, tokens, neurons]
            self._terms.append(hidden.abs().sum(dim=-1).mean())

        self._handles = [target.net.get_submodule(path).register_forward_pre_hook(record)
                         for path in target.neuron_inputs]

    def penalty(self) -> torch.Tensor | None:
        if not self._terms:
            return None
        value = torch.stack(self._terms).mean() * self.strength
        self._terms = []
        return value

    def detach(self) -> None:
        for handle in self._handles:
            handle.remove()


class L1Weights(Regularizer):
    """L1 on the trained MLP weight matrices: penalty = strength * sum of |w| over them."""

    label = "l1-weight"
    acts_on_weights = True
    example = "[1e-6, 1e-5]"

    def penalty(self) -> torch.Tensor | None:
        net = self.target.net
        total = sum(net.get_parameter(name).abs().sum() for name in self.target.weights)
        return total * self.strength


class MagnitudePruning(Regularizer):
    """Magnitude pruning of the trained MLP weight matrices to a target sparsity.

    The sparsity follows the cubic schedule of Zhu & Gupta (2017, "To prune, or not to prune"):
    s(t) = s_final * (1 - (1 - t / T)^3) for t <= T, with T = `ramp` * steps, after which the
    masks stay fixed while training continues. Each matrix loses its smallest-|w| entries
    (same sparsity per matrix); pruned weights are set back to zero after every step, so the
    saved weights carry the masks.
    """

    label = "prune"
    acts_on_weights = True
    example = "[0.5, 0.8]"
    ramp = 0.5

    @classmethod
    def strength_problem(cls, strength: float) -> str | None:
        if 0 < strength < 1:
            return None
        return f"prune strength is the final sparsity, a fraction in (0, 1), got {strength}"

    def attach(self, target: TrainTarget) -> None:
        super().attach(target)
        self._masks: dict[str, torch.Tensor] = {}
        self._sparsity = 0.0

    def scheduled(self, step: int) -> float:
        """The sparsity the masks reach after step `step` (0-based)."""
        ramp_steps = max(1, round(self.ramp * self.target.steps))
        progress = min(1.0, (step + 1) / ramp_steps)
        return self.strength * (1 - (1 - progress) ** 3)

    @torch.no_grad()
    def after_step(self, step: int) -> None:
        wanted = self.scheduled(step)
        net = self.target.net
        for name in self.target.weights:
            weight = net.get_parameter(name)
            if wanted > self._sparsity:
                drop = int(wanted * weight.numel())
                if drop > 0:
                    threshold = weight.abs().flatten().kthvalue(drop).values
                    mask = weight.abs() > threshold
                    self._masks[name] = mask if name not in self._masks else mask & self._masks[name]
            if name in self._masks:
                weight.mul_(self._masks[name])
        self._sparsity = max(self._sparsity, wanted)

    def summary(self) -> dict:
        net = self.target.net
        zeros = sum(int((net.get_parameter(n) == 0).sum()) for n in self.target.weights)
        total = sum(net.get_parameter(n).numel() for n in self.target.weights)
        return {"weight_sparsity": zeros / max(1, total), "scheduled_sparsity": self._sparsity}


class TopKActivations(Regularizer):
    """Top-k activation sparsity: each token keeps only its k largest-|a| MLP activations.

    An architectural change, not a penalty (like SoLU's, Elhage et al. 2022): it is applied
    while training and re-installed whenever the saved variant loads.
    """

    label = "topk"
    example = "[256, 64]"

    @classmethod
    def strength_problem(cls, strength: float) -> str | None:
        if strength >= 1 and strength == int(strength):
            return None
        return f"topk strength is k, a whole number of neurons >= 1, got {strength}"

    def attach(self, target: TrainTarget) -> None:
        super().attach(target)
        install_topk(target.net, target.neuron_inputs, int(self.strength))

    def topk(self) -> TopK | None:
        return TopK(int(self.strength), tuple(self.target.neuron_inputs))


REGULARIZERS: dict[str, type[Regularizer]] = {
    cls.label: cls for cls in (Control, L1Activations, L1Weights, MagnitudePruning, TopKActivations)
}


def check_strength(name: str, strength: float) -> str | None:
    """Why `strength` is invalid for the regularizer `name`, or None when it is valid."""
    return REGULARIZERS[name].strength_problem(strength)


def build(name: str, strength: float | None) -> Regularizer:
    """A regularizer by registry name."""
    if name not in REGULARIZERS:
        raise ValueError(f"unknown regularizer {name!r}; valid: {', '.join(REGULARIZERS)}")
    return REGULARIZERS[name](strength)
