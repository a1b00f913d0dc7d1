"""Vision subject models: CNNs and ViTs from timm, torchvision and transformers, one wrapper."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image
from torch import nn

from models.base import HookedModel, LayerInfo, LayerRecording, frozen_on_device
from models.errors import ModelsError
from models.hooks import HookPoint, capture

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class VisionLayer:
    """A layer of a vision model: what it is, and where and how its activations are read.

    `to_maps` turns the raw captured tensor into `[batch, units, h, w]`.
    """

    info: LayerInfo
    point: HookPoint
    to_maps: Callable[[torch.Tensor], torch.Tensor]
    final: bool = False  # the net's own output: no need to stop the forward early


def imagenet_class_names() -> list[str]:
    """The 1000 ImageNet-1k class names, from torchvision's weight metadata (no download)."""
    from torchvision.models import ResNet50_Weights

    return list(ResNet50_Weights.IMAGENET1K_V1.meta["categories"])


def _conv_maps(raw: torch.Tensor) -> torch.Tensor:
    return raw


def logit_maps(raw: torch.Tensor) -> torch.Tensor:
    return raw[:, :, None, None]


def _token_maps(raw: torch.Tensor) -> torch.Tensor:
    """`[batch, tokens, d]` from a ViT into `[batch, d, g, g]`, dropping prefix tokens."""
    batch, tokens, dim = raw.shape
    grid = int(np.sqrt(tokens))
    prefix = tokens - grid * grid
    patches = raw[:, prefix:, :].transpose(1, 2)
    return patches.reshape(batch, dim, grid, grid)


class VisionModel(HookedModel):
    """A vision network wrapped for unit addressing and recording.

    Args:
        name: registry name.
        net: the network, already loaded with weights (eval mode is set here).
        image_size: square input side the images are resized to (no crop: the whole image
            stays visible, so activation maps line up with it).
        mean, std: input normalisation.
        class_names: names of the output classes when the net is a classifier.
        layers: the addressable layers, in forward order; discovered when None.
    """

    modality = "vision"
    max_batch = 32

    def __init__(
        self,
        name: str,
        net: nn.Module,
        image_size: int = 224,
        mean: Sequence[float] = IMAGENET_MEAN,
        std: Sequence[float] = IMAGENET_STD,
        class_names: list[str] | None = None,
        layers: list[VisionLayer] | None = None,
        device: str | torch.device | None = None,
    ) -> None:
        self.name = name
        self._device, self.net = frozen_on_device(net, device)
        self.image_size = image_size
        self.mean = torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1)
        self.std = torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1)
        self.class_names = class_names
        self._set_layers(layers if layers is not None else discover_layers(self.net, image_size))

    def preprocess(self, images: Sequence[Image.Image]) -> torch.Tensor:
        """RGB PIL images → normalised `[batch, 3, size, size]` float tensor on the device."""
        size = (self.image_size, self.image_size)
        arrays = []
        for image in images:
            if image.mode != "RGB":
                image = image.convert("RGB")
            if image.size != size:  # generated stimuli already have the input size
                image = image.resize(size, Image.Resampling.BICUBIC)
            arrays.append(np.asarray(image))
        batch = torch.from_numpy(np.stack(arrays)).to(self._device)
        # one fused scale-and-shift: x / 255 normalised is x * (1 / (255 std)) - mean / std
        scale = (1.0 / (255.0 * self.std)).to(self._device)
        shift = (self.mean / self.std).to(self._device)
        return batch.permute(0, 3, 1, 2).float().mul_(scale).sub_(shift)

    def record(
        self, layer: str, stimuli: Sequence[Image.Image], units: Sequence[int] | None = None
    ) -> LayerRecording:
        spec = self.layer_spec(layer)
        pixels = self.preprocess(stimuli)
        with torch.inference_mode(), capture(self.net, spec.point, stop=not spec.final) as store:
            self.net(pixels)
        maps = spec.to_maps(store["value"])
        if units is not None:
            maps = maps[:, list(units)]
        return LayerRecording(maps=maps.float().cpu())

    def predict_proba(self, images: Sequence[Image.Image]) -> torch.Tensor:
        """Class probabilities `[batch, classes]` for a classifier (softmax of the logits)."""
        with torch.inference_mode():
            logits = self.net(self.preprocess(images))
        return logits.float().softmax(dim=-1).cpu()

    def logits(self, images: Sequence[Image.Image]) -> torch.Tensor:
        """Class logits `[batch, classes]` (float32, CPU)."""
        with torch.inference_mode():
            return self.net(self.preprocess(images)).float().cpu()

    def class_index(self, name: str) -> int:
        """The index of a class by name (case-insensitive); a clear error with close names."""
        names = [n.lower() for n in (self.class_names or [])]
        if not names:
            raise ModelsError(f"{self.name} is not a classifier with named classes")
        wanted = name.strip().lower()
        if wanted in names:
            return names.index(wanted)
        close = difflib.get_close_matches(wanted, names, n=5, cutoff=0.5)
        contains = [n for n in names if wanted and wanted in n][:5]
        hints = ", ".join(dict.fromkeys(contains + close)) or "none close"
        raise ModelsError(f"{self.name} has no class {name!r}; close names: {hints}")

    def class_evidence_map(self, images: Sequence[Image.Image], index: int) -> np.ndarray:
        """Where each image holds evidence for one class, `[batch, size, size]` in [0, 1].

        For networks that pool their last feature map globally before one linear layer (most
        CNN classifiers, EfficientNet and ResNet among them) this is the class activation map
        of Zhou et al. (2016): the classifier's weights for the class applied at every
        position of the last feature map. Other networks get an occlusion map: the drop of
        the class logit when a grey patch covers each cell of a 7x7 grid.
        """
        pixels = self.preprocess(images)
        head = self.net.get_classifier() if hasattr(self.net, "get_classifier") else None
        with torch.inference_mode():
            if isinstance(head, nn.Linear) and hasattr(self.net, "forward_features"):
                features = self.net.forward_features(pixels)  # [b, c, h, w]
                cam = torch.einsum("bchw,c->bhw", features.float(), head.weight[index].float())
            else:
                cam = self._occlusion(pixels, index)
        maps = torch.nn.functional.interpolate(cam[:, None], size=pixels.shape[-2:],
                                               mode="bilinear", align_corners=False)[:, 0]
        low = maps.flatten(1).min(1).values[:, None, None]
        high = maps.flatten(1).max(1).values[:, None, None]
        return ((maps - low) / (high - low).clamp_min(1e-8)).cpu().numpy()

    def _occlusion(self, pixels: torch.Tensor, index: int, grid: int = 7) -> torch.Tensor:
        base = self.net(pixels).float()[:, index]
        side = pixels.shape[-1]
        cell = -(-side // grid)
        drops = torch.zeros(pixels.shape[0], grid, grid)
        for row in range(grid):
            for col in range(grid):
                covered = pixels.clone()
                covered[..., row * cell:(row + 1) * cell, col * cell:(col + 1) * cell] = 0.0
                drops[:, row, col] = (base - self.net(covered).float()[:, index]).cpu()
        return drops.clamp_min(0)


def discover_layers(net: nn.Module, image_size: int) -> list[VisionLayer]:
    """Find a CNN's addressable layers with one dummy forward pass.

    Conv-channel layers are module outputs of shape `[1, C, H, W]` at depth at most three in
    the module tree (stages, blocks), skipping raw leaf convolutions and norms inside blocks,
    whose post-activation sibling is the meaningful signal. The final classifier becomes a
    logit layer.
    """
    shapes: dict[str, tuple[int, ...]] = {}
    outputs: dict[str, torch.Tensor] = {}  # held so tensor ids stay unique during discovery
    handles = []
    for path, module in net.named_modules():
        if not path or path.count(".") > 2:
            continue

        def hook(_m, _i, output, path=path):
            if isinstance(output, torch.Tensor):
                shapes[path] = tuple(output.shape)
                outputs[path] = output

        handles.append(module.register_forward_hook(hook))
    try:
        device = next(net.parameters()).device
        with torch.inference_mode():
            output = net(torch.zeros(1, 3, image_size, image_size, device=device))
    finally:
        for handle in handles:
            handle.remove()

    modules = dict(net.named_modules())
    candidates = []
    for path, shape in shapes.items():  # dict order = order of forward completion
        module = modules[path]
        is_leaf = not any(True for _ in module.children())
        if len(shape) != 4 or (is_leaf and path.count(".") >= 2):
            continue
        skipped = (nn.Dropout, nn.Identity, nn.AdaptiveAvgPool2d, nn.AvgPool2d, nn.MaxPool2d)
        if isinstance(module, skipped) or any(
            part in ("downsample", "shortcut") for part in path.split(".")
        ):
            continue
        candidates.append(path)
    # A container returns its last child's tensor: keep one name per tensor, the outermost
    # one that is still a stage (a trunk spanning several resolutions is not a useful layer).
    keep: dict[int, str] = {}
    for path in candidates:
        tid = id(outputs[path])
        inner = [p for p in candidates if p.startswith(path + ".")]
        resolutions = {shapes[p][2:] for p in inner}
        if tid not in keep or len(resolutions) <= 1:
            keep[tid] = path
    chosen = set(keep.values())
    layers: list[VisionLayer] = []
    for path in candidates:
        if path not in chosen:
            continue
        _, channels, height, width = shapes[path]
        layers.append(
            VisionLayer(
                LayerInfo(path, "conv_channel", channels, f"{channels} channels, {height}x{width}"),
                HookPoint(path, "output"),
                _conv_maps,
            )
        )
    if isinstance(output, torch.Tensor) and output.ndim == 2:
        head = _classifier_path(net, output.shape[1])
        if head is not None:
            layers.append(
                VisionLayer(
                    LayerInfo(head, "logit", output.shape[1], f"{output.shape[1]} output classes"),
                    HookPoint(head, "output"),
                    logit_maps,
                    final=True,
                )
            )
    return layers


def _classifier_path(net: nn.Module, classes: int) -> str | None:
    """The path of the last Linear layer with `classes` outputs (the classification head)."""
    found = None
    for path, module in net.named_modules():
        if isinstance(module, nn.Linear) and module.out_features == classes:
            found = path
    return found


def vit_layers(
    net: nn.Module, blocks_path: str, mlp_point: Callable[[str], HookPoint], mlp_name: str
) -> list[VisionLayer]:
    """MLP-neuron layers of a ViT: one per block, maps over the patch grid."""
    blocks = net.get_submodule(blocks_path)
    layers = []
    for i in range(len(blocks)):
        block = f"{blocks_path}.{i}"
        point = mlp_point(block)
        hidden = _in_features(net.get_submodule(point.module)) if point.port == "input" else (
            _out_features(net.get_submodule(point.module)))
        layers.append(
            VisionLayer(
                LayerInfo(f"{block}.{mlp_name}", "mlp_neuron", hidden,
                          f"MLP neurons of block {i}, per patch"),
                point,
                _token_maps,
            )
        )
    return layers


def _in_features(module: nn.Module) -> int:
    return module.in_features if hasattr(module, "in_features") else module.weight.shape[0]


def _out_features(module: nn.Module) -> int:
    linears = [m for m in module.modules() if isinstance(m, nn.Linear)]
    return linears[-1].out_features
