"""spike_raster: afferent, interneuron and efferent spikes for a few samples, before and after
learning."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ._data import SkipFigure, payload, showcase, with_payload
from .style import POPULATION_COLORS, add_caption, apply_style, save_figure

POPULATIONS = ("afferent", "interneuron", "efferent")


def spike_raster(records, out_dir):
    recs = with_payload(records, "spike_raster")
    if not recs:
        raise SkipFigure("no spiking run recorded spike rasters")
    apply_style()
    task, cells, models = showcase(recs)
    fig, axes = plt.subplots(len(models), 2, figsize=(9.0, 2.4 * len(models)), squeeze=False,
                             sharex=True)
    for i, m in enumerate(models):
        p = payload(cells[(task, m)], "spike_raster")
        pres = p.get("presentation_ms")
        for j, when in enumerate(("before", "after")):
            ax = axes[i][j]
            ax.grid(False)
            pops = p[when]
            offset = 0
            ticks, labels = [], []
            for pop in POPULATIONS:
                if pop not in pops:
                    continue
                d = pops[pop]
                n = int(d["n"])
                ax.scatter(np.asarray(d["t_ms"]), offset + np.asarray(d["i"]), s=14,
                           marker="|", color=POPULATION_COLORS[pop], linewidths=0.9)
                ticks.append(offset + n / 2)
                labels.append(f"{pop}\n(n={n})")
                offset += n
                ax.axhline(offset - 0.5, color="#cccccc", lw=0.5)
            if pres and np.isfinite(pres):
                for s in range(p["samples"] + 1):
                    ax.axvline(s * pres, color="k", lw=0.5, ls=":")
                for s, label in enumerate(p.get("y", [])):
                    ax.text((s + 0.5) * pres, offset, f"y={label}", ha="center", va="bottom",
                            fontsize=6)
            ax.set_ylim(-0.5, offset + 0.5)
            ax.set_yticks(ticks, labels if j == 0 else [""] * len(labels), fontsize=6)
            if i == 0:
                ax.set_title(f"{'before' if when == 'before' else 'after'} learning")
            if i == len(models) - 1:
                ax.set_xlabel("time (ms)")
        axes[i][0].annotate(m, xy=(-0.32, 0.5), xycoords="axes fraction", rotation=90,
                            va="center", ha="center", fontsize=9)
    caption = (
        f"Spike rasters on the {task} task for {p['samples']} test samples (the first of each "
        "class in turn), presented one after another as in predict (dotted lines separate the "
        "presentations; y = true class): afferent (input encoding), interneuron (hidden, with "
        "inhibition) and efferent (one group per class) neurons, with the initial weights "
        "(left) and after training (right). One seed."
    )
    absent = {pop: [m for m in models
                    if pop not in payload(cells[(task, m)], "spike_raster")["after"]]
              for pop in POPULATIONS}
    for pop, ms in absent.items():
        if ms:
            caption += (f" No {pop} row for {', '.join(ms)}: no {pop} spikes recorded"
                        + (" (a readout of non-spiking units, read by its membrane potential)."
                           if pop == "efferent" else "."))
    add_caption(fig, caption)
    return save_figure(fig, out_dir, "spike_raster"), caption
