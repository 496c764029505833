"""Test accuracy of the non-spiking local learners and their learning-off controls.

Seeds 0-4, the project's splits ``load_task(task, n_train=2000, n_test=2000, seed=s)`` on
digits, digits-parity, iris, breast-cancer and seed-random, plus digits with its training
labels shuffled (chance level: 1/10). Each model is ``make_model(name, random_state=s)`` (as
the runner makes it), so a learner and its control share data, seed and initial weights;
the paired difference learned - frozen gets its mean and 95 % t CI. ref-kmeans (the other
candidate of the non-spiking local corner) is measured on the same splits for comparison.
On digits, a logistic regression (C = 100, L-BFGS) on each model's hidden code measures
what the code allows a non-local readout. Writes experiments/hebbian_measure.json. Rerun:

    PYTHONPATH=src python experiments/hebbian_measure.py
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
from scipy import stats

from brainlearn import load_task, make_model

OUT = Path(__file__).with_suffix(".json")
TASKS = ["digits", "digits-parity", "iris", "breast-cancer", "seed-random", "digits-shuffled"]
PAIRS = [("hebb-krotov", "hebb-krotov-frozen"), ("hebb-softhebb", "hebb-softhebb-frozen")]
MODELS = [m for p in PAIRS for m in p] + ["ref-kmeans"]
SEEDS = [0, 1, 2, 3, 4]


def split(task: str, seed: int):
    t = load_task(task.replace("-shuffled", ""), n_train=2000, n_test=2000, seed=seed)
    y_train = t.y_train
    if task.endswith("-shuffled"):
        y_train = np.random.default_rng(1000 + seed).permutation(y_train)
    return t.X_train, y_train, t.X_test, t.y_test


def ci(d) -> list[float]:
    d = np.asarray(d, float)
    hw = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
    return [float(d.mean() - hw), float(d.mean() + hw)]


def main() -> None:
    from sklearn.linear_model import LogisticRegression

    runs = []
    for task in TASKS:
        for seed in SEEDS:
            Xtr, ytr, Xte, yte = split(task, seed)
            for name in MODELS:
                t0 = time.perf_counter()
                m = make_model(name, random_state=seed).fit(Xtr, ytr)
                fit_s = time.perf_counter() - t0
                row = {"task": task, "model": name, "seed": seed,
                       "n_train": len(Xtr), "n_test": len(Xte),
                       "n_classes": int(len(np.unique(ytr))),
                       "test_accuracy": float(m.score(Xte, yte)),
                       "train_accuracy": m.history_["train_accuracy"][-1],
                       "fit_s": fit_s, "presentations": m.presentations_}
                if task == "digits" and name != "ref-kmeans":
                    lr = LogisticRegression(C=100.0, max_iter=3000).fit(m.hidden_response(Xtr), ytr)
                    row["code_logreg_test_accuracy"] = float(lr.score(m.hidden_response(Xte), yte))
                runs.append(row)
                print(row, flush=True)
    by = {(r["task"], r["model"], r["seed"]): r for r in runs}
    summary = []
    for task in TASKS:
        for name in MODELS:
            acc = [by[(task, name, s)]["test_accuracy"] for s in SEEDS]
            summary.append({"task": task, "model": name, "mean": float(np.mean(acc)),
                            "ci95": ci(acc) if np.std(acc) > 0 else [float(np.mean(acc))] * 2,
                            "fit_s_median": float(np.median(
                                [by[(task, name, s)]["fit_s"] for s in SEEDS]))})
    paired = []
    for task in TASKS:
        for a, b in PAIRS:
            d = [by[(task, a, s)]["test_accuracy"] - by[(task, b, s)]["test_accuracy"]
                 for s in SEEDS]
            paired.append({"task": task, "learned": a, "frozen": b, "diff_per_seed": d,
                           "mean_diff": float(np.mean(d)),
                           "ci95": ci(d) if np.std(d) > 0 else [float(np.mean(d))] * 2,
                           "p": float(stats.ttest_rel(
                               [by[(task, a, s)]["test_accuracy"] for s in SEEDS],
                               [by[(task, b, s)]["test_accuracy"] for s in SEEDS]).pvalue)
                           if np.std(d) > 0 else None})
    OUT.write_text(json.dumps({"how": __doc__, "runs": runs, "summary": summary,
                               "paired": paired}, indent=1))
    for s in summary:
        print(f"{s['task']:15s} {s['model']:22s} {s['mean']:.3f} [{s['ci95'][0]:.3f}, "
              f"{s['ci95'][1]:.3f}]  fit {s['fit_s_median']:.1f}s")
    for p in paired:
        print(f"{p['task']:15s} {p['learned']:15s} - frozen: {p['mean_diff']:+.3f} "
              f"[{p['ci95'][0]:+.3f}, {p['ci95'][1]:+.3f}]")


if __name__ == "__main__":
    main()
