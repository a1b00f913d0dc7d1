"""The interpretability axis of the study: the same sampled MLP neurons of every model
described by the atlas's one-shot describer and scored by the benchmark's open, vocabulary-free
simulator on the natural held-out split; per model the mean simulation score with a 95%
bootstrap interval over units and the fraction of units above a stated threshold."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from studies.regularization.measures import interpretability

#: A unit counts as explained when its description's simulation r reaches this (Bills et al.
#: 2023 call explanations above roughly 0.3-0.4 useful; we state the cut, not tune it).
EXPLAINED_AT = 0.3


def interpret_all(out: Path, units_per_model: int = 24, layer: str | None = None,
                  policy: str = "oneshot", corpus: str = "default",
                  progress: Callable[[str], None] | None = None
                  ) -> dict:
    """Atlas every model of `out/results.json` on the same neurons; add the scores there.

    Args:
        out: the study's output folder (after `measure`).
        units_per_model: how many of the sampled neurons of `layer` (the first ones).
        layer: the MLP layer (default: the middle one of the measured layers).
        policy: the describing policy (the atlas default for speed: oneshot).
        corpus: the exemplar corpus the describer reads (default: the natural exemplar split).
    """
    from bench.atlas import AtlasRequest, build_atlas
    from bench.atlas.store import read_rows
    from bench.runner import mean_ci
    from studies.regularization.config import StudyConfigError
    from studies.regularization.study import RESULTS, read_results

    say = progress or (lambda _m: None)
    if units_per_model < 1:
        raise StudyConfigError(f"--units must be at least 1, got {units_per_model}")
    results = read_results(out)
    layers = list(results["neurons"])
    layer = layer or layers[len(layers) // 2]
    if layer not in results["neurons"]:
        raise StudyConfigError(f"layer {layer!r} was not measured; valid: {', '.join(layers)}")
    indices = results["neurons"][layer][:units_per_model]
    for row in results["variants"]:
        name = row["name"]
        atlas = out / "atlases" / name.replace("@", "_at_")
        build_atlas(AtlasRequest(model=name, out=str(atlas), policy=policy,
                                 corpus=corpus), layers=[layer],
                    units=",".join(str(i) for i in indices), progress=False)
        found = {r["address"]: r for r in read_rows(atlas)}
        scores = {a: float(r["simulation_r"] or 0.0) for a, r in found.items()}
        summary = interpretability(name, sorted(scores), scores.__getitem__)
        values = list(scores.values())
        ci = mean_ci(values)
        row["interpretability"] = {
            "layer": layer, "units": len(values), "policy": policy,
            "score": "simulation r (bench reader, natural held-out split)",
            "mean": round(summary.mean, 4), "ci": ci,
            "explained_fraction": round(sum(v >= EXPLAINED_AT for v in values) / len(values), 4),
            "explained_at": EXPLAINED_AT, "scores": summary.scores}
        say(f"{name}: simulation r {summary.mean:.3f} {ci}, "
            f"{row['interpretability']['explained_fraction']:.0%} >= {EXPLAINED_AT}")
    (out / RESULTS).write_text(json.dumps(results, indent=1))
    return results
