"""`python -m models`: list models and layers, probe units, list concepts, show exemplars,
measure how often synthetic units fire."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from models.console import command, emit, progress_bar
from models.errors import ModelsError


def cmd_list(args) -> int:
    from models.registry import list_models

    rows = [entry.to_json() for entry in list_models()]
    emit(rows, args.json, [
        f"{r['name']:<24} {r['modality']:<7} {'yes' if r['available'] else 'no ':<4} {r['source']}"
        for r in rows])
    return 0


def cmd_layers(args) -> int:
    from models.registry import get_model

    model = get_model(args.model)
    rows = [info.to_json() for info in model.layers()]
    emit(rows, args.json,
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
    lines = [f"{v:10.4f}  {s}" for v, s in zip(result.values, args.stimuli, strict=True)]
    if result.tokens is not None:
        # one number per text is a reduction: say which, and give every token's value
        out["reduction"] = "activation = max over the text's tokens"
        out["per_token"] = [[{"token": t, "activation": round(float(v), 5)}
                             for t, v in zip(tokens, values, strict=True)]
                            for tokens, values in zip(result.tokens, result.maps, strict=True)]
        lines = [f"{v:10.4f}  {s}   (max over tokens: " + " ".join(
            f"{t.strip() or repr(t)}={float(a):.2f}" for t, a in zip(tokens, values,
                                                                      strict=True)) + ")"
                 for v, s, tokens, values in zip(result.values, args.stimuli, result.tokens,
                                                 result.maps, strict=True)]
    else:
        out["reduction"] = "activation = max over the unit's spatial map"
    emit(out, args.json, lines)
    return 0


def cmd_concepts(args) -> int:
    from models.concepts.text import TEXT_CONCEPTS
    from models.concepts.vision import VISION_CONCEPTS
    from models.synthetic.base import COMPOSITIONS

    rows = []
    for modality, vocabulary in (("vision", VISION_CONCEPTS), ("text", TEXT_CONCEPTS)):
        if args.modality and args.modality != modality:
            continue
        for concept in vocabulary.values():
            rows.append({"name": concept.name, "modality": modality,
                         "category": concept.category, "phrase": concept.phrase,
                         "synonyms": list(concept.synonyms)})
    data = {"compositions": list(COMPOSITIONS), "concepts": rows}
    emit(data, args.json,
           [f"{r['modality']:<7} {r['category']:<12} {r['name']:<22} {r['phrase']}" for r in rows])
    return 0


def cmd_exemplars(args) -> int:
    from models.exemplars import exemplars

    progress = progress_bar(0, "exemplar cache (one pass over the corpus)", quiet=args.json)
    found = exemplars(args.unit, k=args.k, corpus=args.corpus, progress=progress)
    rows = [{"rank": e.rank, "id": e.stimulus_id, "value": e.value,
             **({"text": e.stimulus} if isinstance(e.stimulus, str) else {})} for e in found]
    emit({"unit": args.unit, "exemplars": rows}, args.json,
           [f"{r['rank']:>3} {r['value']:10.4f}  {r.get('text', r['id'])}" for r in rows])
    return 0


def cmd_firing(args) -> int:
    from models.corpora import get_corpus
    from models.registry import get_model
    from models.synthetic.firing import layer_firing

    corpus = get_corpus(args.corpus, get_model(args.model).modality)
    rows = [r.to_json() for r in layer_firing(args.model, args.layer, corpus, k=args.k,
                                               limit=args.limit)]
    lines = []
    for r in rows:
        lines.append(f"{r['index']:>3} {r['label'][:40]:<40} {r['count']:>6} {r['rate']:7.1%}")
        lines += [f"      {value:6.3f}  {str(name)[:90]}" for name, value in r["top"]]
    emit(rows, args.json, lines)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m models", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    command(sub, "list", "every known model, and whether it can load here", cmd_list)
    p = command(sub, "layers", "the addressable layers of a model", cmd_layers)
    p.add_argument("model")
    p = command(sub, "probe", "a unit's activation on images (paths) or texts", cmd_probe)
    p.add_argument("unit", help="<model>:<layer>:<index>")
    p.add_argument("stimuli", nargs="+", help="image paths, or strings with --text")
    p.add_argument("--text", action="store_true", help="the stimuli are texts, not paths")
    p = command(sub, "concepts", "the concept vocabulary of the synthetic units", cmd_concepts)
    p.add_argument("--modality", choices=["vision", "text"])
    p = command(sub, "exemplars", "a unit's top-activating stimuli (builds the cache)",
                cmd_exemplars)
    p.add_argument("unit")
    p.add_argument("-k", type=int, default=8)
    p.add_argument("--corpus", default="default",
                   help="default, generated, photos, an image folder or a text file")
    p = command(sub, "firing", "how often each unit of a synthetic layer fires on a corpus",
                cmd_firing)
    p.add_argument("model", help="synthetic-vision or synthetic-text")
    p.add_argument("layer", help="single, or, and, and_not, composed, hidden, unseen, blind")
    p.add_argument("-k", type=int, default=3, help="top stimuli to show per unit")
    p.add_argument("--corpus", default="default",
                   help="default, generated, photos, an image folder or a text file")
    p.add_argument("--limit", type=int, default=None, help="use only the first N stimuli")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except ModelsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
