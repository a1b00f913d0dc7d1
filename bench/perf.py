"""Performance benchmarks: exemplar-cache throughput and tool-call overhead against the bare
forward pass, and the cached load time of SmolLM2. Run `python -m bench.perf --json`."""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import torch


def _best_rate(run: Callable[[], int], repeats: int) -> float:
    """Items per second of the fastest of `repeats` runs (after one warm-up run)."""
    run()
    best = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        items = run()
        best = max(best, items / (time.perf_counter() - start))
    return best


def vision_cache_throughput(layer: str, n: int, batch: int, repeats: int) -> dict:
    """efficientnet_lite0: images/s of a full bare forward vs an exemplar-cache pass."""
    from models.corpora import generated_images
    from models.registry import get_model

    model = get_model("efficientnet_lite0")
    corpus = generated_images(n)
    images = corpus.load()
    pixels = [model.preprocess(images[i : i + batch]) for i in range(0, n, batch)]

    def bare() -> int:
        with torch.inference_mode():
            for chunk in pixels:
                model.net(chunk)
        return n

    bare_rate, cache_rate = _cache_vs_bare(model, layer, corpus, images, batch, bare, n,
                                           repeats)
    return {"model": "efficientnet_lite0", "layer": layer, "stimuli": n, "batch": batch,
            "bare_forward_images_per_s": round(bare_rate, 1),
            "exemplar_cache_images_per_s": round(cache_rate, 1),
            "ratio": round(cache_rate / bare_rate, 3)}


def _cache_vs_bare(model: Any, layer: str, corpus: Any, stimuli: list, batch: int,
                   bare: Callable[[], int], amount: int, repeats: int) -> tuple[float, float]:
    """(bare forward rate, exemplar-cache pass rate) over the same stimuli, best of repeats."""
    from models.exemplars import build_layer_exemplars

    def cache() -> int:
        build_layer_exemplars(model, layer, corpus, k=32, batch_size=batch, stimuli=stimuli)
        return amount

    return _best_rate(bare, repeats), _best_rate(cache, repeats)


def _tool_vs_bare(modality: str, arguments: dict, ctx: Any, bare: Callable[[], None],
                  repeats: int) -> dict:
    """Seconds of a call_unit tool call against the bare full forward of the same stimuli."""
    from tools.registry import call_tool

    def tool_call() -> None:
        observation = call_tool("call_unit", modality, arguments, ctx)
        assert observation.ok, observation.error

    bare_s, tool_s = _best_seconds(bare, repeats), _best_seconds(tool_call, repeats)
    return {"tool": "call_unit", "unit": arguments["unit"], "stimuli": 16,
            "bare_forward_s": round(bare_s, 4), "tool_call_s": round(tool_s, 4),
            "overhead": round((tool_s - bare_s) / bare_s, 3)}


def text_cache_throughput(layer: str, n: int, batch: int, repeats: int) -> dict:
    """smollm2: tokens/s of a full bare forward vs an exemplar-cache pass (same batches)."""
    from models.corpora import default_text
    from models.registry import get_model

    model = get_model("smollm2-135m-instruct")
    corpus = default_text()
    texts = corpus.load()[:n]
    batches = [model.tokenize(texts[i : i + batch]) for i in range(0, n, batch)]
    tokens = int(sum(int(b["attention_mask"].sum()) for b in batches))

    def bare() -> int:
        with torch.inference_mode():
            for inputs in batches:
                model.net(**{k: v.to(model.device) for k, v in inputs.items()}, use_cache=False)
        return tokens

    bare_rate, cache_rate = _cache_vs_bare(model, layer, corpus, texts, batch, bare, tokens,
                                           repeats)
    return {"model": "smollm2-135m-instruct", "layer": layer, "stimuli": n, "tokens": tokens,
            "batch": batch, "bare_forward_tokens_per_s": round(bare_rate, 1),
            "exemplar_cache_tokens_per_s": round(cache_rate, 1),
            "ratio": round(cache_rate / bare_rate, 3)}


def _best_seconds(run: Callable[[], object], repeats: int) -> float:
    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def tool_overhead_vision(unit: str, repeats: int) -> dict:
    """call_unit on efficientnet_lite0 with 16 images vs the bare full forward of the same."""
    import tempfile

    from models.corpora import generated_images
    from models.registry import get_model
    from tools.context import ToolContext

    model = get_model("efficientnet_lite0")
    images = generated_images(16, seed=5).load()
    ctx = ToolContext(tempfile.mkdtemp(prefix="perf-"))
    ids = [ctx.images.add(image)[0] for image in images]

    def bare() -> None:
        with torch.inference_mode():
            model.net(model.preprocess(images))

    return _tool_vs_bare("vision", {"unit": unit, "images": ids}, ctx, bare, repeats)


def tool_overhead_text(unit: str, repeats: int) -> dict:
    """call_unit on smollm2 with 16 short texts vs the bare full forward of the same."""
    import tempfile

    from models.registry import get_model
    from models.stimuli.texts import corpus
    from tools.context import ToolContext

    model = get_model("smollm2-135m-instruct")
    texts = [t for t in corpus(400, seed=3) if len(t.split()) <= 14][:16]
    ctx = ToolContext(tempfile.mkdtemp(prefix="perf-"))

    def bare() -> None:
        with torch.inference_mode():
            inputs = model.tokenize(texts)
            model.net(**{k: v.to(model.device) for k, v in inputs.items()}, use_cache=False)

    return _tool_vs_bare("text", {"unit": unit, "texts": texts}, ctx, bare, repeats)


_LOAD_SCRIPT = """
import json, time
start = time.perf_counter()
from models.loaders import load_smollm2
imported = time.perf_counter()
load_smollm2()
done = time.perf_counter()
print(json.dumps({"import_s": imported - start, "load_s": done - imported}))
"""


def smollm2_load_times() -> dict:
    """First (cache may be cold) and second load of smollm2, each in a fresh process."""
    runs = []
    for _ in range(2):
        out = subprocess.run([sys.executable, "-c", _LOAD_SCRIPT], capture_output=True,
                             text=True, check=True)
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {"model": "smollm2-135m-instruct",
            "first_load_s": round(runs[0]["load_s"], 2),
            "cached_second_load_s": round(runs[1]["load_s"], 2),
            "python_import_s": round(runs[1]["import_s"], 2)}


def atlas_figures(quick: bool) -> dict:
    """Shared-pass savings on one text and one vision layer, and atlas throughput."""
    from bench.perf_atlas import atlas_throughput, exemplar_pass_layer_vs_unit

    model = "smollm2-135m-instruct"
    layers = ["model.layers.3.mlp", "model.layers.12.mlp"]
    units = "0-1" if quick else "0-7"
    throughput = [atlas_throughput(model, layers, units, workers=1)]
    if not quick:
        throughput.append(atlas_throughput(model, layers, units, workers=2))
    return {"exemplar_pass": [
        exemplar_pass_layer_vs_unit(model, "model.layers.12.mlp", 64 if quick else 128),
        exemplar_pass_layer_vs_unit("efficientnet_lite0", "blocks.5", 32 if quick else 64)],
        "throughput": throughput}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.perf", description=__doc__)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--quick", action="store_true", help="fewer stimuli and repeats")
    args = parser.parse_args(argv)
    n_images, n_texts, repeats = (64, 64, 1) if args.quick else (256, 256, 3)
    results = {
        "machine": {"python": platform.python_version(), "torch": torch.__version__,
                    "device": "cuda" if torch.cuda.is_available() else "cpu",
                    "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
                    "threads": torch.get_num_threads()},
        "smollm2_load": smollm2_load_times(),
        "exemplar_cache": [
            vision_cache_throughput("blocks.4", n_images, 32, repeats),
            vision_cache_throughput("bn2", n_images, 32, repeats),
            text_cache_throughput("model.layers.15.mlp", n_texts, 32, repeats),
            text_cache_throughput("model.layers.29.mlp", n_texts, 32, repeats),
        ],
        # overhead = (tool call - bare full forward) / bare full forward; the recording
        # stops the forward at the unit's layer, so early layers can come out negative
        "tool_overhead": [
            tool_overhead_vision("efficientnet_lite0:bn2:100", max(repeats, 3)),
            tool_overhead_vision("efficientnet_lite0:blocks.4:17", max(repeats, 3)),
            tool_overhead_text("smollm2-135m-instruct:model.layers.29.mlp:100", max(repeats, 3)),
            tool_overhead_text("smollm2-135m-instruct:model.layers.3.mlp:42", max(repeats, 3)),
        ],
        # the atlas: one shared exemplar pass per layer against a pass per unit, and units
        # described and scored per minute by the oneshot policy, in-process and on local Ray
        "atlas": atlas_figures(args.quick),
    }
    if args.json:
        print(json.dumps(results))
    else:
        print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
