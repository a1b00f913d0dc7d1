"""Atlas performance: what the shared per-layer exemplar pass saves, and units described per
minute in-process and on local Ray workers (`python -m bench.perf` includes both)."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from typing import Any


def exemplar_pass_layer_vs_unit(model_name: str, layer: str, n: int,
                                repeats: int = 1) -> dict[str, Any]:
    """Seconds per unit of one exemplar pass shared by a whole layer, against the pass a
    single unit would need on its own (the same forward over the corpus, one unit recorded).

    Both run over the first `n` items of the model's default exemplar corpus.
    """
    from models.corpora import get_corpus
    from models.exemplars import build_layer_exemplars
    from models.recording import layer_activations, prepare_stimuli
    from models.registry import get_model

    model = get_model(model_name)
    units = model.layer_info(layer).units
    corpus = get_corpus("default", model.modality, model.name)
    stimuli = corpus.items(list(range(min(n, len(corpus)))))
    items = prepare_stimuli(model, stimuli)

    def best(run: Any) -> float:
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            run()
            times.append(time.perf_counter() - started)
        return min(times)

    layer_s = best(lambda: build_layer_exemplars(model, layer, corpus, stimuli=stimuli))
    unit_s = best(lambda: [r.values() for _, r in layer_activations(model, layer, items, [0])])
    per_unit_shared = layer_s / units
    return {"model": model_name, "layer": layer, "units": units, "items": len(items),
            "layer_pass_s": round(layer_s, 3), "one_unit_pass_s": round(unit_s, 3),
            "shared_pass_per_unit_s": round(per_unit_shared, 6),
            "per_unit_pass_over_shared": round(unit_s / per_unit_shared, 1),
            "projected_full_layer_per_unit_passes_s": round(unit_s * units, 1)}


def atlas_throughput(model: str, layers: list[str], units: str, workers: int,
                     policy: str = "oneshot") -> dict[str, Any]:
    """Units per minute of a small atlas (its layers' exemplar caches already built), scored
    by the protocols, in-process (workers=1) or on a local Ray with `workers` workers."""
    from bench.atlas import AtlasRequest, build_atlas
    from models.exemplars import layer_exemplars

    for layer in layers:  # the shared pass is measured above, not here
        layer_exemplars(model, layer)
    out = Path(tempfile.mkdtemp(prefix="atlas-perf-"))
    try:
        started = time.perf_counter()
        summary = build_atlas(AtlasRequest(model=model, out=str(out), policy=policy),
                              layers=layers, units=units, workers=workers,
                              ray_address="auto" if workers > 1 else None, progress=False)
        wall = time.perf_counter() - started
    finally:
        shutil.rmtree(out, ignore_errors=True)
    done = summary["units_done"]
    return {"model": model, "layers": layers, "units": done, "workers": workers,
            "policy": policy, "wall_s": round(wall, 1),
            "units_per_minute": round(60 * done / wall, 2)}
