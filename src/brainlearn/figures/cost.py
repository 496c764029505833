"""compute_cost: wall time, operations and estimated energy per sample."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..runner.energy import energy_caption, energy_per_sample_pj
from ._data import SkipFigure, at_headline, families, order_models
from .style import add_caption, apply_style, model_color, save_figure


def compute_cost(records, out_dir):
    recs = [r for r in at_headline(records) if r.timings]
    if not recs:
        raise SkipFigure("no run recorded timings")
    apply_style()
    models = order_models(recs)
    fam = families(recs)
    fig, axes = plt.subplots(1, 3, figsize=(11.0, 3.3))
    x = np.arange(len(models))
    colors = [model_color(m, fam[m]) for m in models]

    def per_model(fn):
        vals = []
        for m in models:
            v = [fn(r) for r in recs if r.model == m]
            vals.append([u for u in v if u is not None and np.isfinite(u)])
        return vals

    def bars(ax, vals, ylabel, title, hatch=None):
        if any(u > 0 for v in vals for u in v):  # else nothing to draw on a log scale
            med = [np.median(v) if v else np.nan for v in vals]
            ax.bar(x, med, 0.7, color=colors, hatch=hatch)
            for k, v in enumerate(vals):
                ax.scatter(np.full(len(v), x[k]), v, s=5, color="k", alpha=0.4, zorder=3,
                           linewidths=0)
            ax.set_yscale("log")
        else:
            ax.text(0.5, 0.5, "no operation counts recorded", transform=ax.transAxes,
                    ha="center")
        ax.set_xticks(x, models, rotation=30, ha="right")
        ax.set_ylabel(ylabel)
        ax.set_title(title)

    fit = per_model(lambda r: 1e6 * r.timings.get("fit_per_sample_s", np.nan))
    pred = per_model(lambda r: 1e6 * r.timings.get("predict_per_sample_s", np.nan))
    ax = axes[0]
    w = 0.38
    ax.bar(x - w / 2, [np.median(v) if v else np.nan for v in fit], w, color=colors,
           label="fit, per training sample")
    ax.bar(x + w / 2, [np.median(v) if v else np.nan for v in pred], w, color=colors,
           alpha=0.5, hatch="//", label="predict, per sample")
    ax.set_yscale("log")
    ax.set_xticks(x, models, rotation=30, ha="right")
    ax.set_ylabel("wall time per sample (µs)")
    ax.set_title("wall time")
    ax.legend()

    def ops(r):
        o = r.ops_per_sample or {}
        return o.get("macs", o.get("synaptic_events"))

    ops_vals = per_model(ops)
    bars(axes[1], ops_vals, "operations per sample",
         "MACs (MLP) / synaptic events (spiking)")
    en_vals = per_model(lambda r: (lambda e: None if e is None else e / 1e3)(
        energy_per_sample_pj(r.family, r.ops_per_sample or {})))
    bars(axes[2], en_vals, "energy per sample (nJ)", "energy estimate (arithmetic only)")
    caption = (
        "Compute cost per sample at the comparison size: bar = median over tasks and seeds, "
        "dots = single runs (log scales). Wall time on this machine; the one-time compilation "
        "(Numba JIT, Brian2 C++ build) lands in the first run of a program and shows as an "
        "outlying dot, not in the median. Operations counted during "
        "inference: multiply-accumulates for the MLP, synaptic events (spikes x fan-out) for "
        f"the spiking network. {energy_caption()}"
    )
    fig.tight_layout()
    add_caption(fig, caption, width=150)
    return save_figure(fig, out_dir, "compute_cost"), caption
