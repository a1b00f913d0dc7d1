"""Turn `results.json` into a Markdown table (`report.md`) and one plot (`performance.png`)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from studies.regularization.config import format_strength  # noqa: E402

REPORT = "report.md"
PLOT = "performance.png"
INTERP_PLOT = "interpretability.png"


def _cell(value, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _interp(found: dict | None) -> str:
    if not found:
        return "-"
    ci = found.get("ci") or [found["mean"], found["mean"]]
    return f"{found['mean']:.3f} [{ci[0]:.2f}, {ci[1]:.2f}]"


def table(results: dict) -> str:
    """One Markdown row per model: training, held-out loss, sparsity and editing numbers."""
    header = ("| model | regularizer | strength | train s | held-out loss | perplexity | "
              "near-zero | near-zero (rel.) | kurtosis | mean abs | edit efficacy | "
              "generalization | specificity | simulation r [95% CI] | explained |")
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    for row in results["variants"]:
        training = row.get("training") or {}
        sparsity, editing = row["sparsity"], row.get("editing") or {}
        lines.append("| " + " | ".join([
            row["name"], row["regularizer"],
            "-" if row["strength"] is None else format_strength(row["strength"]),
            _cell(training.get("wall_s"), 0), _cell(row["heldout"]["loss"]),
            _cell(row["heldout"]["perplexity"], 1), _cell(sparsity["near_zero"]),
            _cell(sparsity["near_zero_relative"]), _cell(sparsity["kurtosis"], 1),
            _cell(sparsity["mean_abs"], 4), _cell(editing.get("efficacy"), 2),
            _cell(editing.get("generalization"), 2), _cell(editing.get("specificity"), 2),
            _interp(row.get("interpretability")),
            _cell((row.get("interpretability") or {}).get("explained_fraction"), 2),
        ]) + " |")
    return "\n".join(lines)


def write_report(results: dict, out: Path) -> tuple[Path, Path]:
    """Write `report.md` and `performance.png` into `out`; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    plot = plot_performance(results, out / PLOT)
    config = results["config"]
    rows = results["variants"]
    sparsity = rows[0]["sparsity"]
    first, last = config["train"]["layers"]
    text = [
        f"# Regularization study `{config['name']}`",
        "",
        f"Base model `{config['base_model']}`, corpus `{results['corpus']['name']}` "
        f"({results['corpus']['train_texts']} training texts, "
        f"{results['corpus']['heldout_texts_used']} held-out texts measured), seed "
        f"{config['seed']}. Each variant fine-tuned {config['train']['steps']} steps "
        f"(batch {config['train']['batch_size']} x {config['train']['seq_len']} tokens) on the "
        f"{', '.join(config['train']['modules'])} of blocks {first}-{last}.",
        "",
        f"Sparsity: {sparsity['neurons']} MLP neurons sampled with seed {config['seed']} from "
        f"the measured blocks, the same for every model, over {sparsity['tokens']} held-out "
        f"tokens. Near-zero: |a| <= {sparsity['threshold']}; relative: |a| <= "
        f"{sparsity['relative_threshold']} x the neuron's largest |a|; kurtosis: median excess "
        f"kurtosis per neuron.",
    ]
    if results["facts"]:
        text += ["", f"Editing: rank-one (ROME-style) edits of block {config['edit']['layer']}'s "
                     f"MLP output projection, {len(results['facts'])} facts the base model knows, "
                     f"each undone before the next. Efficacy: the new object beats the old on the "
                     f"prompt; generalization: on two paraphrases; specificity: three neighbour "
                     f"facts keep their object over the new one."]
    interp = [r["interpretability"] for r in rows if r.get("interpretability")]
    if interp:
        first_row = interp[0]
        text += ["", f"Interpretability: the same {first_row['units']} neurons of "
                     f"`{first_row['layer']}` in every model, described by the atlas's "
                     f"`{first_row['policy']}` describer and scored by {first_row['score']}; "
                     f"mean with a 95% bootstrap interval over units; explained: the fraction "
                     f"with r >= {first_row['explained_at']}."]
    text += ["", table(results), "", f"![held-out loss against sparsity]({plot.name})", ""]
    if interp:
        second = plot_interpretability(results, out / INTERP_PLOT)
        text += [f"![held-out loss against interpretability]({second.name})", ""]
    report = out / REPORT
    report.write_text("\n".join(text))
    return report, plot


def plot_performance(results: dict, path: Path, sparsity_key: str = "near_zero") -> Path:
    """Held-out loss against activation sparsity, one labelled point per model."""
    figure, axes = plt.subplots(figsize=(6.4, 4.4), dpi=120)
    for row in results["variants"]:
        x = row["sparsity"][sparsity_key]
        y = row["heldout"]["loss"]
        axes.scatter([x], [y], s=36)
        axes.annotate(row["name"].split("@")[-1] if "@" in row["name"] else "base", (x, y),
                      textcoords="offset points", xytext=(4, 4), fontsize=8)
    sparsity = results["variants"][0]["sparsity"]
    rule = (f"|a| <= {sparsity['threshold']}" if sparsity_key == "near_zero" else
            f"|a| <= {sparsity['relative_threshold']} x neuron max")
    axes.set_xlabel(f"fraction of near-zero MLP activations ({rule})")
    axes.set_ylabel("held-out loss (nats / token)")
    axes.set_title(f"{results['config']['base_model']}: performance vs sparsity")
    axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return path


def plot_interpretability(results: dict, path: Path) -> Path:
    """Held-out loss against mean simulation r (95% interval as error bars); each point's
    label gives its edit efficacy."""
    figure, axes = plt.subplots(figsize=(6.4, 4.4), dpi=120)
    for row in results["variants"]:
        found = row.get("interpretability")
        if not found:
            continue
        x, y = found["mean"], row["heldout"]["loss"]
        ci = found.get("ci") or [x, x]
        axes.errorbar([x], [y], xerr=[[x - ci[0]], [ci[1] - x]], fmt="o", capsize=3)
        efficacy = (row.get("editing") or {}).get("efficacy")
        name = row["name"].split("@")[-1] if "@" in row["name"] else "base"
        label = name if efficacy is None else f"{name} (edit {efficacy:.2f})"
        axes.annotate(label, (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8)
    axes.set_xlabel("mean simulation r of sampled MLP neurons (95% CI)")
    axes.set_ylabel("held-out loss (nats / token)")
    axes.set_title(f"{results['config']['base_model']}: performance vs interpretability")
    axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return path
