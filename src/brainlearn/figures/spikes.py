"""spike_raster: afferent, hidden and efferent spikes for a few samples, before and after
learning."""

from __future__ import annotations

import matplotlib.pyplot as plt

from ..plot import POPULATIONS, draw_raster
from ..snn.names import PopulationName
from ._data import SkipFigure, payload, showcase, with_payload
from .style import add_caption, apply_style, save_figure


def spike_raster(records, out_dir):
    recs = with_payload(records, "spike_raster")
    if not recs:
        raise SkipFigure("no spiking run recorded spike rasters")
    apply_style()
    task, cells, models = showcase(recs)
    fig, axes = plt.subplots(len(models), 2, figsize=(9.0, 2.6 * len(models)), squeeze=False,
                             sharex=True)
    for i, m in enumerate(models):
        p = payload(cells[(task, m)], "spike_raster")
        pres = p.get("presentation_ms")
        for j, when in enumerate(("before", "after")):
            ax = axes[i][j]
            draw_raster(ax, p[when], pres, p["samples"], labels=p.get("y", []),
                        tick_labels=j == 0)
            if i < len(models) - 1:
                ax.set_xlabel("")
            # the row's title above its panels, clear of the labels over the presentations
            ax.set_title(f"{m}: {'before' if when == 'before' else 'after'} learning",
                         fontsize=8, pad=11)
    caption = (
        f"Spike rasters on the {task} task for {p['samples']} test samples (the first of each "
        "class in turn), presented one after another as in predict (dotted lines separate the "
        "presentations; y = true class): afferent (input encoding), hidden (excitatory, with "
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
                           if pop == PopulationName.EFFERENT else "."))
    add_caption(fig, caption)
    return save_figure(fig, out_dir, "spike_raster"), caption
