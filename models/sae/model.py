"""The sparse autoencoder itself: its config record and its encode/decode maths (inference only).

Three published activation rules are supported, all over the same affine maps
`pre = (x - b_dec) @ W_enc + b_enc` and `x_hat = z @ W_dec + b_dec`:

- `relu`: `z = ReLU(pre)`, trained with an L1 penalty (Bricken et al. 2023, "Towards
  Monosemanticity").
- `topk`: keep the k largest pre-activations, ReLU them, zero the rest (Gao et al. 2024,
  "Scaling and evaluating sparse autoencoders").
- `jumprelu`: `z = ReLU(pre) * [pre > threshold]` per latent (Rajamanoharan et al. 2024,
  "Jumping Ahead"), the form of Gemma Scope's published SAEs.

Shapes: `W_enc [d_in, d_sae]`, `b_enc [d_sae]`, `W_dec [d_sae, d_in]`, `b_dec [d_in]`,
`threshold [d_sae]` (jumprelu only); these are SAELens's names and layouts.
"""

from __future__ import annotations

from typing import Literal

import torch
from pydantic import BaseModel, ConfigDict, Field, model_validator
from torch import nn

from models.errors import ModelsError

Architecture = Literal["relu", "topk", "jumprelu"]
ARCHITECTURES: tuple[str, ...] = ("relu", "topk", "jumprelu")
FORMAT_VERSION = 1


class SAEError(ModelsError):
    """An SAE that cannot be found, read, trained or attached as asked."""


class SAEMetrics(BaseModel):
    """Reconstruction quality measured on activations the SAE was not trained on.

    Attributes:
        tokens: how many held-out token activations were measured.
        mse: mean over tokens and dimensions of `(x_hat - x)^2`.
        fvu: fraction of variance unexplained, `sum ||x_hat - x||^2 / sum ||x - mean(x)||^2`.
        l0: mean number of active (non-zero) latents per token.
        dead_latents: latents that never fired on `dead_window` tokens.
        dead_window: how many tokens (training and held-out) dead latents were counted over.
    """

    model_config = ConfigDict(extra="forbid")

    tokens: int
    mse: float
    fvu: float
    l0: float
    dead_latents: int
    dead_window: int


class SAETraining(BaseModel):
    """How an SAE trained here was trained (for the record and for reproducing it).

    `fvu_history` is the held-out FVU before training and then every `steps // 20` steps.
    """

    model_config = ConfigDict(extra="forbid")

    corpus: str
    corpus_key: str
    texts: int
    train_tokens: int
    steps: int
    batch_size: int
    lr: float
    seed: int
    seconds: float
    library: str
    fvu_history: list[float] = Field(default_factory=list)


class SAEConfig(BaseModel):
    """Everything needed to rebuild an SAE and place it on its model.

    Attributes:
        name: the layer name its latents are addressed by (`<model>:<name>:<latent>`).
        model: the subject model's registry name.
        hook_layer: the model's layer whose activations it reads (e.g. `model.layers.6`).
        architecture: relu, topk or jumprelu.
        d_in: width of the activations it reads; d_sae: number of latents.
        k: active latents per token (topk only).
        apply_b_dec_to_input: subtract `b_dec` before encoding (SAELens's default).
        center_input: subtract each token's mean over `d_in` first (for SAEs trained on
            TransformerLens activations with `center_writing_weights`); `decode` then
            reconstructs the centred activations.
        skip_first_token: the first token's latents read 0: the SAE was not trained on it.
        source: where it came from, for people.
    """

    model_config = ConfigDict(extra="forbid")

    format_version: int = FORMAT_VERSION
    name: str
    model: str
    hook_layer: str
    architecture: Architecture
    d_in: int = Field(gt=0)
    d_sae: int = Field(gt=0)
    k: int | None = None
    apply_b_dec_to_input: bool = True
    center_input: bool = False
    skip_first_token: bool = False
    source: str = ""
    training: SAETraining | None = None
    metrics: SAEMetrics | None = None

    @model_validator(mode="after")
    def _consistent(self) -> SAEConfig:
        check_name(self.name)
        if self.format_version != FORMAT_VERSION:
            raise ValueError(f"SAE format version {self.format_version}; this code reads "
                             f"version {FORMAT_VERSION}")
        if self.architecture == "topk" and not (self.k and 0 < self.k <= self.d_sae):
            raise ValueError(f"a topk SAE needs 0 < k <= d_sae ({self.d_sae}), got k={self.k}")
        return self


def check_name(name: str) -> str:
    """An SAE's name is a layer name and a folder name: non-empty, no ':' or '/', no leading '.'.

    Raises:
        SAEError: (a ValueError) the name is not usable.
    """
    if not name or ":" in name or "/" in name or name.startswith("."):
        raise SAEError(f"bad SAE name {name!r}: non-empty, without ':' or '/', not starting "
                       "with '.'")
    return name


def _tensor_shapes(config: SAEConfig) -> dict[str, tuple[int, ...]]:
    shapes = {"W_enc": (config.d_in, config.d_sae), "b_enc": (config.d_sae,),
              "W_dec": (config.d_sae, config.d_in), "b_dec": (config.d_in,)}
    if config.architecture == "jumprelu":
        shapes["threshold"] = (config.d_sae,)
    return shapes


class SparseAutoencoder(nn.Module):
    """An SAE for reading latents (no gradients): `encode` `[..., d_in] -> [..., d_sae]`."""

    def __init__(self, config: SAEConfig, tensors: dict[str, torch.Tensor]) -> None:
        """Build from a config and its tensors (see the module docstring for names and shapes).

        Raises:
            ValueError: a tensor is missing, extra or of the wrong shape.
        """
        super().__init__()
        self.config = config
        shapes = _tensor_shapes(config)
        if set(tensors) != set(shapes):
            raise ValueError(f"SAE {config.name!r}: tensors {sorted(tensors)}, expected "
                             f"{sorted(shapes)} for a {config.architecture} SAE")
        for key, shape in shapes.items():
            value = tensors[key]
            if tuple(value.shape) != shape:
                raise ValueError(f"SAE {config.name!r}: {key} has shape {tuple(value.shape)}, "
                                 f"expected {shape}")
            self.register_buffer(key, value.detach().clone().float().contiguous())

    def tensors(self) -> dict[str, torch.Tensor]:
        """The weights by SAELens's names, on the CPU (what `store.save_sae` writes)."""
        return {key: getattr(self, key).cpu() for key in _tensor_shapes(self.config)}

    @torch.no_grad()
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Latent activations `[..., d_sae]` of activations `x` `[..., d_in]` (float32)."""
        config = self.config
        x = x.to(self.W_enc.device, torch.float32)
        if config.center_input:
            x = x - x.mean(dim=-1, keepdim=True)
        if config.apply_b_dec_to_input:
            x = x - self.b_dec
        pre = x @ self.W_enc + self.b_enc
        if config.architecture == "relu":
            return pre.relu()
        if config.architecture == "jumprelu":
            return pre.relu() * (pre > self.threshold)
        values, indices = pre.topk(config.k, dim=-1)
        return torch.zeros_like(pre).scatter_(-1, indices, values.relu())

    @torch.no_grad()
    def decode(self, latents: torch.Tensor) -> torch.Tensor:
        """The reconstruction `[..., d_in]` from latents `[..., d_sae]`."""
        return latents.to(self.W_dec.device, torch.float32) @ self.W_dec + self.b_dec

    @torch.no_grad()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))
