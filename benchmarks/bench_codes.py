"""Cost of the afferent codes with the same hidden layer: a spiking fit and prediction on
digits with the population code (16 Gaussian receptive fields per pixel, 1024 afferents) against
the rate code (one afferent per pixel, 64) and the complement rate code (128).

The same configuration (``snn-stdp`` by default, 200 hidden neurons) is fitted on all the
training rows of ``digits`` with each ``encoding``, after building every program
(``prepare``), the codes alternating ``REPEATS`` times in one run; the models of this
session's rate-code networks (``snn-kwta``, ``snn-dc2015``) are timed beside them. Reports
the median wall time per training presentation (``fit_s / presentations_``)
and per predicted sample, and the ratios to the population code. Writes
``benchmarks/results/codes.json``. Run: ``python benchmarks/bench_codes.py [repeats]``.

``python benchmarks/bench_codes.py --surrogate [repeats]`` (issue 23): the same question for
the surrogate-gradient SNN and every input code it takes, at equal presentation time (the
registered 50 ms) and equal network (200 hidden LIF neurons): regular and Poisson
population codes, regular and Poisson rate codes, latency and current injection
(``snn-surrogate*`` configurations, 30 epochs on all the training rows of ``digits``), the
codes alternating in every repeat after one warm-up fit each (Numba compilation). Reports
the median wall time per training presentation and per predicted sample, the mean
synaptic events per decision, the ratios to the regular population code and the load
average before and after. Writes ``benchmarks/results/codes_surrogate.json``.
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
    ("snn-stdp latency", "snn-stdp", {"encoding": "latency"}),
]

#: the surrogate SNN with each input code (registry models of issue 23)
SURROGATE_CASES = [
    ("population, regular", "snn-surrogate"),
    ("population, Poisson", "snn-surrogate-poisson"),
    ("rate, regular", "snn-surrogate-rate"),
    ("rate, Poisson", "snn-surrogate-rate-poisson"),
    ("latency", "snn-surrogate-latency"),
    ("current injection", "snn-surrogate-current"),
]


def surrogate(repeats: int = REPEATS) -> dict:
    """Per-sample fit and predict time of the surrogate SNN per input code (module
    docstring); writes ``results/codes_surrogate.json``."""
    import numpy as np

    from brainlearn import load_task, make_model

    split = load_task("digits", n_train=2000, n_test=2000, seed=0)
    load_before = os.getloadavg()
    for _, model in SURROGATE_CASES:  # warm-up: Numba compiles each code's kernels once
        make_model(model, random_state=0, epochs=1).fit(split.X_train[:64], split.y_train[:64])
    fit: dict[str, list[float]] = {c[0]: [] for c in SURROGATE_CASES}
    pred: dict[str, list[float]] = {c[0]: [] for c in SURROGATE_CASES}
    events: dict[str, list[float]] = {c[0]: [] for c in SURROGATE_CASES}
    acc: dict[str, list[float]] = {c[0]: [] for c in SURROGATE_CASES}
    for r in range(repeats):
        for label, model in SURROGATE_CASES:
            m = make_model(model, random_state=r)
            t0 = time.perf_counter()
            m.fit(split.X_train, split.y_train)
            fit[label].append((time.perf_counter() - t0) / m.history_["samples_seen"][-1])
            t0 = time.perf_counter()
            y = m.predict(split.X_test)
            pred[label].append((time.perf_counter() - t0) / split.n_test)
            acc[label].append(float(np.mean(y == split.y_test)))
            events[label].append(m.ops_per_sample(split.X_test[:200])["synaptic_events"])
    med_fit = {k: statistics.median(v) for k, v in fit.items()}
    med_pred = {k: statistics.median(v) for k, v in pred.items()}
    base = SURROGATE_CASES[0][0]
    out = {
        "task": "digits",
        "n_train": split.n_train,
        "presentation_ms": 50.0,
        "models": dict(SURROGATE_CASES),
        "fit_s_per_presentation": fit,
        "predict_s_per_sample": pred,
        "median_fit_us_per_presentation": {k: 1e6 * v for k, v in med_fit.items()},
        "median_predict_us_per_sample": {k: 1e6 * v for k, v in med_pred.items()},
        "fit_speedup_over_population_regular": {k: med_fit[base] / v
                                                for k, v in med_fit.items()},
        "predict_speedup_over_population_regular": {k: med_pred[base] / v
                                                    for k, v in med_pred.items()},
        "synaptic_events_per_decision": {k: float(np.mean(v)) for k, v in events.items()},
        "test_accuracy": acc,
        "repeats": repeats,
        "load_average_before": load_before[0],
        "load_average_at_end": os.getloadavg()[0],
        "cpus": os.cpu_count(),
        "machine": platform.platform(),
        "note": "wall-clock times in one process, codes alternating; the ratios are the "
                "measurement (the machine was shared: see the load averages)",
    }
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "codes_surrogate.json").write_text(json.dumps(out, indent=1) + "\n")
    return out


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
    args = [a for a in sys.argv[1:] if a != "--surrogate"]
    n = int(args[0]) if args else REPEATS
    if "--surrogate" in sys.argv[1:]:
        res = surrogate(n)
        for k in res["median_fit_us_per_presentation"]:
            print(f"{k:22s} fit {res['median_fit_us_per_presentation'][k]:8.0f} "
                  f"us/presentation (x{res['fit_speedup_over_population_regular'][k]:.2f})  "
                  f"predict {res['median_predict_us_per_sample'][k]:7.0f} us/sample "
                  f"(x{res['predict_speedup_over_population_regular'][k]:.2f})  "
                  f"{res['synaptic_events_per_decision'][k]:9.0f} events/decision")
        sys.exit(0)
    res = main(n)
    for k in res["median_fit_us_per_presentation"]:
        print(f"{k:28s} fit {res['median_fit_us_per_presentation'][k]:8.0f} us/presentation "
              f"(x{res['fit_speedup_over_population'][k]:.2f})  predict "
              f"{res['median_predict_us_per_sample'][k]:7.0f} us/sample "
              f"(x{res['predict_speedup_over_population'][k]:.2f})")
