"""Compare benchmark outputs: a Markdown table of policies and controls, and a PNG plot."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.runner import SUMMARY_FILE


def columns(plotted_only: bool = False) -> list[tuple[str, str]]:
    """(summary key without the control prefix, header) of every registered metric."""
    from bench.protocols import metrics

    return [(m.key, m.header) for _, m in metrics() if m.plotted or not plotted_only]
SOURCES = (("", "{policy}"), ("random_description_", "control: random description"),
           ("exemplar_oneshot_", "control: exemplar one-shot"))


def load_summaries(dirs: list[Path | str]) -> list[dict[str, Any]]:
    """The summary.json of each benchmark output folder (run `bench score` first if missing)."""
    found = []
    for folder in dirs:
        path = Path(folder) / SUMMARY_FILE
        if not path.exists():
            raise FileNotFoundError(f"{folder}: no {SUMMARY_FILE}; run `python -m bench score "
                                    f"{folder}` first")
        found.append({**json.loads(path.read_text()), "dir": str(folder)})
    return found


def _cell(value: Any, ci: Any = None) -> str:
    if value is None:
        return "–"
    if ci:
        return f"{value:.3f} [{ci[0]:.2f}, {ci[1]:.2f}]"
    return f"{value:.3f}"


def rows(summaries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (output folder, description source): the policy and its two controls."""
    out = []
    for summary in summaries:
        for prefix, label in SOURCES:
            out.append({"suite": summary["suite"], "source": label.format(
                policy=summary["policy"]), "n": summary["n"],
                **{key: summary.get(prefix + key) for key, _ in columns()},
                **{key + "_ci": summary.get(prefix + key + "_ci") for key, _ in columns()},
                "by_composition": summary.get(prefix + "accuracy_by_composition") or {}})
    return out


def markdown(summaries: list[dict[str, Any]]) -> str:
    """The comparison table, plus ground-truth accuracy per composition."""
    # a column no summary has a value for (an opt-in reader that was not used) is left out
    shown = [(k, h) for k, h in columns()
             if any(s.get(prefix + k) is not None for s in summaries for prefix, _ in SOURCES)]
    lines = ["Each mean is shown with its 95% bootstrap confidence interval over units.", "",
             "| suite | description | n | " + " | ".join(h for _, h in shown) + " |",
             "|---|---|---:|" + "---:|" * len(shown)]
    table = rows(summaries)
    for row in table:
        lines.append(f"| {row['suite']} | {row['source']} | {row['n']} | "
                     + " | ".join(_cell(row[k], row.get(k + "_ci")) for k, _ in shown) + " |")
    comps = sorted({c for row in table for c in row["by_composition"]})
    if comps:
        lines += ["", "Ground-truth accuracy per composition:", "",
                  "| suite | description | " + " | ".join(comps) + " |",
                  "|---|---|" + "---:|" * len(comps)]
        for row in table:
            if row["by_composition"]:
                lines.append(f"| {row['suite']} | {row['source']} | " + " | ".join(
                    _cell(row["by_composition"].get(c)) for c in comps) + " |")
    paired = [(s, k, h) for s in summaries for k, h in shown
              if s.get(f"policy_minus_oneshot_{k}") is not None]
    if paired:
        lines += ["", "Policy minus the one-shot control, paired by unit (mean, 95% bootstrap "
                  "interval; an interval above 0 means the policy beat its baseline):", "",
                  "| suite | policy | metric | difference |", "|---|---|---|---:|"]
        for s, key, header in paired:
            lines.append(f"| {s['suite']} | {s['policy']} | {header} | "
                         f"{_cell(s[f'policy_minus_oneshot_{key}'], s.get(f'policy_minus_oneshot_{key}_ci'))} |")
    lines += ["", "Scored with:"]
    for s in summaries:
        used = s.get("scored_with") or {}
        reader = ", ".join(used.get("reader", [])) or "keyword parser (first version)"
        data = ", ".join(used.get("data", [])) or "procedural"
        judged = ", ".join(used.get("judge", [])) or "none"
        agreement = s.get("judge_agreement")
        lines.append(f"- {s['suite']}/{s['policy']}: reader {reader}; held-out data {data}; "
                     f"judge {judged}" + (
                         f"; the two judges agree on {agreement['agree']} of {agreement['n']} "
                         f"descriptions (Cohen's kappa {agreement['kappa']:.2f})"
                         if agreement else ""))
    walls = [(s["suite"], s["policy"], s.get("wall_s_mean")) for s in summaries]
    lines += ["", "Mean wall time per unit (agent run): " + ", ".join(
        f"{suite}/{policy} {wall} s" for suite, policy, wall in walls)]
    return "\n".join(lines) + "\n"


def plot(summaries: list[dict[str, Any]], path: Path | str) -> Path:
    """Grouped bars: each metric (columns) for each description source (bars)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    table = rows(summaries)
    metrics = columns(plotted_only=True)
    fig, ax = plt.subplots(figsize=(max(6.0, 1.6 * len(metrics) * max(1, len(table) / 3)), 4))
    width = 0.8 / max(len(table), 1)
    x = np.arange(len(metrics))
    for i, row in enumerate(table):
        values = [row[k] if row[k] is not None else 0.0 for k, _ in metrics]
        ax.bar(x + i * width - 0.4 + width / 2, values, width,
               label=f"{row['suite']}: {row['source']}")
    ax.set_xticks(x, [h for _, h in metrics])
    ax.set_ylim(-0.2, 1.05)
    ax.axhline(0.5, color="grey", lw=0.6, ls="--")
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2)
    ax.set_title("policies and controls")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def write_report(dirs: list[Path | str], out: Path | str) -> dict[str, str]:
    """Write report.md and report.png into `out`; returns their paths."""
    summaries = load_summaries(dirs)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    table = out / "report.md"
    table.write_text("# Benchmark report\n\n" + markdown(summaries))
    image = plot(summaries, out / "report.png")
    return {"markdown": str(table), "plot": str(image)}
