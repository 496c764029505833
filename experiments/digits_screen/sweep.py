"""Sweep harness (issue 9 digits targets).

python sweep.py CONFIGS.json TASKS SEEDS OUT.jsonl [--lr]

CONFIGS.json: list of {"name":..., "base": registry model, "overrides": {...}}; overrides are
deep-merged into the registry params with registry.resolved_params (as the runner does).
Each record: test accuracy (the estimator's own prediction rule), the graded-readout-only
accuracy, optionally (--lr) a logistic regression on the hidden spike counts (diagnostic: what
the hidden code allows), activity, fit wall time (includes a Brian2 build the first time a
network shape is seen: 'built' says whether the build cache was warm), load average.
"""
import json
import os
import sys
import time

import numpy as np

from brainlearn import load_task, make_model
from brainlearn.registry import resolved_params

# digits: every row (as experiments/multiclass.toml: 1257 / 540); digits-parity: as the default
# experiment (1000 / 540); xor at the size of digits' training set (the issue-9 speed ratio)
N_TRAIN = {"digits": 2000, "iris": 2000, "digits-parity": 1000, "xor": 1257}
N_TEST = {"digits": 2000, "iris": 2000, "digits-parity": 1000, "xor": 1000}


def main():
    cfgs = json.load(open(sys.argv[1]))
    tasks = sys.argv[2].split(",")
    seeds = [int(s) for s in sys.argv[3].split(",")]
    out = sys.argv[4]
    do_lr = "--lr" in sys.argv
    done = set()
    if os.path.exists(out):
        for line in open(out):
            r = json.loads(line)
            done.add((r["name"], r["task"], r["seed"]))
    jobs = [(cfg, task, seed) for cfg in cfgs for task in tasks for seed in seeds]
    if "--seed-outer" in sys.argv:  # interleave tasks and models (timings side by side)
        jobs = [(c, t, s) for s in seeds for c in cfgs for t in tasks]
    for cfg, task, seed in jobs:
        if True:
            if True:
                if (cfg["name"], task, seed) in done or task not in cfg.get("tasks", tasks):
                    continue
                n_tr = cfg.get("n_train", N_TRAIN.get(task, 1000))
                split = load_task(task, n_train=n_tr, n_test=N_TEST.get(task, 1000),
                                  seed=seed)
                params = resolved_params(cfg["base"], cfg.get("overrides", {}))
                m = make_model(cfg["base"], **{**cfg.get("overrides", {}), "random_state": seed})
                assert all(m.get_params()[k] == v for k, v in params.items()
                           if k in m.get_params() and not isinstance(v, dict))
                load0 = os.getloadavg()[0]
                t0 = time.time()
                m.fit(split.X_train, split.y_train)
                fit_s = time.time() - t0
                t0 = time.time()
                Xte = np.asarray(split.X_test, float)
                c, _ = m._predict_counts(Xte)
                pred_s = time.time() - t0
                w = m.weights_
                n, s = m._scores(m.spec_, c["hidden"], c["efferent"],
                                 w["hidden->efferent"], c["afferent"],
                                 w.get("afferent->efferent"))
                pred = np.argmax(m._proba(n, s), 1)
                acc = float(np.mean(m.classes_[pred] == split.y_test))
                acc_g = float(np.mean(m.classes_[np.argmax(s, 1)] == split.y_test))
                rec = dict(name=cfg["name"], base=cfg["base"],
                           overrides=cfg.get("overrides", {}), task=task, seed=seed,
                           n_train=len(split.y_train), n_test=len(split.y_test),
                           n_epochs=m.n_epochs_, acc=acc, acc_graded=acc_g,
                           hid_spikes=float(c["hidden"].sum(1).mean()),
                           hid_active=float((c["hidden"] > 0).sum(1).mean()),
                           eff_spikes=float(c["efferent"].sum(1).mean()),
                           fit_s=fit_s,
                           fit_us_per_presentation=1e6 * fit_s / (m.n_epochs_ * len(split.y_train)),
                           pred_s=pred_s, load_start=load0, load_end=os.getloadavg()[0],
                           time=time.strftime("%H:%M:%S"))
                if do_lr:
                    from sklearn.linear_model import LogisticRegression
                    ctr, _ = m._predict_counts(np.asarray(split.X_train, float))
                    lr = LogisticRegression(max_iter=3000).fit(ctr["hidden"], split.y_train)
                    rec["acc_lr_hidden"] = float(lr.score(c["hidden"], split.y_test))
                with open(out, "a") as f:
                    f.write(json.dumps(rec) + "\n")
                print(cfg["name"], task, seed, "acc", round(acc, 4), "graded", round(acc_g, 4),
                      "lr", rec.get("acc_lr_hidden"), "fit", round(fit_s, 1), "s",
                      "hid_active", round(rec["hid_active"], 1), "load", load0, flush=True)


main()
