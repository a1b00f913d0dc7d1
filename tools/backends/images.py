"""Image generation and editing backends: the interfaces, diffusers models on GPU machines, and the choice between them and the offline ones."""

from __future__ import annotations

import os
from typing import Any

from PIL import Image

from tools.backends.base import Edited, Editor, Generated, Text2Image
from tools.backends.procedural import ProceduralEditor, ProceduralText2Image
from tools.context import ToolContext, ToolError
from tools.settings import tools_settings

T2I_ENV = "t2i_model"  # a ToolsSettings field (env WORKBENCH_T2I_MODEL)


EDIT_ENV = "edit_model"  # a ToolsSettings field (env WORKBENCH_EDIT_MODEL)










def _diffusers_unavailable(model_id: str) -> str | None:
    """Why a diffusers model cannot run here, or None when it can (CUDA and local weights)."""
    try:
        import torch
    except ImportError:
        return "torch is not installed"
    if not torch.cuda.is_available():
        return "no CUDA GPU"
    try:
        import diffusers  # noqa: F401
        from huggingface_hub import snapshot_download
    except ImportError:
        return "diffusers is not installed"
    if os.path.isdir(model_id):
        return None
    try:
        snapshot_download(model_id, local_files_only=True)
    except Exception:  # noqa: BLE001  (any failure means: not in the local cache)
        return f"weights of {model_id!r} are not in the local Hugging Face cache"
    return None


class DiffusersText2Image:
    """A diffusers text-to-image pipeline (SDXL-Turbo, Stable Diffusion, FLUX ...), lazily loaded."""

    def __init__(self, model_id: str) -> None:
        self.model_id = model_id
        self.name = f"diffusers:{model_id}"
        self._pipe: Any = None

    def _pipeline(self) -> Any:
        if self._pipe is None:
            import torch
            from diffusers import AutoPipelineForText2Image

            self._pipe = AutoPipelineForText2Image.from_pretrained(
                self.model_id, torch_dtype=torch.float16, local_files_only=True).to("cuda")
        return self._pipe

    def generate(self, prompt: str, size: int, seed: int) -> Generated:
        import torch

        turbo = "turbo" in self.model_id.lower()
        generator = torch.Generator("cuda").manual_seed(seed)
        # turbo models are distilled for one step without guidance
        image = self._pipeline()(prompt, num_inference_steps=1 if turbo else 30,
                                 guidance_scale=0.0 if turbo else 7.5,
                                 generator=generator).images[0]
        return Generated(image.convert("RGB").resize((size, size), Image.Resampling.BICUBIC))


class DiffusersEditor:
    """InstructPix2Pix-style instruction editing through diffusers, lazily loaded."""

    def __init__(self, model_id: str) -> None:
        self.model_id = model_id
        self.name = f"diffusers:{model_id}"
        self._pipe: Any = None

    def edit(self, image: Image.Image, instruction: str, seed: int) -> Edited:
        import torch
        from diffusers import StableDiffusionInstructPix2PixPipeline

        if self._pipe is None:
            self._pipe = StableDiffusionInstructPix2PixPipeline.from_pretrained(
                self.model_id, torch_dtype=torch.float16, local_files_only=True).to("cuda")
        generator = torch.Generator("cuda").manual_seed(seed)
        out = self._pipe(instruction, image=image.convert("RGB"), num_inference_steps=20,
                         image_guidance_scale=1.5, generator=generator).images[0]
        return Edited(out.convert("RGB").resize(image.size), applied=instruction)


def _choose(ctx: ToolContext, key: str, env: str, offline: Any, diffusers_cls: Any
            ) -> tuple[Any, str | None]:
    """The backend for `key`: ctx.backends (an object or a name), else the env model, else
    offline. Returns (backend, note) where the note says why a configured model was not used."""
    chosen = ctx.backends.get(key)
    if chosen is not None and not isinstance(chosen, str):
        return chosen, None  # a ready backend object supplied by the caller
    if isinstance(chosen, str):
        if chosen in ("offline", "procedural"):
            return offline, None
        model_id = chosen.removeprefix("diffusers:")
        reason = _diffusers_unavailable(model_id)
        if reason:
            raise ToolError(f"{key} backend {chosen!r} is unavailable here ({reason}); "
                            f"use 'offline' for the procedural backend")
        return _cached(diffusers_cls, model_id), None
    model_id = (getattr(tools_settings(), env) or "").strip()
    if model_id:
        reason = _diffusers_unavailable(model_id)
        if reason is None:
            return _cached(diffusers_cls, model_id), None
        return offline, f"WORKBENCH_{env.upper()}={model_id} not used ({reason}); used the offline backend"
    return offline, None


_PIPELINES: dict[tuple[type, str], Any] = {}  # a cache: pipelines are gigabytes, load once


def _cached(cls: type, model_id: str) -> Any:
    if (cls, model_id) not in _PIPELINES:
        _PIPELINES[(cls, model_id)] = cls(model_id)
    return _PIPELINES[(cls, model_id)]


def text2image_backend(ctx: ToolContext) -> tuple[Text2Image, str | None]:
    """The text-to-image backend for this run and a note when a configured one was skipped."""
    return _choose(ctx, "text2image", T2I_ENV, ProceduralText2Image(), DiffusersText2Image)


def editor_backend(ctx: ToolContext) -> tuple[Editor, str | None]:
    """The image editor for this run and a note when a configured one was skipped."""
    return _choose(ctx, "editor", EDIT_ENV, ProceduralEditor(), DiffusersEditor)
