"""Tuning throughput: trials per minute of the runner's tuning step for each family's
tuned model, on xor (1000 training samples) and digits (all 1258 training rows).

For each (task, model) the compiled programs are built first (``prepare``, spiking models
only), then one tuning of ``TRIALS`` trials (:func:`brainlearn.runner.tune.tune_run`, the
runner's code, 20 % validation share, in memory) is timed; the cases alternate over
``REPEATS`` repeats with different seeds (the trials differ by seed, as in a sweep), in one
process. Reports the median trials per minute and seconds per trial. Writes
``benchmarks/results/tuning.json``. Run: ``python benchmarks/bench_tuning.py [repeats]``.
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
REPEATS = 2
TRIALS = 4
#: one tuned model per family
MODELS = ("mlp-wide", "hebb-softhebb", "ref-kmeans", "snn-stdp", "snn-surrogate")
TASKS = (("xor", 1000), ("digits", 2000))


def main(repeats: int = REPEATS) -> dict:
    import warnings

    from brainlearn import load_task, make_model
    from brainlearn.runner.tune import TuneSettings, tune_run

    warnings.simplefilter("ignore")
    splits = {t: load_task(t, n_train=n, n_test=n, seed=0) for t, n in TASKS}
    for split in splits.values():
        for m in MODELS:
            est = make_model(m, random_state=0)
            if hasattr(est, "prepare"):
                est.prepare(split.X_train.shape[1], len(set(split.y_train)))
    per_trial: dict[str, list[float]] = {f"{m} on {t}": [] for t, _ in TASKS for m in MODELS}
    for r in range(repeats):
        for t, split in splits.items():
            for m in MODELS:
                t0 = time.perf_counter()
                tune_run(m, {}, TuneSettings(TRIALS, 0.2), split.X_train, split.y_train,
                         seed=r, study_path=None)
                per_trial[f"{m} on {t}"].append((time.perf_counter() - t0) / TRIALS)
    out = {
        "what": f"seconds per tuning trial (fit on 80 % of the training rows, score on 20 %), "
                f"median of {repeats} tunings of {TRIALS} trials; trials per minute = 60 / "
                "seconds per trial",
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                    "load_average_at_start": os.getloadavg()[0]},
        "cases": {k: {"seconds_per_trial": round(statistics.median(v), 3),
                      "trials_per_minute": round(60.0 / statistics.median(v), 2)}
                  for k, v in per_trial.items()},
    }
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "tuning.json").write_text(json.dumps(out, indent=1) + "\n")
    for k, v in out["cases"].items():
        print(f"{k:<28} {v['seconds_per_trial']:>8.2f} s/trial {v['trials_per_minute']:>7.1f} "
              "trials/min")
    return out


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else REPEATS)
