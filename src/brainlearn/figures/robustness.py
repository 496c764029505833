"""robustness: accuracy against input noise and against synapses or neurons removed."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ._data import SkipFigure, families, group, order_models, order_tasks, payload, with_payload
from .style import add_caption, apply_style, family_linestyle, model_color, save_figure

PANELS = (
    ("noise", "input noise sd", "noise_sd"),
    ("synapses", "fraction of synapses removed", "fractions"),
    ("neurons", "fraction of hidden neurons removed", "fractions"),
)


def robustness(records, out_dir):
    recs = with_payload(records, "robustness")
    if not recs:
        raise SkipFigure("no run recorded robustness measurements")
    apply_style()
    tasks = order_tasks(r.task for r in recs)
    fam = families(recs)
    cells = group(recs, "task", "model")
    fig, axes = plt.subplots(len(tasks), 3, figsize=(10.0, 2.5 * len(tasks)), squeeze=False,
                             sharey=True)
    for i, t in enumerate(tasks):
        for m in order_models([r for r in recs if r.task == t]):
            rs = cells[(t, m)]
            for j, (kind, _, xkey) in enumerate(PANELS):
                ys = []
                for r in rs:
                    p = payload(r, "robustness")
                    ys.append(p["noise_accuracy"] if kind == "noise"
                              else p["removed_accuracy"].get(kind))
                if any(y is None for y in ys):  # a model that cannot be lesioned
                    continue
                xs = payload(rs[0], "robustness")[xkey]
                ys = np.asarray(ys, dtype=float)
                c = model_color(m, fam[m])
                axes[i][j].errorbar(xs, ys.mean(0), yerr=ys.std(0) if len(ys) > 1 else None,
                                    color=c, ls=family_linestyle(fam[m]), marker="o", ms=2.5,
                                    lw=1.1, capsize=1.5, label=f"{m} ({fam[m]})")
        for j, (_, xlabel, _) in enumerate(PANELS):
            ax = axes[i][j]
            ax.axhline(0.5, color="k", lw=0.8, ls=":")
            ax.set_ylim(0.3, 1.02)
            if i == len(tasks) - 1:
                ax.set_xlabel(xlabel)
        axes[i][0].set_ylabel(f"{t}\ntest accuracy")
    # the rightmost panel with lines (models that cannot be lesioned have only noise lines)
    labelled = [ax for ax in axes[0] if ax.get_legend_handles_labels()[0]]
    if labelled:
        labelled[-1].legend(loc="lower left", fontsize=7)
    sizes = sorted({payload(r, "robustness").get("samples") for r in recs} - {None})
    on = (f" (on the first {', '.join(map(str, sizes))} test samples)" if sizes else "")
    caption = (
        f"Robustness after training{on}: test accuracy with Gaussian noise of the given sd "
        "added to the test inputs (clipped to the input range), and with a random fraction "
        "of the learned synapses set to zero or of the hidden neurons removed (all their "
        "weights zeroed), via each model's ablated(); mean ± sd over seeds."
    )
    add_caption(fig, caption)
    return save_figure(fig, out_dir, "robustness"), caption
