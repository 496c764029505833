"""Batched and sequential prediction are the same model: test accuracy over seeds.

For every spiking model, task and seed: fit once, then predict the test set with the batched
inference program (the default) and with the sequential path (the training program with
learning off, one presentation after another); the two accuracies differ only by the random
numbers of the prediction (afferent phases, efferent noise). Reports, per model and task,
the mean accuracy of each path over the seeds and the difference (issue 10 asks for
``|difference| <= 0.005`` over 5 seeds).

Writes ``benchmarks/results/snn_batched_accuracy.json``. Run:
``python benchmarks/check_batched_accuracy.py [--tasks xor,circle] [--seeds 5]``
(every task of the default experiment by default; a fit per model, task and seed).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
MODELS = ("snn-stdp", "snn-hebbian", "snn-rstdp")
TASKS = ("seed-random", "linear", "xor", "circle", "moons", "spiral", "breast-cancer",
         "digits-parity")


def _accuracy(m, counts, y) -> float:
    n, s = m._scores(m.spec_, counts["hidden"], counts["efferent"],
                     m.weights_["hidden->efferent"])
    return float(np.mean(m.classes_[np.argmax(m._proba(n, s), axis=1)] == y))


def main() -> None:
    from brainlearn import load_task, make_model

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", default=",".join(TASKS))
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--out", default=str(HERE / "results" / "snn_batched_accuracy.json"))
    args = ap.parse_args()
    out = Path(args.out)
    res = json.loads(out.read_text()) if out.exists() else {}
    t0 = time.perf_counter()
    for task in args.tasks.split(","):
        for name in args.models.split(","):
            acc = {"batched": [], "sequential": []}
            for seed in range(args.seeds):
                split = load_task(task, n_train=1000, n_test=1000, seed=seed)
                m = make_model(name, random_state=seed).fit(split.X_train, split.y_train)
                c, _ = m._predict_counts(split.X_test)
                acc["batched"].append(_accuracy(m, c, split.y_test))
                c, _ = m._predict_counts(split.X_test, batched=False)
                acc["sequential"].append(_accuracy(m, c, split.y_test))
            mb, ms = float(np.mean(acc["batched"])), float(np.mean(acc["sequential"]))
            res.setdefault(task, {})[name] = {**acc, "mean_batched": mb, "mean_sequential": ms,
                                             "difference": mb - ms, "seeds": args.seeds}
            print(f"{task:14s} {name:12s} batched {mb:.4f} sequential {ms:.4f} "
                  f"difference {mb - ms:+.4f}", flush=True)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(res, indent=2) + "\n")
    print(f"{time.perf_counter() - t0:.0f} s; load {os.getloadavg()[0]:.1f}; wrote {out}")


if __name__ == "__main__":
    main()
