"""Speed of the surrogate-gradient spiking network (``snn-surrogate``) against the local-rule
spiking network (``snn-stdp``) of the same size, side by side in one run.

Both models are built by ``make_model`` with their registry defaults (200 hidden LIF
neurons, 16 receptive fields per feature, dt 0.5 ms, 50 ms presentations) and trained on
1000 samples of one task, predicting 1000 test samples. The repeats alternate between the
two models so that a change in machine load hits both; medians of the repeats are reported
with every repeat kept, and the 1-, 5- and 15-minute load averages (``os.getloadavg``) are
recorded before and after each timed call, since this machine is shared.

- ``fit_s``: one whole fit (all the epochs the configuration runs), after warm-up (the Numba
  kernels are loaded from their cache; the Brian2 program is built before timing);
- ``predict_us_per_sample``: one ``predict`` of the 1000 test samples (one batched call),
  divided by 1000;
- both as wall-clock time and as CPU time (this process plus its finished child processes,
  where the Brian2 standalone program runs): on a loaded machine the CPU time is the
  steadier measure of the work, the wall time what a user waits;
- targets of issue 13 for ``snn-surrogate``: fit under 30 s on one core, prediction under
  50 us per sample.

Threads: Numba and BLAS are pinned to one thread before they are imported; the Brian2 C++
standalone program runs single-threaded.

Writes ``benchmarks/results/surrogate.json``.

    python benchmarks/bench_surrogate.py [--task xor] [--repeats 3] [--predict-repeats 7]
"""

from __future__ import annotations

import os

for _var in ("NUMBA_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from brainlearn import load_task, make_model, model_spec  # noqa: E402

HERE = Path(__file__).resolve().parent
N = 1000
MODELS = ("snn-surrogate", "snn-stdp")
FIT_TARGET_S = 30.0
PREDICT_TARGET_US = 50.0


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _cpu() -> float:
    """CPU seconds of this process and of its finished child processes (the Brian2
    standalone program runs as a child)."""
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + ch.ru_utime + ch.ru_stime


def _timed(fn) -> tuple[float, float, list[float], list[float]]:
    """(wall s, CPU s, load before, load after) of ``fn()``."""
    before = _load()
    t, c = time.perf_counter(), _cpu()
    fn()
    return time.perf_counter() - t, _cpu() - c, before, _load()


def _warm_up(name: str, split) -> None:
    """Load or compile the Numba kernels / build the Brian2 program outside the timing."""
    if name == "snn-stdp":
        from brainlearn.snn.network import get_engine

        m = make_model(name, random_state=0)
        get_engine(m._make_spec(split.X_train.shape[1]), m.backend)
        return
    m = make_model(name, random_state=0, epochs=1)
    m.fit(split.X_train[:64], split.y_train[:64], eval_set=(split.X_test[:8], split.y_test[:8]))
    m.predict(split.X_test[:8])


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--task", default="xor")
    ap.add_argument("--repeats", type=int, default=3, help="fits per model")
    ap.add_argument("--predict-repeats", type=int, default=7, help="predict calls per model")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "surrogate.json")
    args = ap.parse_args(argv)

    split = load_task(args.task, n_train=N, n_test=N, seed=0)
    load_start = _load()
    for name in MODELS:
        _warm_up(name, split)

    runs = {name: {"fit": [], "fit_cpu": [], "predict": [], "predict_cpu": [], "accuracy": [],
                   "fit_load": [], "predict_load": []} for name in MODELS}
    fitted = {}
    for r in range(args.repeats):
        for name in MODELS:
            m = make_model(name, random_state=r)
            dt, cpu, before, after = _timed(lambda m=m: m.fit(split.X_train, split.y_train))
            runs[name]["fit"].append(dt)
            runs[name]["fit_cpu"].append(cpu)
            runs[name]["fit_load"].append({"before": before, "after": after})
            runs[name]["accuracy"].append(float(m.score(split.X_test, split.y_test)))
            fitted[name] = m
            print(f"{name} fit {r}: {dt:.2f} s (load {before[0]} -> {after[0]})", flush=True)
    for _ in range(args.predict_repeats):
        for name in MODELS:
            m = fitted[name]
            dt, cpu, before, after = _timed(lambda m=m: m.predict(split.X_test))
            runs[name]["predict"].append(1e6 * dt / N)
            runs[name]["predict_cpu"].append(1e6 * cpu / N)
            runs[name]["predict_load"].append({"before": before, "after": after})

    models = {}
    for name in MODELS:
        spec = model_spec(name)
        m = fitted[name]
        epochs = int(getattr(m, "n_epochs_", getattr(m, "epochs", 1)))
        fit_med = statistics.median(runs[name]["fit"])
        models[name] = {
            "family": spec.family,
            "params": json.loads(json.dumps(dict(spec.params), default=list)),
            "epochs": epochs,
            "fit_s_median": fit_med,
            "fit_s_all": runs[name]["fit"],
            "fit_s_per_epoch": fit_med / epochs,
            "fit_cpu_s_median": statistics.median(runs[name]["fit_cpu"]),
            "fit_load_avg": runs[name]["fit_load"],
            "predict_us_per_sample_median": statistics.median(runs[name]["predict"]),
            "predict_us_per_sample_all": runs[name]["predict"],
            "predict_cpu_us_per_sample_median": statistics.median(runs[name]["predict_cpu"]),
            "predict_load_avg": runs[name]["predict_load"],
            "accuracy_all": runs[name]["accuracy"],
            "ops_per_sample": {k: float(v) for k, v in m.ops_per_sample(split.X_test).items()},
        }
    s, b = models["snn-surrogate"], models["snn-stdp"]
    res = {
        "benchmark": "surrogate_vs_local_snn",
        "task": args.task,
        "n_train": N,
        "n_test": N,
        "threads": 1,
        "repeats": args.repeats,
        "predict_repeats": args.predict_repeats,
        "models": models,
        "ratios": {
            "fit_surrogate_over_stdp": s["fit_s_median"] / b["fit_s_median"],
            "predict_surrogate_over_stdp": (
                s["predict_us_per_sample_median"] / b["predict_us_per_sample_median"]
            ),
        },
        "targets": {
            "fit_s": FIT_TARGET_S,
            "fit_met": s["fit_s_median"] < FIT_TARGET_S,
            "predict_us_per_sample": PREDICT_TARGET_US,
            "predict_met": s["predict_us_per_sample_median"] < PREDICT_TARGET_US,
        },
        "load_avg": {"start": load_start, "end": _load(), "cpus": os.cpu_count()},
        "machine": {"python": sys.version.split()[0], "platform": platform.platform()},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=1) + "\n")
    for name, d in models.items():
        print(
            f"{name:14s} fit {d['fit_s_median']:6.2f} s ({d['epochs']} epochs, "
            f"{d['fit_s_per_epoch']:.2f} s/epoch) | predict "
            f"{d['predict_us_per_sample_median']:8.1f} us/sample | accuracy "
            f"{np.mean(d['accuracy_all']):.3f}"
        )
    print(f"load average start {load_start} end {res['load_avg']['end']} "
          f"({os.cpu_count()} cpus); targets {res['targets']}; wrote {args.out}")
    return res


if __name__ == "__main__":
    main()
