"""Speed of a spiking fit on wide inputs: digits (64 features) against a 2-feature task of
the same size (issue 9: at most 3 times as long, after the build).

Fits the same model configuration on ``digits`` (all 1258 training rows, 64 features, 10
classes) and on ``xor`` drawn at the same size (2 features, 2 classes), after building both
programs (``prepare``), alternating the two ``REPEATS`` times in one run; reports the median
fit times and their ratio. Writes the model's entry of ``benchmarks/results/wide.json``. Run:
``python benchmarks/bench_wide.py [model] [json of constructor overrides] [repeats]``.
"""

from __future__ import annotations

import json
import platform
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPEATS = 3


def main(model: str = "snn-stdp", overrides: dict | None = None, repeats: int = REPEATS) -> dict:
    from brainlearn import load_task, make_model

    overrides = overrides or {}
    wide = load_task("digits", n_train=2000, n_test=10, seed=0)
    narrow = load_task("xor", n_train=wide.n_train, n_test=10, seed=0)
    tasks = {"digits": wide, "xor": narrow}
    for split in tasks.values():
        n_classes = len(set(split.y_train.tolist()))
        make_model(model, random_state=0, **overrides).prepare(split.X_train.shape[1], n_classes)
    times: dict[str, list[float]] = {k: [] for k in tasks}
    for r in range(repeats):
        for name, split in tasks.items():
            m = make_model(model, random_state=r, **overrides)
            t0 = time.perf_counter()
            m.fit(split.X_train, split.y_train)
            times[name].append(time.perf_counter() - t0)
    med = {k: statistics.median(v) for k, v in times.items()}
    out = {
        "model": model,
        "overrides": overrides,
        "n_train": wide.n_train,
        "fit_s": times,
        "median_fit_s": med,
        "ratio_digits_over_xor": med["digits"] / med["xor"],
        "machine": platform.platform(),
        "note": "wall-clock times on a shared machine; the ratio is the measurement",
    }
    (HERE / "results").mkdir(exist_ok=True)
    path = HERE / "results" / "wide.json"
    # one entry per model (a file of an older layout, one model's entry, is replaced)
    old = json.loads(path.read_text()) if path.exists() else {}
    every = old if "model" not in old else {}
    every[model if not overrides else f"{model} {json.dumps(overrides, sort_keys=True)}"] = out
    path.write_text(json.dumps(every, indent=1) + "\n")
    return out


if __name__ == "__main__":
    args = sys.argv[1:]
    res = main(args[0] if args else "snn-stdp", json.loads(args[1]) if len(args) > 1 else None,
               int(args[2]) if len(args) > 2 else REPEATS)
    print(json.dumps(res, indent=1))
