"""Train an SAE on a language model's layer over a text corpus, measure it, store it.

Activations come from the model's own recording path (`TextModel.record`), so the SAE reads
exactly what its layer will read. Training runs SAELens's `SAETrainer` step by step (its public
`step` seam, so the loss can be followed): TopK SAEs (Gao et al. 2024, with their AuxK loss for
dead latents) or ReLU SAEs with an L1 penalty (Bricken et al. 2023), on inputs scaled to mean
norm sqrt(d_in) (SAELens's `expected_average_only_in`), the scale folded back afterwards and the
decoder rows normalised to unit norm. Quality is measured on held-out texts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from importlib.metadata import version

import numpy as np
import torch

from models.corpora import Corpus, get_corpus
from models.registry import get_model
from models.sae.layers import READABLE_KINDS, attach_sae
from models.sae.lens import from_sae_lens, require_sae_lens
from models.sae.model import (
    ARCHITECTURES,
    SAEError,
    SAEMetrics,
    SAETraining,
    SparseAutoencoder,
    check_name,
)
from models.sae.store import save_sae
from models.text import TextModel


def collect_activations(
    model: TextModel, layer: str, texts: Sequence[str], skip_first_token: bool = True,
    max_tokens: int | None = None,
) -> torch.Tensor:
    """The layer's activation at every real token of the texts, `[tokens, d]` float32.

    Args:
        skip_first_token: leave out each text's first token (in SmolLM2 it is an attention
            sink whose residual norm is ~5x the others').
        max_tokens: stop after this many tokens.
    """
    rows: list[torch.Tensor] = []
    count = 0
    for start in range(0, len(texts), model.max_batch):
        recording = model.record(layer, list(texts[start:start + model.max_batch]))
        for i, length in enumerate(recording.lengths):
            tokens = recording.maps[i, :, :length].T  # [length, d]
            rows.append(tokens[1:] if skip_first_token else tokens)
            count += rows[-1].shape[0]
        if max_tokens is not None and count >= max_tokens:
            break
    if not rows or count == 0:
        raise SAEError("no token activations collected: the texts are too short")
    found = torch.cat(rows)
    return found[:max_tokens] if max_tokens is not None else found


@torch.no_grad()
def evaluate(sae: SparseAutoencoder, held_out: torch.Tensor, everything: torch.Tensor,
             chunk: int = 4096) -> SAEMetrics:
    """MSE, FVU and L0 on `held_out` `[n, d_in]`; dead latents over `everything` `[m, d_in]`."""
    error = variance = active = 0.0
    device = sae.W_enc.device
    mean = held_out.mean(dim=0).to(device)
    for start in range(0, held_out.shape[0], chunk):
        x = held_out[start:start + chunk].to(device)
        latents = sae.encode(x)
        error += float(((sae.decode(latents) - x) ** 2).sum())
        variance += float(((x - mean) ** 2).sum())
        active += float((latents > 0).sum())
    fired = torch.zeros(sae.config.d_sae, dtype=torch.bool)
    for start in range(0, everything.shape[0], chunk):
        fired |= (sae.encode(everything[start:start + chunk]) > 0).any(dim=0).cpu()
    n = held_out.shape[0]
    return SAEMetrics(tokens=n, mse=error / (n * held_out.shape[1]), fvu=error / variance,
                      l0=active / n, dead_latents=int((~fired).sum()),
                      dead_window=everything.shape[0])


@torch.no_grad()
def _scaled_fvu(sae, scaler, x: torch.Tensor) -> float:
    """FVU of a SAELens training SAE on `x` `[n, d_in]`, scaled as in training (FVU is
    scale-free)."""
    was_training = sae.training
    sae.eval()
    scaled = scaler(x)
    error = float(((sae(scaled) - scaled) ** 2).sum())
    sae.train(was_training)
    return error / float(((scaled - scaled.mean(dim=0)) ** 2).sum())


def _batches(data: torch.Tensor, size: int, seed: int) -> Iterator[torch.Tensor]:
    """Endless shuffled minibatches `[size, d]`, one fresh permutation per epoch."""
    generator = torch.Generator().manual_seed(seed)
    while True:
        order = torch.randperm(data.shape[0], generator=generator)
        for start in range(0, data.shape[0] - size + 1, size):
            yield data[order[start:start + size]]


def _training_sae(architecture: str, d_in: int, width: int, k: int, l1_coefficient: float,
                  device: str):
    """A fresh SAELens training SAE of the asked architecture."""
    from sae_lens import (
        StandardTrainingSAE,
        StandardTrainingSAEConfig,
        TopKTrainingSAE,
        TopKTrainingSAEConfig,
    )

    common = {"d_in": d_in, "d_sae": width, "normalize_activations": "expected_average_only_in",
              "device": device, "dtype": "float32"}
    if architecture == "topk":
        return TopKTrainingSAE(TopKTrainingSAEConfig(k=k, **common))
    return StandardTrainingSAE(StandardTrainingSAEConfig(l1_coefficient=l1_coefficient, **common))


def train_sae(
    model_name: str = "smollm2-135m-instruct",
    layer: str = "model.layers.6",
    corpus: str | Corpus = "default",
    *,
    name: str | None = None,
    architecture: str = "topk",
    width: int = 2048,
    k: int = 32,
    l1_coefficient: float = 5.0,
    steps: int = 400,
    batch_size: int = 1024,
    lr: float = 1e-3,
    seed: int = 0,
    held_out: float = 0.1,
    skip_first_token: bool = True,
    max_tokens: int = 300_000,
    save: bool = True,
    progress: Callable[[int, int, float], None] | None = None,
) -> SparseAutoencoder:
    """Train an SAE on `layer` over the corpus; store it and attach its layer to the model.

    Args:
        corpus: a corpus name for `models.corpora.get_corpus` or a Corpus.
        name: its layer name (default `sae.` + the layer without its first path component,
            e.g. `sae.layers.6`).
        architecture: "topk" (k active latents) or "relu" (L1 penalty `l1_coefficient`).
        width: number of latents; steps and batch_size: optimiser steps of that many tokens.
        held_out: fraction of the texts kept out of training, for the metrics.
        skip_first_token: train without each text's first token; its latents then read 0.
        max_tokens: cap on training tokens held in memory.
        save: store it under `cache_dir()/sae` (else only attach it in this process).
        progress: called as (step, steps, held-out FVU) every steps // 20 steps.

    Returns:
        The trained SAE, its config carrying the training record and held-out metrics.
    """
    if architecture not in ("topk", "relu"):
        raise SAEError(f"unknown architecture {architecture!r} to train; valid: topk, relu "
                       f"(published SAEs may also be {', '.join(ARCHITECTURES)})")
    if steps < 1 or batch_size < 1 or width < 1 or not 0 < held_out < 1:
        raise SAEError("steps, batch_size and width must be positive, held_out in (0, 1)")
    if architecture == "topk" and not 0 < k <= width:
        raise SAEError(f"k must be in 1..width ({width}), got {k}")
    default = f"sae.{layer.split('.', 1)[1]}" if "." in layer else f"sae.{layer}"
    name = check_name(name or default)
    require_sae_lens()
    from sae_lens.config import SAETrainerConfig
    from sae_lens.training.sae_trainer import SAETrainer

    model = get_model(model_name)
    if not isinstance(model, TextModel):
        raise SAEError(f"SAEs train on language models; {model_name!r} is a {model.modality} "
                       "model")
    info = model.layer_info(layer)
    if info.kind not in READABLE_KINDS:
        raise SAEError(f"{model_name}:{layer} holds {info.kind} units; SAEs train on layers of "
                       f"kind {', '.join(READABLE_KINDS)}")
    corpus = get_corpus(corpus, "text") if isinstance(corpus, str) else corpus
    texts = corpus.load()
    order = np.random.default_rng(seed).permutation(len(texts))
    n_held = max(1, round(held_out * len(texts)))
    held_texts = [texts[i] for i in sorted(order[:n_held])]
    train_texts = [texts[i] for i in sorted(order[n_held:])]
    started = time.perf_counter()
    train = collect_activations(model, layer, train_texts, skip_first_token, max_tokens)
    held = collect_activations(model, layer, held_texts, skip_first_token)
    if train.shape[0] < batch_size:
        raise SAEError(f"only {train.shape[0]} training tokens for batches of {batch_size}: "
                       "use a larger corpus or a smaller --batch-size")

    torch.manual_seed(seed)
    device = str(model.device)
    sae = _training_sae(architecture, info.units, width, k, l1_coefficient, device)
    trainer = SAETrainer(
        SAETrainerConfig(total_training_samples=steps * batch_size,
                         train_batch_size_samples=batch_size, lr=lr, lr_end=lr,
                         lr_warm_up_steps=max(1, steps // 20), device=device,
                         dead_feature_window=max(10, steps // 8),
                         feature_sampling_window=steps + 1,
                         n_batches_for_norm_estimate=min(50, max(1, train.shape[0] // batch_size))),
        sae, _batches(train, batch_size, seed))
    trainer.activation_scaler.estimate_scaling_factor(
        d_in=info.units, data_provider=_batches(train, batch_size, seed + 1),
        n_batches_for_norm_estimate=trainer.cfg.n_batches_for_norm_estimate)
    probe = held[:4096].to(device)
    history = [_scaled_fvu(sae, trainer.activation_scaler, probe)]
    every = max(1, steps // 20)
    for step in range(1, steps + 1):
        trainer.step(next(trainer.data_provider))
        trainer.n_training_steps += 1
        if step % every == 0 or step == steps:
            history.append(_scaled_fvu(sae, trainer.activation_scaler, probe))
            if progress is not None:
                progress(step, steps, history[-1])
    sae.fold_activation_norm_scaling_factor(trainer.activation_scaler.scaling_factor)
    seconds = time.perf_counter() - started

    trained = from_sae_lens(
        sae.eval(), name=name, model=model.name, hook_layer=layer,
        source=f"trained here on {corpus.name}", fold_decoder_norm=True,
        skip_first_token=skip_first_token)
    config = trained.config.model_copy(update={
        "training": SAETraining(
            corpus=corpus.name, corpus_key=corpus.key, texts=len(train_texts),
            train_tokens=train.shape[0], steps=steps, batch_size=batch_size, lr=lr, seed=seed,
            seconds=round(seconds, 1), library=f"sae-lens {version('sae-lens')}",
            fvu_history=history),
        "metrics": evaluate(trained, held, torch.cat([train, held])),
    })
    result = SparseAutoencoder(config, trained.tensors())
    attach_sae(model, result)
    if save:
        save_sae(result)
    return result
