"""Hyperparameter screen of the non-spiking local learners on VALIDATION splits of the
training data (never the test split).

For each task and seed s in 0-2: ``load_task(task, n_train=2000, n_test=2000, seed=s)``, then
its training part only is split 75 / 25 (``train_test_split``, stratified, random_state=s);
each configuration is fitted on the 75 % and scored on the 25 %. Writes
experiments/hebbian_screen.json (one row per task x config x seed). Rerun:

    PYTHONPATH=src python experiments/hebbian_screen.py --stage readout|hidden [--tasks digits,iris]
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

from brainlearn import load_task
from brainlearn.hebbian import KrotovHopfieldClassifier, SoftHebbClassifier

OUT = Path(__file__).with_suffix(".json")


def configs(stage: str):
    """The grids, in the order they were screened (each stage fixed what the last chose)."""
    if stage == "readout":  # the delta-rule readout on the random (learning-off) code
        for lr, l2, power in itertools.product((0.5, 2.0), (1e-5, 1e-4), (1.0, 2.0)):
            yield "krotov", KrotovHopfieldClassifier, dict(
                hidden_epochs=0, activation_power=power, readout_learning_rate=lr,
                readout_l2=l2)
    elif stage == "hidden":  # hidden learning that reaches its fixed point on ~1000 samples
        ro = dict(readout_learning_rate=2.0, readout_l2=1e-5, activation_power=2.0)
        for n_hidden, lr, p in itertools.product((400, 1000), (0.1, 0.4), (2.0, 3.0)):
            yield "krotov", KrotovHopfieldClassifier, dict(
                n_hidden=n_hidden, learning_rate=lr, p=p, hidden_epochs=100, **ro)
        for n_hidden, lr, temp in itertools.product((400, 1000), (0.3, 1.0), (0.5, 2.0)):
            yield "softhebb", SoftHebbClassifier, dict(
                n_hidden=n_hidden, learning_rate=lr, temperature=temp, hidden_epochs=30, **ro)
    elif stage == "tasks":  # the choices of the two stages above, on the other tasks
        kro = dict(n_hidden=1000, learning_rate=0.1, p=3.0, hidden_epochs=100,
                   activation_power=2.0, readout_l2=1e-5)
        soft = dict(n_hidden=1000, learning_rate=0.3, temperature=2.0, hidden_epochs=30,
                    activation_power=2.0, readout_l2=1e-5)
        for lr in (0.5, 2.0):
            yield "krotov", KrotovHopfieldClassifier, dict(kro, readout_learning_rate=lr)
            yield "softhebb", SoftHebbClassifier, dict(soft, readout_learning_rate=lr)
        yield "krotov", KrotovHopfieldClassifier, dict(kro, hidden_epochs=0,
                                                        readout_learning_rate=2.0)
    else:
        raise ValueError(f"unknown stage {stage!r}; valid: readout, hidden, tasks")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tasks", default="digits,digits-parity,breast-cancer,iris")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--stage", default="readout")
    args = ap.parse_args()
    rows = json.loads(OUT.read_text()) if OUT.exists() else []
    done = {(r["task"], r["model"], json.dumps(r["params"], sort_keys=True), r["seed"])
            for r in rows}
    for task in args.tasks.split(","):
        for seed in map(int, args.seeds.split(",")):
            t = load_task(task, n_train=2000, n_test=2000, seed=seed)
            Xa, Xv, ya, yv = train_test_split(t.X_train, t.y_train, test_size=0.25,
                                              random_state=seed, stratify=t.y_train)
            for name, cls, params in configs(args.stage):
                key = (task, name, json.dumps(params, sort_keys=True), seed)
                if key in done:
                    continue
                t0 = time.perf_counter()
                m = cls(random_state=seed, **params).fit(Xa, ya)
                rows.append({"task": task, "model": name, "params": params, "seed": seed,
                             "val_accuracy": float(m.score(Xv, yv)),
                             "train_accuracy": m.history_["train_accuracy"][-1],
                             "fit_s": time.perf_counter() - t0})
                print(rows[-1], flush=True)
                OUT.write_text(json.dumps(rows, indent=1))
    summarize(rows)


def summarize(rows) -> None:
    from collections import defaultdict

    acc = defaultdict(list)
    for r in rows:
        acc[(r["model"], json.dumps(r["params"], sort_keys=True), r["task"])].append(
            r["val_accuracy"])
    tasks = sorted({r["task"] for r in rows})
    for key in sorted({k[:2] for k in acc}):
        cells = [np.mean(acc[(*key, t)]) if acc.get((*key, t)) else np.nan for t in tasks]
        print(key[0], key[1], " ".join(f"{t}={c:.3f}" for t, c in zip(tasks, cells, strict=True)))


if __name__ == "__main__":
    main()
