"""The one matplotlib style every brainlearn figure uses, and how figures are saved."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

#: one colour per model family, then per model within it
FAMILY_COLORS = {"mlp": "#1f77b4", "snn": "#d62728"}
MODEL_COLORS = {
    "mlp-seed": "#6baed6",
    "mlp-wide": "#08519c",
    "snn-stdp": "#fb6a4a",
    "snn-hebbian": "#cb181d",
    "snn-rstdp": "#ff7f00",
}

_RC = {
    "figure.dpi": 110,
    "savefig.dpi": 130,
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.frameon": False,
    "legend.fontsize": 8,
    "savefig.bbox": "tight",
}


def apply_style() -> None:
    """Set the shared rcParams (idempotent)."""
    plt.rcParams.update(_RC)


def model_color(name: str, family: str | None = None) -> str:
    """Colour of a model, falling back to its family's colour, then grey."""
    return MODEL_COLORS.get(name) or FAMILY_COLORS.get(family or "", "#555555")


def save_figure(fig, out_dir: str | Path, name: str) -> list[Path]:
    """Write ``name.png`` and ``name.svg`` into ``out_dir``; returns the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / f"{name}.png", out / f"{name}.svg"]
    for p in paths:
        fig.savefig(p)
    plt.close(fig)
    return paths
