"""learning_curves and weight_evolution: how the models change while they learn."""

from __future__ import annotations

import matplotlib.pyplot as plt

from ..plot import draw_weight_histograms
from ._data import (
    SkipFigure,
    at_headline,
    families,
    group,
    mean_curve,
    order_models,
    order_tasks,
    payload,
    showcase,
    with_payload,
)
from .style import (
    add_caption,
    apply_style,
    family_linestyle,
    linestyle_key,
    model_color,
    save_figure,
)


def learning_curves(records, out_dir):
    """Test accuracy against training samples seen (checkpoints), per task, both families."""
    recs = [r for r in at_headline(records)
            if "eval_accuracy" in (r.history or {})
            and len(r.history["eval_accuracy"]) == len(r.history.get("samples_seen", []))
            and len(r.history["eval_accuracy"]) > 0]
    if not recs:
        raise SkipFigure("no run recorded test accuracy at checkpoints (learning_curves)")
    apply_style()
    tasks = order_tasks(r.task for r in recs)
    ncol = min(4, len(tasks))
    nrow = -(-len(tasks) // ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.3 * ncol, 2.6 * nrow), squeeze=False,
                             sharey=True)
    cells = group(recs, "task", "model")
    fam = families(recs)
    for k, t in enumerate(tasks):
        ax = axes[k // ncol][k % ncol]
        for m in order_models(recs):
            rs = cells.get((t, m))
            if not rs:
                continue
            x, mu, sd = mean_curve([(r.history["samples_seen"], r.history["eval_accuracy"])
                                    for r in rs])
            c = model_color(m, fam[m])
            ax.plot(x, mu, color=c, ls=family_linestyle(fam[m]), lw=1.2,
                    marker="o" if len(x) < 12 else None, ms=2.5, label=f"{m} ({fam[m]})")
            ax.fill_between(x, mu - sd, mu + sd, color=c, alpha=0.12, lw=0)
        ax.axhline(0.5, color="k", lw=0.8, ls=":")
        ax.set_xscale("log")
        ax.set_title(t)
        ax.set_ylim(0.3, 1.02)
        if k % ncol == 0:
            ax.set_ylabel("test accuracy")
        if k // ncol == nrow - 1:
            ax.set_xlabel("training samples seen")
    for k in range(len(tasks), nrow * ncol):
        axes[k // ncol][k % ncol].set_axis_off()
    handles, labels = [], []
    for ax in axes.ravel():
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    fig.tight_layout(h_pad=1.2)
    fig.legend(handles, labels, loc="lower center", bbox_to_anchor=(0.5, 1.0),
               ncol=min(len(labels), 5))
    caption = (
        "Learning curves: accuracy on held-out test data at each checkpoint (MLP: every epoch; "
        "spiking: every chunk or epoch) against the cumulative number of training presentations "
        "(log scale); line = mean over seeds, band = ± 1 sd. " + linestyle_key(fam.values())
    )
    add_caption(fig, caption, width=int(40 * ncol) + 20)
    return save_figure(fig, out_dir, "learning_curves"), caption


def weight_evolution(records, out_dir):
    """Distributions of the plastic weights at each checkpoint, per spiking model and projection."""
    recs = with_payload(records, "weight_evolution")
    if not recs:
        raise SkipFigure("no run recorded plastic-weight histories (spiking models only)")
    apply_style()
    task, cells, models = showcase(recs)
    rows = [(m, proj) for m in models
            for proj in payload(cells[(task, m)], "weight_evolution")["projections"]]
    fig, axes = plt.subplots(1, len(rows), figsize=(3.2 * len(rows), 2.8), squeeze=False)
    for k, (ax, (m, proj)) in enumerate(zip(axes[0], rows, strict=True)):
        p = payload(cells[(task, m)], "weight_evolution")
        d = p["projections"][proj]
        seen = p.get("samples_seen") or list(range(1, len(d["checkpoints"]) + 1))
        draw_weight_histograms(ax, d["edges"], d["initial"], d["checkpoints"], d["n_weights"],
                               seen)
        ax.set_title(f"{m}\n{proj}", fontsize=8)
        if k:
            ax.set_ylabel("")
    axes[0][0].set_ylabel("fraction of synapses")
    caption = (
        f"Weight evolution on the {task} task (one seed): the distribution of each plastic "
        "projection's weights before learning (dotted) and at every checkpoint (dark to light = "
        "early to late)."
    )
    add_caption(fig, caption, width=int(40 * len(rows)) + 20)
    return save_figure(fig, out_dir, "weight_evolution"), caption
