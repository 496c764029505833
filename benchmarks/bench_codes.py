"""Cost of the afferent codes at equal interneurons: a spiking fit and prediction on digits
with the population code (16 Gaussian receptive fields per pixel, 1024 afferents) against
the rate code (one afferent per pixel, 64) and the complement rate code (128).

The same configuration (``snn-stdp`` by default, 200 interneurons) is fitted on all the
training rows of ``digits`` with each ``encoding``, after building every program
(``prepare``), the codes alternating ``REPEATS`` times in one run; the models of this
session's rate-code networks (``snn-kwta``, ``snn-dc2015``) are timed beside them. Reports
the median wall time per training presentation (``fit_s / presentations_``)
and per predicted sample, and the ratios to the population code. Writes
``benchmarks/results/codes.json``. Run: ``python benchmarks/bench_codes.py [repeats]``.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPEATS = 3

#: (label, registry model, constructor overrides)
CASES = [
    ("snn-stdp population", "snn-stdp", {}),
    ("snn-stdp rate", "snn-stdp", {"encoding": "rate"}),
    ("snn-stdp rate-complement", "snn-stdp", {"encoding": "rate-complement"}),
    ("snn-kwta (rate)", "snn-kwta", {}),
    ("snn-dc2015 (rate, Poisson)", "snn-dc2015", {}),
]


def main(repeats: int = REPEATS) -> dict:
    import warnings

    from brainlearn import load_task, make_model

    warnings.simplefilter("ignore")
    split = load_task("digits", n_train=2000, n_test=2000, seed=0)
    for _, model, over in CASES:
        make_model(model, random_state=0, **over).prepare(split.X_train.shape[1], 10)
    fit: dict[str, list[float]] = {c[0]: [] for c in CASES}
    pred: dict[str, list[float]] = {c[0]: [] for c in CASES}
    for r in range(repeats):
        for label, model, over in CASES:
            m = make_model(model, random_state=r, **over)
            t0 = time.perf_counter()
            m.fit(split.X_train, split.y_train)
            fit[label].append((time.perf_counter() - t0) / m.presentations_)
            t0 = time.perf_counter()
            m.predict(split.X_test)
            pred[label].append((time.perf_counter() - t0) / split.n_test)
    med_fit = {k: statistics.median(v) for k, v in fit.items()}
    med_pred = {k: statistics.median(v) for k, v in pred.items()}
    base = CASES[0][0]
    out = {
        "task": "digits",
        "n_train": split.n_train,
        "fit_s_per_presentation": fit,
        "predict_s_per_sample": pred,
        "median_fit_us_per_presentation": {k: 1e6 * v for k, v in med_fit.items()},
        "median_predict_us_per_sample": {k: 1e6 * v for k, v in med_pred.items()},
        "fit_speedup_over_population": {k: med_fit[base] / v for k, v in med_fit.items()},
        "predict_speedup_over_population": {k: med_pred[base] / v for k, v in med_pred.items()},
        "load_average_at_end": os.getloadavg()[0],
        "machine": platform.platform(),
        "note": "wall-clock times in one process; the ratios are the measurement",
    }
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "codes.json").write_text(json.dumps(out, indent=1) + "\n")
    return out


if __name__ == "__main__":
    res = main(int(sys.argv[1]) if len(sys.argv) > 1 else REPEATS)
    for k in res["median_fit_us_per_presentation"]:
        print(f"{k:28s} fit {res['median_fit_us_per_presentation'][k]:8.0f} us/presentation "
              f"(x{res['fit_speedup_over_population'][k]:.2f})  predict "
              f"{res['median_predict_us_per_sample'][k]:7.0f} us/sample "
              f"(x{res['predict_speedup_over_population'][k]:.2f})")
