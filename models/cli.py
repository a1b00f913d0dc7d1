"""`python -m models`: list models and layers, probe units, list concepts, show exemplars."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from models.errors import ModelsError


def _print(data, as_json: bool, lines: Sequence[str]) -> None:
    if as_json:
        print(json.dumps(data))
    else:
        print("\n".join(lines))


def cmd_list(args) -> int:
    from models.registry import list_models

    rows = [entry.to_json() for entry in list_models()]
    _print(rows, args.json, [
        f"{r['name']:<24} {r['modality']:<7} {'yes' if r['available'] else 'no ':<4} {r['source']}"
        for r in rows])
    return 0


def cmd_layers(args) -> int:
    from models.registry import get_model

    model = get_model(args.model)
    rows = [info.to_json() for info in model.layers()]
    _print(rows, args.json,
           [f"{r['layer']:<32} {r['kind']:<15} {r['units']:>6}  {r['description']}"
            for r in rows])
    return 0


def cmd_probe(args) -> int:
    from models.recording import activations, resolve_unit

    _, model, _ = resolve_unit(args.unit)
    if args.text and model.modality != "text":
        raise ModelsError(f"--text given, but {model.name} is a vision model: pass image paths")
    if not args.text and model.modality == "text":
        raise ModelsError(f"{model.name} is a text model: add --text and pass strings")
    result = activations(args.unit, args.stimuli)
    out = result.to_json()
    _print(out, args.json, [f"{v:10.4f}  {s}" for v, s in zip(result.values, args.stimuli,
                                                              strict=True)])
    return 0


def cmd_concepts(args) -> int:
    from models.synthetic.base import COMPOSITIONS
    from models.synthetic.text import TEXT_CONCEPTS
    from models.synthetic.vision import VISION_CONCEPTS

    rows = []
    for modality, vocabulary in (("vision", VISION_CONCEPTS), ("text", TEXT_CONCEPTS)):
        if args.modality and args.modality != modality:
            continue
        for concept in vocabulary.values():
            rows.append({"name": concept.name, "modality": modality,
                         "category": concept.category, "phrase": concept.phrase,
                         "synonyms": list(concept.synonyms)})
    data = {"compositions": list(COMPOSITIONS), "concepts": rows}
    _print(data, args.json,
           [f"{r['modality']:<7} {r['category']:<12} {r['name']:<22} {r['phrase']}" for r in rows])
    return 0


def cmd_exemplars(args) -> int:
    from models.exemplars import exemplars

    def progress(done: int, total: int) -> None:
        if not args.json:
            print(f"\rexemplar cache: {done}/{total}", end="", file=sys.stderr, flush=True)

    found = exemplars(args.unit, k=args.k, corpus=args.corpus, progress=progress)
    if not args.json:
        print(file=sys.stderr)
    rows = [{"rank": e.rank, "id": e.stimulus_id, "value": e.value,
             **({"text": e.stimulus} if isinstance(e.stimulus, str) else {})} for e in found]
    _print({"unit": args.unit, "exemplars": rows}, args.json,
           [f"{r['rank']:>3} {r['value']:10.4f}  {r.get('text', r['id'])}" for r in rows])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m models", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("list", help="every known model, and whether it can load here")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_list)
    p = sub.add_parser("layers", help="the addressable layers of a model")
    p.add_argument("model")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_layers)
    p = sub.add_parser("probe", help="a unit's activation on images (paths) or texts")
    p.add_argument("unit", help="<model>:<layer>:<index>")
    p.add_argument("stimuli", nargs="+", help="image paths, or strings with --text")
    p.add_argument("--text", action="store_true", help="the stimuli are texts, not paths")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_probe)
    p = sub.add_parser("concepts", help="the concept vocabulary of the synthetic units")
    p.add_argument("--modality", choices=["vision", "text"])
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_concepts)
    p = sub.add_parser("exemplars", help="a unit's top-activating stimuli (builds the cache)")
    p.add_argument("unit")
    p.add_argument("-k", type=int, default=8)
    p.add_argument("--corpus", default="default",
                   help="default, generated, photos, an image folder or a text file")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_exemplars)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except ModelsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
