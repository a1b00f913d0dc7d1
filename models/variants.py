"""Fine-tuned variants of a subject model, saved in the cache and loaded by the name `base@variant`.

A variant is the base model's weights with some tensors replaced (the ones a fine-tune changed)
plus, where training changed the forward pass itself, the change that must be re-applied at load
time (today: top-k sparsity of MLP activations). The folder
`cache_dir() / "variants" / "<base>@<variant>"` holds `variant.json` (a `VariantManifest`) and
`model.safetensors` (the replaced tensors, by parameter name). `models.registry.entry` consults
this module for every name containing `@`, so a variant is a subject model like any other.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from torch import nn

from models.base import SubjectModel
from models.errors import ModelUnavailableError, UnknownModelError, choices
from models.loaders import cache_dir

SEPARATOR = "@"
MANIFEST = "variant.json"
WEIGHTS = "model.safetensors"
# Modules whose input is a transformer block's MLP neuron activations, by architecture family
# (Llama/SmolLM/Qwen/Gemma, GPT-2, GPT-NeoX, GPT-J, Phi); the same points models.text reads.
MLP_NEURON_INPUTS = ("mlp.down_proj", "mlp.c_proj", "mlp.dense_4h_to_h", "mlp.fc_out", "mlp.fc2")


@dataclass(frozen=True)
class TopK:
    """Keep only the `k` largest-magnitude MLP activations per token at `modules` (their input)."""

    k: int
    modules: tuple[str, ...]


@dataclass(frozen=True)
class VariantManifest:
    """What `variant.json` records about a saved variant.

    Attributes:
        name: `<base>@<variant>`, the name used in unit addresses.
        base: the registry name of the base model the tensors replace weights of.
        description: one line for people (`python -m models list`).
        parameters: names of the parameters stored in `model.safetensors`.
        topk: the top-k activation sparsity to re-install at load, if training used it.
        details: free-form record of how the variant was made (config, training log).
    """

    name: str
    base: str
    description: str
    parameters: tuple[str, ...]
    topk: TopK | None = None
    details: dict = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict) -> VariantManifest:
        topk = data.get("topk")
        return cls(name=data["name"], base=data["base"], description=data["description"],
                   parameters=tuple(data["parameters"]),
                   topk=TopK(int(topk["k"]), tuple(topk["modules"])) if topk else None,
                   details=dict(data.get("details") or {}))


def is_variant_name(name: str) -> bool:
    """Whether `name` has the `base@variant` form."""
    return SEPARATOR in name


def split_name(name: str) -> tuple[str, str]:
    """`(base, variant)` of a `base@variant` name, or an error that shows the form."""
    base, sep, variant = name.partition(SEPARATOR)
    if not sep or not base or not variant or SEPARATOR in variant:
        raise UnknownModelError(f"bad variant name {name!r}: expected '<base>@<variant>', for "
                                f"example 'smollm2-135m-instruct@l1-act-1e-3'")
    return base, variant


def variants_root() -> Path:
    """The folder holding one subfolder per saved variant."""
    return cache_dir() / "variants"


def variant_dir(name: str) -> Path:
    """Where the variant `name` is (or would be) saved; `/` in hub ids becomes `__`."""
    split_name(name)
    return variants_root() / name.replace("/", "__")


def saved_variants() -> list[VariantManifest]:
    """Every complete saved variant, sorted by name (half-written folders are skipped)."""
    root = variants_root()
    if not root.is_dir():
        return []
    found = []
    for folder in sorted(root.iterdir()):
        manifest = folder / MANIFEST
        if folder.name.startswith(".") or not manifest.is_file():
            continue
        try:
            found.append(VariantManifest.from_json(json.loads(manifest.read_text())))
        except (OSError, ValueError, KeyError, TypeError):
            continue  # an unreadable manifest is not a variant; `read_manifest` says why
    return found


def read_manifest(name: str) -> VariantManifest:
    """The manifest of a saved variant, or an error that lists the saved variants."""
    path = variant_dir(name) / MANIFEST
    if not path.is_file():
        saved = [v.name for v in saved_variants()]
        listing = choices(saved, limit=20) if saved else "none yet"
        raise UnknownModelError(
            f"no saved variant {name!r} under {variants_root()}; saved variants: {listing}. "
            f"Variants are made by fine-tuning, e.g. `python -m studies.regularization train "
            f"--config studies/regularization/configs/small.yaml`"
        )
    try:
        return VariantManifest.from_json(json.loads(path.read_text()))
    except (ValueError, KeyError, TypeError) as error:
        raise ModelUnavailableError(f"variant {name!r} has an unreadable manifest at {path} "
                                    f"({error}); train it again") from error


def variant_available(name: str) -> bool:
    """Whether the variant's files are saved here (its base must load too)."""
    folder = variant_dir(name)
    return (folder / MANIFEST).is_file() and (folder / WEIGHTS).is_file()


def mlp_neuron_input(net: nn.Module, block: str) -> str | None:
    """The path of the module under `block` whose input is the block's MLP neuron activations."""
    for suffix in MLP_NEURON_INPUTS:
        path = f"{block}.{suffix}"
        try:
            net.get_submodule(path)
        except AttributeError:
            continue
        return path
    return None


def install_topk(net: nn.Module, modules: Sequence[str], k: int) -> list:
    """Make `modules` see only the `k` largest-magnitude entries of their input per token.

    The input `[..., neurons]` keeps its top-k entries by absolute value and zeroes the rest;
    gradients flow through the kept entries. Hooks registered later on the same modules (the
    recording hooks) see the sparsified input.

    Returns:
        The hook handles; `handle.remove()` undoes the change.
    """
    if k < 1:
        raise ValueError(f"top-k needs k >= 1, got {k}")

    def keep_topk(_module, args):
        hidden = args[0]
        if hidden.shape[-1] <= k:
            return None
        kept = hidden.abs().topk(k, dim=-1).indices
        mask = torch.zeros_like(hidden).scatter_(-1, kept, 1.0)
        return (hidden * mask, *args[1:])

    return [net.get_submodule(path).register_forward_pre_hook(keep_topk) for path in modules]


def save_variant(manifest: VariantManifest, net: nn.Module) -> Path:
    """Write the manifest and the named parameters of `net` atomically; returns the folder.

    A variant saved again under the same name replaces the old one, and the exemplar caches
    recorded from the old weights are deleted (they are keyed by model name).
    """
    from safetensors.torch import save_file

    target = variant_dir(manifest.name)
    target.parent.mkdir(parents=True, exist_ok=True)
    tensors = {name: net.get_parameter(name).detach().to("cpu").contiguous()
               for name in manifest.parameters}
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=target.parent))
    try:
        save_file(tensors, str(tmp / WEIGHTS))
        (tmp / MANIFEST).write_text(json.dumps(asdict(manifest), indent=1))
        if target.exists():
            shutil.rmtree(target)
        tmp.rename(target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    # same folder rule as models.exemplars uses for a model name
    shutil.rmtree(cache_dir() / "exemplars" / manifest.name.replace("/", "__"), ignore_errors=True)
    return target


def load_variant(name: str, load_base: Callable[[str], SubjectModel]) -> SubjectModel:
    """A fresh copy of the base model with the variant's tensors and forward changes applied.

    Args:
        name: `<base>@<variant>`.
        load_base: builds a new (unshared) copy of a model by registry name.
    """
    from safetensors.torch import load_file

    manifest = read_manifest(name)
    weights = variant_dir(name) / WEIGHTS
    if not weights.is_file():
        raise ModelUnavailableError(f"variant {name!r} has no {WEIGHTS} in {weights.parent}; "
                                    f"train it again")
    model = load_base(manifest.base)
    net = getattr(model, "net", None)
    if net is None:
        raise ModelUnavailableError(f"variant {name!r}: base {manifest.base!r} has no torch net")
    with torch.no_grad():
        for key, tensor in load_file(str(weights)).items():
            try:
                parameter = net.get_parameter(key)
            except AttributeError as error:
                raise ModelUnavailableError(
                    f"variant {name!r} stores {key!r}, which base {manifest.base!r} lacks: the "
                    f"variant was made from another model") from error
            if parameter.shape != tensor.shape:
                raise ModelUnavailableError(
                    f"variant {name!r}: {key} is {tuple(tensor.shape)} but the base's is "
                    f"{tuple(parameter.shape)}: the variant was made from another model")
            parameter.copy_(tensor.to(parameter.device, parameter.dtype))
    if manifest.topk is not None:
        install_topk(net, manifest.topk.modules, manifest.topk.k)
    model.name = name
    return model
