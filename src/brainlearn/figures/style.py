"""The one matplotlib style every brainlearn figure uses, and how figures are saved.

Importing the figures leaves matplotlib's backend alone (a notebook keeps its own); the
command line picks a non-interactive one (:func:`use_file_backend`) before it draws files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt

from .._io import atomic_open
from ..plot import apply_style


@dataclass(frozen=True)
class Family:
    """How the figures show a model family: colour, line style, and whether its hidden
    units spike (their responses are spike counts, else activations)."""

    color: str
    linestyle: str
    spiking: bool
    what: str = ""  # how a caption names the family


#: every model family, in the order the figures list them (a new family: one line here)
FAMILIES = {
    "mlp": Family("#1f77b4", "-", spiking=False, what="backprop MLPs"),
    "reference": Family("#2ca02c", ":", spiking=False,
                        what="non-spiking scikit-learn references"),
    "snn": Family("#d62728", "--", spiking=True,
                  what="spiking networks with local plastic synapses"),
    "snn-backprop": Family("#9467bd", "-.", spiking=True,
                           what="spiking networks trained by backprop (surrogate gradients)"),
    "local": Family("#8c564b", (0, (5, 1, 1, 1, 1, 1)), spiking=False,
                    what="non-spiking networks with local learning rules"),
}
_LINESTYLE_NAMES = {"-": "solid", "--": "dashed", ":": "dotted", "-.": "dash-dotted",
                    (0, (5, 1, 1, 1, 1, 1)): "dash-dot-dotted"}
_UNKNOWN_FAMILY = Family("#555555", "-", spiking=False)

#: colours per model, within its family's
MODEL_COLORS = {
    "mlp-seed": "#6baed6",
    "mlp-wide": "#08519c",
    "snn-stdp": "#fb6a4a",
    "snn-hebbian": "#cb181d",
    "snn-rstdp": "#ff7f00",
    # spiking controls (issue 8): muted reds, the same dashes as the learners
    "snn-frozen": "#bc8f8f",
    "snn-random": "#8c564b",
    # non-spiking references (issue 8): greens
    "ref-logreg": "#a1d99b",
    "ref-knn": "#74c476",
    "ref-svm": "#31a354",
    "ref-kmeans": "#006d2c",
}

#: hatches that tell apart the models of one family drawn in one panel (in model order)
MODEL_HATCHES = ("", "////", "....", "xxxx", "\\\\\\\\", "oo", "++++", "----")



def use_file_backend() -> None:
    """Draw into files only (matplotlib's Agg backend): for the command line, where no
    window should open; call it before the first figure is made."""
    import matplotlib

    matplotlib.use("Agg")


def family(name: str | None) -> Family:
    """The presentation of family ``name`` (grey and solid for an unknown one)."""
    return FAMILIES.get(name or "", _UNKNOWN_FAMILY)


def family_rank(name: str | None) -> int:
    """Position of a family in :data:`FAMILIES` (unknown families last)."""
    return list(FAMILIES).index(name) if name in FAMILIES else len(FAMILIES)


def model_color(name: str, family_name: str | None = None) -> str:
    """Colour of a model, falling back to its family's colour, then grey."""
    return MODEL_COLORS.get(name) or family(family_name).color

#: diverging colour map for P(y = 1) over the input square
PROBA_CMAP = "RdBu_r"
#: class colours of data points
CLASS_COLORS = ("#2166ac", "#b2182b")


def family_linestyle(family_name: str | None) -> str:
    return family(family_name).linestyle


def linestyle_key(family_names) -> str:
    """``"Solid: backprop MLPs; dashed: spiking networks with local plastic synapses."``: what
    the line styles of a figure showing these families mean (in :data:`FAMILIES` order)."""
    shown = sorted({n for n in family_names if n in FAMILIES}, key=family_rank)
    parts = [f"{_LINESTYLE_NAMES.get(FAMILIES[n].linestyle, FAMILIES[n].linestyle)}: "
             f"{FAMILIES[n].what or n}" for n in shown]
    if not parts:
        return ""
    text = "; ".join(parts) + "."
    return text[0].upper() + text[1:]


def add_caption(fig, text: str, width: int = 130) -> None:
    """Write a caption under the figure (wrapped), kept by ``savefig(bbox_inches='tight')``."""
    import textwrap

    fig.canvas.draw()
    bbox = fig.get_tightbbox(fig.canvas.get_renderer())  # inches, everything drawn so far
    y = bbox.y0 / fig.get_size_inches()[1] - 0.02
    x = max(bbox.x0 / fig.get_size_inches()[0], 0.0)
    fig.text(x, y, "\n".join(textwrap.wrap(text, width)), ha="left", va="top",
             fontsize=7, color="#333333")


def save_figure(fig, out_dir: str | Path, name: str) -> list[Path]:
    """Write ``name.png`` and ``name.svg`` into ``out_dir``; returns the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / f"{name}.png", out / f"{name}.svg"]
    apply_style()
    # through the one atomic writer: a symlink at a figure's name is replaced, never
    # followed, and a failed write leaves the previous figure
    with atomic_open(paths[0], "wb") as fh:
        fig.savefig(fh, format="png", metadata={"Software": None})
    with atomic_open(paths[1], "wb") as fh:
        fig.savefig(fh, format="svg", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    return paths
