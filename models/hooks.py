"""Forward hooks that capture one module's input or output and then stop the forward pass."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

import torch
from torch import nn


class StopForward(Exception):
    """Raised from a hook once the wanted activation is captured, to skip the rest of the net."""


@dataclass(frozen=True)
class HookPoint:
    """Where a layer's activations are read: a module path and whether its input or output."""

    module: str
    port: Literal["input", "output"] = "output"


@contextmanager
def capture(
    net: nn.Module, point: HookPoint, stop: bool = True
) -> Iterator[dict[str, torch.Tensor]]:
    """Capture the tensor at `point` during a forward pass run inside the `with` block.

    The captured tensor lands in the yielded dict under "value". With `stop`, the hook raises
    StopForward after capturing, so layers after the point are not computed; the context
    swallows that exception. The hook is removed on every exit path, errors included.
    """
    module = net.get_submodule(point.module)
    store: dict[str, torch.Tensor] = {}

    def first_tensor(value):
        if isinstance(value, torch.Tensor):
            return value
        if isinstance(value, (tuple, list)) and value and isinstance(value[0], torch.Tensor):
            return value[0]
        if hasattr(value, "last_hidden_state"):
            return value.last_hidden_state
        raise TypeError(f"cannot read a tensor from {type(value).__name__} at {point}")

    def on_input(_module, args, kwargs):
        store["value"] = first_tensor(args if args else tuple(kwargs.values()))
        if stop:
            raise StopForward

    def on_output(_module, _args, output):
        store["value"] = first_tensor(output)
        if stop:
            raise StopForward

    if point.port == "input":
        handle = module.register_forward_pre_hook(on_input, with_kwargs=True)
    else:
        handle = module.register_forward_hook(on_output)
    try:
        yield store
    except StopForward:
        pass
    finally:
        handle.remove()
