"""Image description backends: an OpenAI-compatible or local VLM, else a labelled offline fallback."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from PIL import Image

from models.stimuli import images as gen
from models.stimuli_io import png_data_url
from tools.context import ToolContext, ToolError
from tools.settings import tools_settings

OFFLINE_LABEL = "offline fallback, no vision-language model"
DESCRIBE_PROMPT = (
    "Describe this image in one or two sentences: the objects, their colours, textures and "
    "positions, any text, and the background."
)
SUMMARIZE_PROMPT = (
    "These images all strongly activate one unit of a vision model. In one or two sentences, "
    "say what visual concept they have in common (objects, colours, textures, shapes, "
    "positions), as specifically as the evidence allows."
)
#: Colours covering less of an image than this are not worth naming.
MIN_COLOUR_FRACTION = 0.05


@dataclass
class Description:
    """What a describer says about one image; `facts` holds the offline fallback's evidence."""

    text: str
    tags: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)


class Describer(Protocol):
    """Anything that describes images and finds what a set of them has in common."""

    name: str
    offline: bool

    def describe(self, images: list[Image.Image]) -> list[Description]: ...

    def summarize(self, images: list[Image.Image]) -> tuple[str, dict[str, Any]]: ...


class OpenAIDescriber:
    """A vision-language model behind any OpenAI-compatible chat endpoint (OpenAI, vLLM, Ollama)."""

    offline = False

    def __init__(self, model: str, base_url: str | None, api_key: str) -> None:
        self.model = model
        self.base_url = base_url
        self._api_key = api_key  # kept private: never logged or put in an observation
        self.name = f"openai:{model}"
        self._client: Any = None

    def _ask(self, prompt: str, images: list[Image.Image]) -> str:
        try:
            from openai import OpenAI
        except ImportError as error:
            raise ToolError("the openai package is not installed") from error
        if self._client is None:
            self._client = OpenAI(base_url=self.base_url, api_key=self._api_key, timeout=120,
                                  max_retries=1)
        content: list[dict[str, Any]] = [{"type": "text", "text": prompt}]
        content += [{"type": "image_url", "image_url": {"url": png_data_url(image)}}
                    for image in images]
        try:
            response = self._client.chat.completions.create(
                model=self.model, messages=[{"role": "user", "content": content}],
                max_tokens=200, temperature=0)
        except Exception as error:  # noqa: BLE001  (network and API errors alike)
            where = self.base_url or "the OpenAI API"
            raise ToolError(f"vision-language model {self.model!r} at {where} failed: "
                            f"{type(error).__name__}") from None
        return (response.choices[0].message.content or "").strip()

    def describe(self, images: list[Image.Image]) -> list[Description]:
        return [Description(self._ask(DESCRIBE_PROMPT, [image])) for image in images]

    def summarize(self, images: list[Image.Image]) -> tuple[str, dict[str, Any]]:
        return self._ask(SUMMARIZE_PROMPT, images), {}


class LocalVLMDescriber:
    """A transformers image-text-to-text model loaded in-process from the local cache."""

    offline = False

    def __init__(self, model_id: str) -> None:
        self.model_id = model_id
        self.name = f"local:{model_id}"
        from transformers import AutoModelForImageTextToText, AutoProcessor

        self._processor = AutoProcessor.from_pretrained(model_id, local_files_only=True)
        self._model = AutoModelForImageTextToText.from_pretrained(
            model_id, local_files_only=True).eval()

    def _ask(self, prompt: str, images: list[Image.Image]) -> str:
        import torch

        messages = [{"role": "user", "content": [*({"type": "image"} for _ in images),
                                                 {"type": "text", "text": prompt}]}]
        text = self._processor.apply_chat_template(messages, add_generation_prompt=True)
        inputs = self._processor(text=text, images=[i.convert("RGB") for i in images],
                                 return_tensors="pt")
        with torch.inference_mode():
            output = self._model.generate(**inputs, max_new_tokens=120, do_sample=False)
        new = output[0, inputs["input_ids"].shape[1]:]
        return self._processor.decode(new, skip_special_tokens=True).strip()

    def describe(self, images: list[Image.Image]) -> list[Description]:
        return [Description(self._ask(DESCRIBE_PROMPT, [image])) for image in images]

    def summarize(self, images: list[Image.Image]) -> tuple[str, dict[str, Any]]:
        return self._ask(SUMMARIZE_PROMPT, images), {}


def dominant_colours(image: Image.Image, limit: int = 3) -> list[tuple[str, float]]:
    """The named colours covering the most of the image, with their pixel fractions."""
    small = np.asarray(image.convert("RGB").resize((64, 64), Image.Resampling.NEAREST))
    index = gen.colour_index(small).ravel()
    counts = np.bincount(index[index >= 0], minlength=len(gen.COLOUR_NAMES)) / index.size
    order = np.argsort(-counts)[:limit]
    return [(gen.COLOUR_NAMES[i], round(float(counts[i]), 3)) for i in order
            if counts[i] >= MIN_COLOUR_FRACTION]


def scene_summary(spec: gen.SceneSpec) -> tuple[str, list[str]]:
    """A generated image's scene in words, and its elements as tags."""
    background = spec.background
    kind = "plain" if background.kind == "solid" else background.kind.replace("_", " ")
    things = [f"{o.colour} {o.shape}" for o in spec.objects]
    text = (", ".join(things) or "no objects") + f" on a {kind} {'/'.join(background.colours)} "
    text += "background"
    if spec.texts:
        text += "; text " + ", ".join(repr(t.text) for t in spec.texts)
    tags = [f"{o.colour} {o.shape}" for o in spec.objects]
    tags += [o.shape for o in spec.objects] + [f"{kind} background"]
    tags += ["text"] if spec.texts else []
    return text, sorted(set(tags))


class OfflineDescriber:
    """No VLM: classifier top classes, dominant colours and (generated images) the scene spec."""

    name = "offline"
    offline = True

    def __init__(self, classifier: str = "efficientnet_lite0", top: int = 3) -> None:
        self.classifier = classifier
        self.top = top

    def _classes(self, images: list[Image.Image]) -> list[list[tuple[str, float]]]:
        from models.registry import get_model

        model = get_model(self.classifier)
        proba = model.predict_proba(images)
        values, indices = proba.topk(self.top, dim=1)
        return [[(model.class_names[i], round(float(p), 3)) for p, i in zip(row_p, row_i,
                                                                            strict=True)]
                for row_p, row_i in zip(values.tolist(), indices.tolist(), strict=True)]

    def describe(self, images: list[Image.Image]) -> list[Description]:
        out = []
        for image, classes in zip(images, self._classes(images), strict=True):
            colours = dominant_colours(image)
            spec = gen.read_spec(image)
            parts = [f"[{OFFLINE_LABEL}] {self.classifier} top classes: "
                     + ", ".join(f"{name} ({p:.2f})" for name, p in classes)]
            if colours:
                parts.append("dominant colours: "
                             + ", ".join(f"{name} {f:.0%}" for name, f in colours))
            facts: dict[str, Any] = {"classes": classes, "colours": colours}
            tags = [f"class: {classes[0][0]}"] + [f"colour: {c}" for c, f in colours if f >= 0.1]
            if spec is not None:
                scene, scene_tags = scene_summary(spec)
                parts.append(f"scene: {scene}")
                facts["scene"] = scene
                tags += [f"scene: {t}" for t in scene_tags]
            out.append(Description("; ".join(parts), tags, facts))
        return out

    def summarize(self, images: list[Image.Image]) -> tuple[str, dict[str, Any]]:
        descriptions = self.describe(images)
        counts = Counter(tag for d in descriptions for tag in set(d.tags))
        total = len(images)
        # shared = on at least half of the images (and on two, so one image is not "shared")
        shared = [(tag, n) for tag, n in counts.most_common()
                  if n >= max(2, (total + 1) // 2) or total == 1]
        if shared:
            text = f"[{OFFLINE_LABEL}] shared across {total} images: " + ", ".join(
                f"{tag} ({n}/{total})" for tag, n in shared)
        else:
            text = (f"[{OFFLINE_LABEL}] no class, colour or scene element is shared by half of "
                    f"the {total} images; most frequent: "
                    + ", ".join(f"{tag} ({n}/{total})" for tag, n in counts.most_common(5)))
        return text, {"shared": [{"tag": t, "count": n} for t, n in shared],
                      "tag_counts": dict(counts.most_common(20))}


_LOADED: dict[str, Describer] = {}  # a cache: a local VLM is loaded once per process


def describer_backend(ctx: ToolContext) -> tuple[Describer, str | None]:
    """The describer for this run and a note when a configured VLM could not be used.

    Order: `ctx.backends["describer"]` (an object, or "offline" / "openai:<model>" /
    "local:<hub id>"), then WORKBENCH_VLM_MODEL / WORKBENCH_VLM_BASE_URL (OpenAI-compatible),
    then WORKBENCH_VLM_LOCAL (transformers), then the offline fallback.
    """
    chosen = ctx.backends.get("describer")
    if chosen is not None and not isinstance(chosen, str):
        return chosen, None
    if chosen == "offline":
        return OfflineDescriber(), None
    if isinstance(chosen, str) and chosen.startswith("local:"):
        describer, reason = _local(chosen.removeprefix("local:"))
        if describer is None:
            raise ToolError(f"describer {chosen!r} is unavailable here ({reason})")
        return describer, None
    settings = tools_settings()
    model = (settings.vlm_model or "").strip()
    base_url = (settings.vlm_base_url or "").strip() or None
    if isinstance(chosen, str) and chosen.startswith("openai:"):
        model = chosen.removeprefix("openai:")
    if model or base_url:
        key = settings.vlm_api_key.get_secret_value() if settings.vlm_api_key else None
        if not model:
            return OfflineDescriber(), "WORKBENCH_VLM_BASE_URL is set but WORKBENCH_VLM_MODEL " \
                                       "is not; used the offline fallback"
        if not key and base_url is None:
            return OfflineDescriber(), ("no API key (WORKBENCH_VLM_API_KEY or OPENAI_API_KEY) "
                                        "for the OpenAI API; used the offline fallback")
        # local servers (vLLM, Ollama) accept any key, but the client requires one
        return OpenAIDescriber(model, base_url, key or "not-needed"), None
    local = (settings.vlm_local or "").strip()
    if local:
        describer, reason = _local(local)
        if describer is not None:
            return describer, None
        return OfflineDescriber(), f"WORKBENCH_VLM_LOCAL={local} not used ({reason})"
    return OfflineDescriber(), None


def _local(model_id: str) -> tuple[Describer | None, str]:
    if model_id in _LOADED:
        return _LOADED[model_id], ""
    try:
        describer = LocalVLMDescriber(model_id)
    except Exception as error:  # noqa: BLE001  (missing weights, unsupported architecture ...)
        return None, f"{type(error).__name__}: {str(error)[:160]}"
    _LOADED[model_id] = describer
    return describer, ""
