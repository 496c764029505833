"""two_by_two: {non-spiking, spiking} x {local learning, backprop} per task, and the paired
effects that separate the cost of spiking from the cost of local learning (issue 13)."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D

from ..runner import two_by_two as tbt
from ..runner.report import budget_span
from ..runner.storage import summary_rows
from ..runner.two_by_two import CORNERS, EFFECTS, missing_note
from ._data import SkipFigure
from .style import add_caption, apply_style, family, save_figure

#: marker of a corner's learning (its colour is its family's)
_MARKER = {"local": "s", "backprop": "o"}
#: colour of an effect's factor
_EFFECT_COLOR = {"spiking": "#9467bd", "local learning": "#2ca02c"}
_EFFECT_MARKER = ("o", "s")  # first / second of each factor (see EFFECTS)
#: "spiking - non-spiking (backprop)" with another input code of the spiking network
_CODE_COLOR = "#ff7f0e"
_CODE_MARKERS = ("D", "v", "^", "P")


def two_by_two(records, out_dir):
    """Left: per task, the four corners' mean test accuracy with its 95 % CI over seeds.
    Right: per task, the four paired effects (mean difference, 95 % CI), and the cost of
    spiking at equal (backprop) learning with each other input code that was run."""
    tt = two_by_two_table(records)
    if not tt["tasks"]:
        raise SkipFigure(missing_note(tt) or "no runs recorded")
    apply_style()
    tasks = [t["task"] for t in tt["tasks"]]
    own = {t["task"]: t["corners"][EFFECTS[0].with_corner.label]["model"] for t in tt["tasks"]}
    variants = list(dict.fromkeys(
        (r["with_model"], r["code"]) for t in tt["tasks"] for r in t.get("code_effects", [])
        if r["with_model"] != own[t["task"]]))
    fig, (ax_c, ax_e) = plt.subplots(
        1, 2, figsize=(10.5, (0.75 + 0.12 * len(variants)) * len(tasks) + 1.6), sharey=True)
    off_c = np.linspace(-0.3, 0.3, len(CORNERS))
    off_all = np.linspace(-0.36, 0.36, len(EFFECTS) + len(variants))
    off_e, off_v = off_all[:len(EFFECTS)], off_all[len(EFFECTS):]
    n_seeds: set[int] = set()
    for i, t in enumerate(tt["tasks"]):
        for k, c in enumerate(CORNERS):
            cell = t["corners"][c.label]
            n_seeds.add(cell["n"])
            y = i + off_c[k]
            col = family(c.family).color
            if not math.isnan(cell["ci_low"]):
                ax_c.plot([cell["ci_low"], cell["ci_high"]], [y, y], color=col, lw=1.2)
            ax_c.plot(cell["mean"], y, _MARKER[c.learning], ms=5, color=col,
                      label=f"{c.label}" if i == 0 else None)
        by = {r["effect"]: r for r in t["effects"]}
        for k, e in enumerate(EFFECTS):
            r = by.get(e.label)
            if r is None:
                continue
            y = i + off_e[k]
            col = _EFFECT_COLOR[e.factor]
            if not math.isnan(r["ci_low"]):
                ax_e.plot([r["ci_low"], r["ci_high"]], [y, y], color=col, lw=1.2)
            mk = _EFFECT_MARKER[[f for f in EFFECTS if f.factor == e.factor].index(e)]
            ax_e.plot(r["diff_mean"], y, mk, ms=5, color=col,
                      mfc=col if r["significant"] else "white")
        for r in t.get("code_effects", []):
            key = (r["with_model"], r["code"])
            if key not in variants:
                continue
            k = variants.index(key)
            y = i + off_v[k]
            if not math.isnan(r["ci_low"]):
                ax_e.plot([r["ci_low"], r["ci_high"]], [y, y], color=_CODE_COLOR, lw=1.0)
            ax_e.plot(r["diff_mean"], y, _CODE_MARKERS[k % len(_CODE_MARKERS)], ms=4,
                      color=_CODE_COLOR, mfc=_CODE_COLOR if r["significant"] else "white")
    ax_c.set_yticks(np.arange(len(tasks)), tasks)
    ax_c.invert_yaxis()
    ax_c.set_xlabel("test accuracy")
    ax_c.set_title("the four corners")
    ax_c.legend(loc="lower left", bbox_to_anchor=(0.0, 1.06), ncol=2)
    ax_e.axvline(0.0, color="k", lw=0.8)
    ax_e.set_xlabel("Δ test accuracy (negative = a cost)")
    ax_e.set_title("paired effects")
    ax_e.legend(handles=[Line2D([], [], ls="", color=_EFFECT_COLOR[e.factor], label=e.header,
                                marker=_EFFECT_MARKER[[f for f in EFFECTS
                                                       if f.factor == e.factor].index(e)])
                         for e in EFFECTS]
                + [Line2D([], [], ls="", color=_CODE_COLOR, ms=4,
                          marker=_CODE_MARKERS[k % len(_CODE_MARKERS)],
                          label=f"{EFFECTS[0].header}, input: {code}")
                   for k, (_, code) in enumerate(variants)],
                loc="lower left", bbox_to_anchor=(0.0, 1.06), ncol=2)
    budgets: dict[str, list[tuple]] = {}
    for t in tt["tasks"]:
        for cell in t["corners"].values():
            budgets.setdefault(cell["model"], []).append((cell["presentations"], cell["epochs"]))
    note = missing_note(tt)
    caption = (
        "Spiking × learning rule, per task at its comparison size. Left: test accuracy of "
        "the four corners, marker = mean over seeds, bar = its 95 % t-based CI (n = "
        f"{', '.join(map(str, sorted(n_seeds)))} seeds); colour = family, square = local "
        "learning, circle = backprop. "
        + "; ".join(f"{c.label}: {'/'.join(c.models)}" for c in CORNERS)
        + " (a corner with several candidates shows the one with the best mean validation "
        "score when the runs were tuned, else its first declared representative; never "
        "chosen on test scores). Input code of the spiking corners: "
        + "; ".join(f"{m} {tbt.input_code(m)}" for m in dict.fromkeys(
            t["corners"][c.label]["model"] for t in tt["tasks"] for c in CORNERS
            if c.neurons == "spiking"))
        + ". Right: the paired differences over seeds (same data per seed), filled = "
        "the CI excludes 0: the cost of spiking at equal learning ("
        + "; ".join(e.header for e in EFFECTS if e.factor == "spiking")
        + ") and the cost of local learning at equal neurons ("
        + "; ".join(e.header for e in EFFECTS if e.factor == "local learning")
        + ")"
        + ("" if not variants else
           "; orange: " + EFFECTS[0].header + " with the spiking network given another "
           "input code (" + "; ".join(f"{m}: {code}" for m, code in variants)
           + "), current injection having no input spikes")
        + ". Training budget per fit (range over the tasks): "
        + "; ".join(f"{m} {budget_span([p for p, _ in v], [e for _, e in v])}"
                    for m, v in budgets.items())
        + (f" {note[0].upper() + note[1:]}." if note else "")
    )
    add_caption(fig, caption)
    return save_figure(fig, out_dir, "two_by_two"), caption


def two_by_two_table(records) -> dict:
    """The 2 x 2 (:func:`brainlearn.runner.two_by_two.two_by_two`) of saved run records."""
    return tbt.two_by_two(summary_rows(records))
