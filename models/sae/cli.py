"""`python -m models.sae`: train an SAE, list stored SAEs, attach a published one."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence

from models.errors import ModelsError


def cmd_train(args) -> int:
    from models.sae.train import train_sae

    def progress(step: int, steps: int, fvu: float) -> None:
        if not args.json:
            print(f"\rstep {step}/{steps}  held-out FVU {fvu:.4f}", end="",
                  file=sys.stderr, flush=True)

    started = time.perf_counter()
    sae = train_sae(args.model, args.layer, args.corpus, name=args.name,
                    architecture=args.architecture, width=args.width, k=args.k,
                    l1_coefficient=args.l1, steps=args.steps, batch_size=args.batch_size,
                    lr=args.lr, seed=args.seed, skip_first_token=not args.keep_first_token,
                    max_tokens=args.max_tokens, progress=progress)
    wall = time.perf_counter() - started
    config = sae.config
    out = {"unit_prefix": f"{config.model}:{config.name}", "wall_seconds": round(wall, 1),
           **config.model_dump(exclude={"training"}),
           "training": config.training.model_dump(exclude={"fvu_history"})}
    if not args.json:
        print(file=sys.stderr)
    m, t = config.metrics, config.training
    _print(out, args.json, [
        f"trained {config.architecture} SAE {config.model}:{config.name} "
        f"({config.d_sae} latents on {config.hook_layer}, d_in {config.d_in})",
        f"  {t.steps} steps x {t.batch_size} tokens on {t.train_tokens} tokens of {t.texts} texts "
        f"({t.corpus}); collect+train {t.seconds:.0f} s, wall {wall:.0f} s",
        f"  held-out ({m.tokens} tokens): MSE {m.mse:.4f}  FVU {m.fvu:.4f}  L0 {m.l0:.1f}",
        f"  dead latents: {m.dead_latents} of {config.d_sae} (never active on {m.dead_window} "
        "tokens)",
        f"  units: {config.model}:{config.name}:0 .. {config.d_sae - 1}",
    ])
    return 0


def cmd_list(args) -> int:
    from models.sae.store import list_saes, sae_root

    configs = list_saes(args.model)
    rows = [{"model": c.model, "name": c.name, "architecture": c.architecture, "k": c.k,
             "d_sae": c.d_sae, "hook_layer": c.hook_layer, "source": c.source,
             "metrics": c.metrics.model_dump() if c.metrics else None} for c in configs]
    lines = [f"{r['model']:<24} {r['name']:<28} {r['architecture']:<8} {r['d_sae']:>6}  "
             f"on {r['hook_layer']}" +
             (f"  FVU {r['metrics']['fvu']:.3f} L0 {r['metrics']['l0']:.1f}"
              if r["metrics"] else "") for r in rows]
    _print(rows, args.json, lines or [f"no SAEs stored in {sae_root()} "
                                      "(`python -m models.sae train` makes one)"])
    return 0


def cmd_attach(args) -> int:
    from models.sae.attach import attach_published

    config = attach_published(args.model, args.release, args.sae_id, name=args.name, at=args.at,
                              skip_first_token=args.skip_first_token)
    out = config.model_dump()
    _print(out, args.json, [f"attached {config.model}:{config.name} ({config.d_sae} "
                            f"{config.architecture} latents on {config.hook_layer}); "
                            f"{config.source}"])
    return 0


def _print(data, as_json: bool, lines: Sequence[str]) -> None:
    print(json.dumps(data) if as_json else "\n".join(lines))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m models.sae", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("train", help="train an SAE on a layer over a text corpus and store it")
    p.add_argument("model", nargs="?", default="smollm2-135m-instruct")
    p.add_argument("--layer", default="model.layers.6",
                   help="a residual or MLP layer (`python -m models layers MODEL`)")
    p.add_argument("--corpus", default="default", help="default, or a text file (one per line)")
    p.add_argument("--name", help="its layer name (default sae.<layer without its first part>)")
    p.add_argument("--architecture", choices=["topk", "relu"], default="topk")
    p.add_argument("--width", type=int, default=2048, help="number of latents")
    p.add_argument("--k", type=int, default=32, help="active latents per token (topk)")
    p.add_argument("--l1", type=float, default=5.0, help="L1 coefficient (relu)")
    p.add_argument("--steps", type=int, default=400)
    p.add_argument("--batch-size", type=int, default=1024, help="tokens per step")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-tokens", type=int, default=300_000, help="training tokens kept")
    p.add_argument("--keep-first-token", action="store_true",
                   help="train on each text's first token too (by default it is left out)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_train)
    p = sub.add_parser("list", help="the stored SAEs (each is a layer of its model)")
    p.add_argument("model", nargs="?")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_list)
    p = sub.add_parser(
        "attach", help="fetch a published SAELens SAE (needs the hub) and add it as a layer",
        epilog="example: python -m models.sae attach gpt2 gpt2-small-res-jb "
               "blocks.6.hook_resid_pre")
    p.add_argument("model", help="our model name, e.g. gpt2")
    p.add_argument("release", help="SAELens release, e.g. gpt2-small-res-jb")
    p.add_argument("sae_id", help="the SAE's id in the release, e.g. blocks.6.hook_resid_pre")
    p.add_argument("--name", help="its layer name (default sae.<release>.<id>)")
    p.add_argument("--at", help="the layer it reads, when its hook has no counterpart here")
    p.add_argument("--skip-first-token", action="store_true")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_attach)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except ModelsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
