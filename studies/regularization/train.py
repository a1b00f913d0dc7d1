"""Fine-tune one variant per (regularizer, strength) and save it as the subject model `base@variant`."""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch

from models.registry import entry
from models.text import TextModel
from models.variants import VariantManifest, mlp_neuron_input, save_variant
from studies.regularization.config import StudyConfig, StudyConfigError, VariantRun
from studies.regularization.corpus import TextSplits
from studies.regularization.regularizers import Regularizer, TrainTarget, build

Progress = Callable[[str], None]


@dataclass(frozen=True)
class TrainRecord:
    """What training one variant did, saved in its manifest and in results.json."""

    name: str
    regularizer: str
    strength: float | None
    steps: int
    tokens: int
    wall_s: float
    first_loss: float
    final_loss: float
    final_penalty: float
    trained_parameters: int
    regularizer_state: dict

    def to_json(self) -> dict:
        return dict(self.__dict__)


def load_text_model(name: str) -> TextModel:
    """A fresh (unshared) copy of a causal LM by registry name, with a clear error otherwise."""
    model = entry(name).load()
    if not isinstance(model, TextModel) or model.net.get_output_embeddings() is None:
        raise StudyConfigError(f"base_model {name!r} is not a causal language model; use one such "
                               f"as smollm2-135m-instruct or a hub id like EleutherAI/pythia-70m")
    return model


def mlp_blocks(model: TextModel) -> list[str]:
    """The module path of every block that has MLP neurons, in order (`model.layers.0`, ...)."""
    return [info.layer.rsplit(".", 1)[0] for info in model.layers() if info.kind == "mlp_neuron"]


def train_target(model: TextModel, first: int, last: int, modules: tuple[str, ...],
                 steps: int) -> TrainTarget:
    """Unfreeze `modules` of blocks first..last and describe them for the regularizers."""
    blocks = mlp_blocks(model)
    if last >= len(blocks):
        raise StudyConfigError(f"train.layers [{first}, {last}] is out of range: "
                               f"{model.name} has blocks 0..{len(blocks) - 1}")
    net = model.net
    chosen = blocks[first:last + 1]
    trained, neuron_inputs, weights = [], [], []
    for block in chosen:
        for sub in modules:
            try:
                module = net.get_submodule(f"{block}.{sub}")
            except AttributeError:
                children = [n for n, _ in net.get_submodule(block).named_children()]
                raise StudyConfigError(f"train.modules: {block} has no {sub!r}; its submodules "
                                       f"are {', '.join(children)}") from None
            for name, parameter in module.named_parameters(prefix=f"{block}.{sub}"):
                parameter.requires_grad_(True)
                trained.append(name)
        point = mlp_neuron_input(net, block)
        if point is None:
            raise StudyConfigError(f"{model.name}: no MLP output projection found in {block}")
        neuron_inputs.append(point)
        mlp = point.rsplit(".", 1)[0]
        weights += [n for n in trained if n.startswith(f"{mlp}.") and n not in weights
                    and net.get_parameter(n).dim() == 2]
    return TrainTarget(net=net, neuron_inputs=neuron_inputs, weights=weights, steps=steps,
                       trained=trained)


def packed_batches(tokenizer, texts: list[str], batch_size: int, seq_len: int,
                   seed: int) -> Iterator[torch.Tensor]:
    """Endless `[batch_size, seq_len]` token batches: texts shuffled per epoch (seeded), joined
    with the end-of-text token and cut into sequences."""
    ids = tokenizer(texts, add_special_tokens=False)["input_ids"]
    eos = tokenizer.eos_token_id
    rng = random.Random(seed)
    order = list(range(len(ids)))
    buffer: list[int] = []
    need = batch_size * seq_len
    total = sum(len(x) + 1 for x in ids)
    if total < seq_len:
        raise StudyConfigError(f"the training texts hold {total} tokens, fewer than one sequence "
                               f"of train.seq_len={seq_len}")
    while True:
        rng.shuffle(order)
        for i in order:
            buffer.extend(ids[i] + [eos])
            while len(buffer) >= need:
                yield torch.tensor(buffer[:need]).view(batch_size, seq_len)
                buffer = buffer[need:]


def learning_rate(step: int, config: StudyConfig) -> float:
    """Linear warm-up, then cosine decay to 10 % of the peak."""
    train = config.train
    if step < train.warmup_steps:
        return train.learning_rate * (step + 1) / train.warmup_steps
    progress = (step - train.warmup_steps) / max(1, train.steps - train.warmup_steps)
    return train.learning_rate * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def train_variant(config: StudyConfig, run: VariantRun, splits: TextSplits,
                  progress: Progress | None = None) -> TrainRecord:
    """Fine-tune the base model with one regularizer and save it as `run.name`.

    Deterministic given `config.seed` on CPU (data order, initial state); GPU kernels may add
    run-to-run noise.
    """
    say = progress or (lambda _m: None)
    torch.manual_seed(config.seed)
    model = load_text_model(config.base_model)
    net, train = model.net, config.train
    target = train_target(model, *train.layers, train.modules, train.steps)
    parameters = [net.get_parameter(n) for n in target.trained]
    regularizer: Regularizer = build(run.regularizer, run.strength)
    if regularizer.acts_on_weights and not target.weights:
        raise StudyConfigError(f"{run.regularizer} acts on MLP weights, but train.modules "
                               f"{list(train.modules)} trains no MLP: add 'mlp'")
    regularizer.attach(target)
    optimizer = torch.optim.AdamW(parameters, lr=train.learning_rate,
                                  weight_decay=train.weight_decay)
    batches = packed_batches(model.tokenizer, splits.train, train.batch_size, train.seq_len,
                             config.seed)
    net.train()
    start = time.perf_counter()
    losses: list[float] = []
    penalty_value = 0.0
    for step in range(train.steps):
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, config)
        tokens = next(batches).to(model.device)
        loss = net(input_ids=tokens, labels=tokens, use_cache=False).loss
        penalty = regularizer.penalty()
        total = loss if penalty is None else loss + penalty
        optimizer.zero_grad(set_to_none=True)
        total.backward()
        torch.nn.utils.clip_grad_norm_(parameters, train.grad_clip)
        optimizer.step()
        regularizer.after_step(step)
        losses.append(float(loss.detach()))
        penalty_value = 0.0 if penalty is None else float(penalty.detach())
        if step % 10 == 0 or step == train.steps - 1:
            say(f"{run.name}: step {step + 1}/{train.steps} loss {losses[-1]:.3f} "
                f"penalty {penalty_value:.3f}")
    wall = time.perf_counter() - start
    regularizer.detach()
    net.eval()
    record = TrainRecord(
        name=run.name, regularizer=run.regularizer, strength=run.strength, steps=train.steps,
        tokens=train.steps * train.batch_size * train.seq_len, wall_s=round(wall, 2),
        first_loss=losses[0], final_loss=sum(losses[-10:]) / len(losses[-10:]),
        final_penalty=penalty_value, trained_parameters=sum(p.numel() for p in parameters),
        regularizer_state=regularizer.summary())
    manifest = VariantManifest(
        name=run.name, base=config.base_model,
        description=f"{config.base_model} fine-tuned {train.steps} steps on corpus "
                    f"{splits.name!r} with {run.variant} (study {config.name})",
        parameters=tuple(target.trained), topk=regularizer.topk(),
        details={"study": config.model_dump(mode="json"), "training": record.to_json()})
    save_variant(manifest, net)
    say(f"{run.name}: saved ({wall:.0f} s)")
    return record
