"""presentation_time: accuracy against presentation time and against synaptic events per
decision, one curve per spiking model and input code, the MLP as the reference."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..runner.two_by_two import input_code
from ._data import SkipFigure, families, group, order_models, order_tasks, payload, with_payload
from .style import add_caption, apply_style, family_linestyle, model_color, save_figure

NAME = "presentation_time"
_MARKERS = ("o", "s", "D", "^", "v", "P", "X")


def _label(model: str) -> str:
    code = input_code(model)
    return f"{model} ({code})" if code else model


def _curve(recs) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per presentation time common to the records: the time, the mean and sd over seeds of
    the accuracy, and the mean operations per decision (synaptic events, else MACs)."""
    per: dict[float | None, list[tuple[float, float]]] = {}
    for r in recs:
        for pt in payload(r, NAME)["points"]:
            ops = pt.get("synaptic_events", pt.get("macs", np.nan))
            per.setdefault(pt["presentation_ms"], []).append((pt["accuracy"], ops))
    n = len(recs)
    keys = sorted((k for k, v in per.items() if len(v) == n),
                  key=lambda k: -1.0 if k is None else k)
    acc = [np.asarray([a for a, _ in per[k]]) for k in keys]
    ops = [np.mean([o for _, o in per[k]]) for k in keys]
    return (np.asarray([np.nan if k is None else k for k in keys], dtype=float),
            np.asarray([a.mean() for a in acc]), np.asarray([a.std() for a in acc]),
            np.asarray(ops, dtype=float))


def presentation_time(records, out_dir):
    """Per task, left: test accuracy against presentation time (log axis), a curve per
    spiking model that can be re-presented without retraining, a point for one that cannot;
    right: the same accuracies against synaptic events per decision. Non-spiking models: a
    dashed horizontal line at their accuracy, and on the right a cross at their MACs."""
    recs = with_payload(records, NAME)
    if not recs:
        raise SkipFigure("no run recorded the presentation_time analysis")
    apply_style()
    tasks = order_tasks(r.task for r in recs)
    fam = families(recs)
    cells = group(recs, "task", "model")
    fig, axes = plt.subplots(len(tasks), 2, figsize=(14.0, 2.9 * len(tasks) + 0.6),
                             squeeze=False)
    n_seeds: set[int] = set()
    spiking_models = [m for m in order_models(recs)
                      if any(payload(r, NAME).get("spiking") for r in recs if r.model == m)]
    for i, t in enumerate(tasks):
        ax_t, ax_o = axes[i]
        for m in order_models([r for r in recs if r.task == t]):
            rs = cells[(t, m)]
            n_seeds.add(len(rs))
            ms, acc, sd, ops = _curve(rs)
            if not len(acc):
                continue
            c = model_color(m, fam[m])
            spiking = bool(payload(rs[0], NAME).get("spiking"))
            if not spiking:
                for ax in (ax_t, ax_o):
                    ax.axhline(acc[0], color=c, ls="--", lw=1.0)
                ax_o.plot(ops[0], acc[0], "x", color=c, ms=6, mew=1.5,
                          label=f"{_label(m)}: MACs")
                ax_t.text(0.01, acc[0], f" {m}", color=c, fontsize=7, va="bottom",
                          transform=ax_t.get_yaxis_transform())
                continue
            # one colour per spiking model and code (their family colour is shared)
            k = spiking_models.index(m)
            style = dict(color=plt.cm.tab10((k + 1) % 10), ls=family_linestyle(fam[m]),
                         marker=_MARKERS[k % len(_MARKERS)], ms=3.5, lw=1.2)
            ax_t.errorbar(ms, acc, yerr=sd if len(rs) > 1 else None, capsize=1.5,
                          label=_label(m), **style)
            ax_o.plot(ops, acc, label=_label(m), **style)
        ax_t.set_xscale("log")
        ax_o.set_xscale("log")
        ax_t.set_ylabel(f"{t}\ntest accuracy")
        if i == len(tasks) - 1:
            ax_t.set_xlabel("presentation time (ms)")
            ax_o.set_xlabel("operations per decision (synaptic events; MLP: MACs)")
        lo = min(0.5, *(ax.get_ylim()[0] for ax in (ax_t, ax_o)))
        for ax in (ax_t, ax_o):
            ax.set_ylim(max(lo, 0.0), 1.005)
    legend: dict[str, object] = {}
    for row in axes:
        for h, lab in zip(*row[1].get_legend_handles_labels(), strict=True):
            legend.setdefault(lab, h)
    if legend:  # beside the panels, one entry per model of any task
        fig.legend(list(legend.values()), list(legend), loc="center left", fontsize=7,
                   bbox_to_anchor=(0.70, 0.5), frameon=False)
    samples = sorted({payload(r, NAME).get("samples") for r in recs} - {None})
    caption = (
        "Accuracy against time and spikes, per input code. Left: test accuracy "
        "against the presentation time of each test sample (log axis), mean ± sd over "
        f"seeds (n = {', '.join(map(str, sorted(n_seeds)))}) on the first "
        f"{', '.join(map(str, samples))} test samples; the surrogate-gradient networks "
        "are trained at 50 ms and evaluated at every time with their trained weights (no "
        "retraining); a Brian2 local-rule network (one compiled program per presentation "
        "length) gives one point, at its training presentation. Right: the same accuracies "
        "against the mean synaptic events per decision (input spikes x fan-out plus hidden "
        "spikes x fan-out; current injection: its multiply-accumulates, once per sample). "
        "Dashed lines and crosses: the non-spiking MLP's accuracy and its MACs per sample, "
        "the reference. Labels give each spiking model's input code."
    )
    fig.tight_layout(rect=(0, 0, 0.70, 1))
    add_caption(fig, caption, width=150)
    return save_figure(fig, out_dir, NAME), caption
