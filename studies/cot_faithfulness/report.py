"""The study's analysis and report: tables, figures and the model-level answer per task."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import numpy as np

from bench.runner import mean_ci
from studies.cot_faithfulness.probe import probe, shuffled
from tools.cot import reliance_verdict, wilson

CHANCE_BAND = 0.5


def _mean_ci(values: list[float]) -> tuple[float, float, float]:
    """The mean and its 95% bootstrap interval over items (the benchmark's `mean_ci`)."""
    interval = mean_ci(values) or [float("nan"), float("nan")]
    return float(np.mean(values)), interval[0], interval[1]


def analyse(results: dict, features: np.ndarray | None) -> dict:
    """Everything the report shows, as numbers."""
    items = results["items"]
    solves = defaultdict(lambda: defaultdict(list))
    for record in items:
        key = f"{record['item']['task']} ({record['item']['difficulty']})"
        for kind, ok in record["solved"].items():
            solves[key][kind].append(ok)
        solves[key]["follows control"].append(record["follows_control"])
    accuracy = {key: {kind: float(np.mean(v)) for kind, v in kinds.items()} | {
        "n": len(kinds["sound"])} for key, kinds in solves.items()}
    solved = [r for r in items if r["solved"]["sound"]]
    per_task: dict[str, dict] = {}
    for task in dict.fromkeys(r["item"]["task"] for r in items):
        rows = [r for r in solved if r["item"]["task"] == task]
        if not rows:
            per_task[task] = {"solved": 0}
            continue
        differs = sum(r["truncation"]["same"][0] < 1 for r in rows)

        def flips(where: str, mode: str, rows=rows) -> tuple[int, int]:
            hits = [c["changed"] for r in rows for c in r["corruption"]
                    if c["where"] == where and c["mode"] == mode]
            return int(sum(hits)), len(hits)

        last, flaw = flips("last", "mistake"), flips("flaw", "mistake")
        verdict, why = reliance_verdict((differs, len(rows)), last, flaw if flaw[1] else None)
        per_task[task] = {
            "solved": len(rows),
            "area_same": _mean_ci([r["truncation"]["area_same"] for r in rows]),
            "curve": np.mean([r["truncation"]["curve"] for r in rows], axis=0).tolist(),
            "differs_without_chain": differs,
            "corruption": {f"{mode} @ {where}": (k, n, *wilson(k, n))
                           for where in ("flaw", "other", "last")
                           for mode in ("mistake", "paraphrase", "filler")
                           for k, n in [flips(where, mode)] if n},
            "verdict": verdict, "why": why}
    summary = {"accuracy": accuracy, "tasks": per_task, "probe": None, "patching": {}}
    for pair, maps in results["patching"].items():
        if maps:
            stack = np.array([m["segments"] for m in maps])
            summary["patching"][pair] = {"mean": stack.mean(axis=0).tolist(), "items": len(maps),
                                         "gap": float(np.mean([m["gap"] for m in maps]))}
    if features is not None:
        summary["probe"] = probe_summary(results, features)
    return summary


def probe_summary(results: dict, features: np.ndarray) -> dict:
    """The flawed-vs-sound probe, its embedding-layer baseline and its shuffled-label control,
    on items whose sound and flawed chains both end at the correct answer."""
    keep = [i for i, r in enumerate(results["items"])
            if r["solved"]["sound"] and r["solved"]["flawed"]]
    out: dict = {"items": len(keep)}
    if len(keep) < 6:
        out["skipped"] = "fewer than 6 items with both chains answered correctly"
        return out
    x = features[keep].astype(np.float32)  # [items, 2 kinds, layers + 1, 2 pools, d]
    labels = np.tile([0, 1], len(keep))
    groups = np.repeat(np.arange(len(keep)), 2)
    for p, pool in enumerate(("chain mean", "last token")):
        flat = x[:, :, :, p].reshape(len(keep) * 2, x.shape[2], x.shape[4])
        real = probe(flat[:, 1:], labels, groups)
        base = probe(flat[:, :1], labels, groups)
        control = probe(flat[:, 1:], shuffled(labels, groups), groups)
        out[pool] = {"probe": real.to_json(), "embeddings": base.to_json(),
                     "shuffled": control.to_json()}
    return out


def _figures(summary: dict, results: dict, out: Path) -> list[tuple[str, str]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    made = []
    fig, ax = plt.subplots(figsize=(6, 3.6), dpi=110)
    for task, row in summary["tasks"].items():
        if row.get("solved"):
            ax.plot([100 * f for f in results["fractions"]], row["curve"], marker="o",
                    label=f"{task} ({row['solved']} items)")
    ax.set(xlabel="% of the sound chain shown before the answer",
           ylabel="P(final answer) among candidates", ylim=(-0.02, 1.02),
           title="Early answering")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "early-answering.png")
    plt.close(fig)
    made.append(("early-answering.png", "Early answering: the final answer's probability after "
                 "the first k% of the sound chain"))

    fig, ax = plt.subplots(figsize=(7, 3.8), dpi=110)
    labels, rates, lows, highs = [], [], [], []
    for task, row in summary["tasks"].items():
        for name, (k, n, low, high) in row.get("corruption", {}).items():
            labels.append(f"{task}: {name}")
            rates.append(k / n)
            lows.append(max(0.0, k / n - low))  # float noise can put a bound past the rate
            highs.append(max(0.0, high - k / n))
    if labels:
        ax.barh(range(len(labels)), rates, xerr=[lows, highs], color="C0")
        ax.set_yticks(range(len(labels)), labels, fontsize=6)
        ax.invert_yaxis()
    ax.set(xlabel="share of items whose answer changed (95% interval)", xlim=(0, 1),
           title="Corrupting one step of the sound chain")
    fig.tight_layout()
    fig.savefig(out / "corruption.png")
    plt.close(fig)
    made.append(("corruption.png", "Corruption: how often one changed step changes the answer"))

    if summary["patching"]:
        pairs = list(summary["patching"])
        fig, axes = plt.subplots(1, len(pairs), figsize=(4.2 * len(pairs), 3.6), dpi=110,
                                 squeeze=False)
        maps = [np.array(summary["patching"][p]["mean"]) for p in pairs]
        scale = max(float(np.abs(m).max()) for m in maps) or 1.0
        for ax, pair, grid in zip(axes[0], pairs, maps, strict=True):
            image = ax.imshow(grid, cmap="RdBu_r", vmin=-scale, vmax=scale, aspect="auto")
            ax.set_xticks(range(len(results["segments"])), results["segments"], rotation=45,
                          ha="right", fontsize=7)
            ax.set_yticks(range(len(results["patch_layers"])),
                          results["patch_layers"] if ax is axes[0][0] else [], fontsize=7)
            ax.set_title(f"{pair} ({summary['patching'][pair]['items']} items)", fontsize=9)
        fig.colorbar(image, ax=list(axes[0]), label="share of the log P(answer) gap restored")
        fig.savefig(out / "patching.png", bbox_inches="tight")
        plt.close(fig)
        made.append(("patching.png", "Patching maps averaged over items: where the correct "
                     "answer is carried in the sound and in the flawed run"))

    probe_info = summary.get("probe") or {}
    if "chain mean" in probe_info:
        fig, ax = plt.subplots(figsize=(6, 3.4), dpi=110)
        for pool in ("chain mean", "last token"):
            per_layer = probe_info[pool]["probe"]["per_layer"]
            ax.plot(range(1, len(per_layer) + 1), per_layer, marker=".", label=f"{pool}")
        base = probe_info["chain mean"]["embeddings"]["auc"]
        ax.axhline(base, color="0.4", ls="--", label="token embeddings (chain mean)")
        ax.axhline(0.5, color="0.7", ls=":", label="chance")
        ax.set(xlabel="residual stream after block (1 = after the first)",
               ylabel="cross-validated AUC", ylim=(0.3, 1.02),
               title="Probe: flawed vs sound chain (correct answer)")
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(out / "probe.png")
        plt.close(fig)
        made.append(("probe.png", "Probe AUC by layer"))
    return made


def _fmt(value: float) -> str:
    return f"{value:.2f}"


def measuring_command(config: dict) -> str:
    """The command line that measures a run with this config (into the default folder)."""
    parts = ["python -m studies.cot_faithfulness", f"--model {config['model']}",
             f"--items {config['items']}", f"--tasks {','.join(config['tasks'])}",
             f"--patch-items {config['patch_items']}", f"--patch-every {config['patch_every']}",
             f"--seed {config['seed']}"]
    return " ".join(parts)


def write_report(out: Path, command: str = "") -> Path:
    """Analyse `out/results.json` (and features.npy) and write report.md, summary.json and
    the figures next to them. `command`: how the results were made (default: the measuring
    command rebuilt from the run's config)."""
    results = json.loads((out / "results.json").read_text())
    features_path = out / "features.npy"
    features = np.load(features_path) if features_path.is_file() else None
    previous = out / "summary.json"
    summary = analyse(results, features)
    if features is None and previous.is_file():
        # the features stay in the run folder (tens of MB); a copy of the results keeps the
        # probe's numbers from the summary written next to them
        summary["probe"] = json.loads(previous.read_text()).get("probe")
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    figures = _figures(summary, results, out)
    config = results["config"]
    lines = [f"# Chain-of-thought faithfulness: {config['model']}", "",
             "Made by", "", "```", command or measuring_command(config), "```", ""]
    lines += [f"{len(results['items'])} generated items ({config['items']} per task, seed "
              f"{config['seed']}); patching on {config['patch_items']} items per task at "
              f"{len(results['patch_layers'])} blocks.", "",
              "## Which items the model solves", "",
              "Accuracy of the answer read after no chain, the sound chain and the flawed chain "
              "(both end at the correct answer), and how often it follows the control chain to "
              "its wrong answer.", "",
              "| task | n | no chain | sound chain | flawed chain | follows control |",
              "|---|---|---|---|---|---|"]
    for key, row in summary["accuracy"].items():
        lines.append(f"| {key} | {row['n']} | {_fmt(row['no chain'])} | {_fmt(row['sound'])} | "
                     f"{_fmt(row['flawed'])} | {_fmt(row['follows control'])} |")
    lines += ["", "## Does the answer depend on the chain?", "",
              "On items solved with the sound chain. Early answering: the share of the "
              "truncation curve (0-100% of the chain) on which the answer already equals the "
              "final one (1 = the chain changes nothing; Lanham et al. 2023), mean and 95% "
              "bootstrap interval over items. Corruption: the share of items whose answer one "
              "corrupted step changed, with Wilson 95% intervals.", "",
              "| task | solved | early-answer area | answer differs without chain | mistake in "
              "flaw step | mistake in last step | filler (any step) | paraphrase (any step) | "
              "verdict |", "|---|---|---|---|---|---|---|---|---|"]
    for task, row in summary["tasks"].items():
        if not row.get("solved"):
            lines.append(f"| {task} | 0 | | | | | | | not solved: nothing to measure |")
            continue
        corr = row["corruption"]

        def rate(name: str, corr=corr) -> str:
            found = [v for k, v in corr.items() if k.startswith(name)]
            if not found:
                return "-"
            k, n = sum(v[0] for v in found), sum(v[1] for v in found)
            low, high = wilson(k, n)
            return f"{k}/{n} [{low:.2f}, {high:.2f}]"

        mean, low, high = row["area_same"]
        lines.append(
            f"| {task} | {row['solved']} | {mean:.2f} [{low:.2f}, {high:.2f}] | "
            f"{row['differs_without_chain']}/{row['solved']} | {rate('mistake @ flaw')} | "
            f"{rate('mistake @ last')} | {rate('filler')} | {rate('paraphrase')} | "
            f"**{row['verdict']}** |")
    lines += ["", "Model-level answers (\"Does this model rely on its chain of thought for "
              "<task>?\"):", ""]
    for task, row in summary["tasks"].items():
        if row.get("solved"):
            lines.append(f"- {task}: **{row['verdict']}**: {row['why']}.")
    if summary["patching"]:
        lines += ["", "## Where the answer is carried (activation patching)", "",
                  "The residual stream of the sound run (left) or of the flawed run (right) "
                  "patched into the control run (whose chain carries the mistake to a wrong "
                  "answer), one token position at a time; each cell sums the single-position "
                  "changes of log P(correct answer) over a segment of the prompt and divides "
                  "by the gap between the two runs (1 = the segment alone restores it).", "",
                  "| pair | items | mean gap (nats) | largest cell |", "|---|---|---|---|"]
        for pair, info in summary["patching"].items():
            grid = np.array(info["mean"])
            li, si = np.unravel_index(int(np.argmax(np.abs(grid))), grid.shape)
            lines.append(f"| {pair} | {info['items']} | {info['gap']:.2f} | "
                         f"{results['patch_layers'][li]}, {results['segments'][si]}: "
                         f"{grid[li, si]:+.2f} |")
    probe_info = summary.get("probe") or {}
    lines += ["", "## Detecting \"correct answer, flawed reasoning\" from activations", ""]
    if "chain mean" in probe_info:
        lines += ["A logistic-regression probe on the residual stream (layer chosen inside "
                  "each training fold), trained and tested on disjoint items (5 folds by item), "
                  f"over {probe_info['items']} items whose sound and flawed chains both end at "
                  "the correct answer. AUC with a 95% bootstrap interval over items; baseline: "
                  "the same probe on the token embeddings; control: shuffled labels.", "",
                  "| features | probe AUC | token-embedding baseline | shuffled labels |",
                  "|---|---|---|---|"]
        for pool in ("chain mean", "last token"):
            row = probe_info[pool]

            def show(part: dict) -> str:
                return f"{part['auc']:.2f} [{part['interval'][0]:.2f}, {part['interval'][1]:.2f}]"

            lines.append(f"| {pool} | {show(row['probe'])} | {show(row['embeddings'])} | "
                         f"{show(row['shuffled'])} |")
    else:
        lines.append(f"Not run: {probe_info.get('skipped', 'no features')}.")
    lines += [""] + [f"![{caption}]({name})" for name, caption in figures]
    path = out / "report.md"
    path.write_text("\n".join(lines) + "\n")
    return path
