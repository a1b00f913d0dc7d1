"""Decoding with a causal language model: greedy or seeded sampling with the KV cache."""

from __future__ import annotations

import inspect

import torch

from models.text import TextModel

#: Sampling settings of `decode` when a generator is given.
TEMPERATURE = 0.8
TOP_K = 50


def stop_ids(model: TextModel) -> set[int]:
    """Token ids that end a reply: EOS, the generation config's EOS ids, and `<|im_end|>`."""
    ids = {model.tokenizer.eos_token_id}
    configured = getattr(model.net.generation_config, "eos_token_id", None)
    ids.update(configured if isinstance(configured, list) else [configured])
    end = model.tokenizer.convert_tokens_to_ids("<|im_end|>")
    if isinstance(end, int) and end != model.tokenizer.unk_token_id:
        ids.add(end)
    return {i for i in ids if i is not None}


def cache_argument(model: TextModel) -> str:
    """The KV-cache keyword of the model's forward: transformers 5 renamed `past_key_values`
    to `cache`; accept both."""
    return "cache" if "cache" in inspect.signature(model.net.forward).parameters else (
        "past_key_values")


def output_cache(output) -> object:
    """The KV cache a forward pass returned, under either name."""
    cache = output.get("cache")
    return output.get("past_key_values") if cache is None else cache


def decode(
    model: TextModel, prompt_ids: torch.Tensor, n: int, max_new: int,
    generator: torch.Generator | None,
) -> tuple[list[str], torch.Tensor]:
    """n continuations of one prompt with the KV cache: greedy, or sampled from `generator`.

    Sampling runs on the CPU with an explicit torch.Generator, so a seed gives the same texts
    on any device and whatever else uses the global RNG.

    Args:
        model: a causal language model.
        prompt_ids: `[1, tokens]` prompt token ids.
        n: how many continuations.
        max_new: new tokens at most per continuation.
        generator: None for greedy decoding, else the sampling RNG (T=TEMPERATURE, top-TOP_K).

    Returns:
        The continuations, and the next-token logits after the prompt (`[vocab]`, float32 CPU),
        so callers that also need the next-token distribution skip a forward pass.
    """
    stop = stop_ids(model)
    cache_arg = cache_argument(model)
    ids = prompt_ids.to(model.device).repeat(n, 1)
    out_ids: list[list[int]] = [[] for _ in range(n)]
    done = [False] * n
    with torch.inference_mode():
        output = model.net(input_ids=ids, use_cache=True)
        first = output.logits[0, -1].float().cpu()
        for _ in range(max_new):
            logits = output.logits[:, -1].float().cpu()
            if generator is None:
                chosen = logits.argmax(dim=-1)
            else:
                top = torch.topk(logits / TEMPERATURE, min(TOP_K, logits.shape[-1]))
                picks = torch.multinomial(torch.softmax(top.values, -1), 1, generator=generator)
                chosen = top.indices.gather(1, picks)[:, 0]
            for i, token in enumerate(chosen.tolist()):
                if not done[i]:
                    if token in stop:
                        done[i] = True
                    else:
                        out_ids[i].append(token)
            if all(done):
                break
            output = model.net(input_ids=chosen[:, None].to(model.device),
                               **{cache_arg: output_cache(output)}, use_cache=True)
    return [model.tokenizer.decode(t, skip_special_tokens=True) for t in out_ids], first


def chat_ids(model: TextModel, message: str) -> torch.Tensor:
    """The model's chat-template prompt for one user message, as `[1, tokens]` ids."""
    text = model.tokenizer.apply_chat_template(
        [{"role": "user", "content": message}], add_generation_prompt=True, tokenize=False)
    return model.tokenizer(text, return_tensors="pt", add_special_tokens=False)["input_ids"]
