"""The targets of the local-learning issue, per task and seed, from saved records only.

    python experiments/local_targets.py [RESULTS_DIR ...]   (default: results-local results)

Reads every run record of the given results directories (the local experiment's, and the
default run's for the models it has), and prints markdown: test accuracy per seed of every
model on every task, and each "learning earns its accuracy" contrast (a learner against the
same model with its hidden learning off, and the from-scratch networks against the
data-point-init ``snn-frozen``) as the paired mean difference over the shared seeds with its
95 % t interval. Nothing is typed in: the numbers are the records'.
"""

from __future__ import annotations

import json
import math
import sys
from collections import defaultdict
from pathlib import Path

from scipy import stats

#: (with, without) pairs whose paired difference is a target of the issue
CONTRASTS = [
    ("snn-dc2015", "snn-dc2015-frozen"),
    ("snn-dc2015-delta", "snn-dc2015-frozen"),
    ("snn-kwta", "snn-kwta-frozen"),
    ("snn-stdp-scratch", "snn-random"),
    ("hebb-krotov", "hebb-krotov-frozen"),
    ("hebb-softhebb", "hebb-softhebb-frozen"),
    ("snn-dc2015", "snn-frozen"),
    ("snn-kwta", "snn-frozen"),
    ("snn-stdp-scratch", "snn-frozen"),
]


def load(dirs):
    acc: dict[tuple[str, str], dict[int, float]] = defaultdict(dict)
    for d in dirs:
        for f in sorted((Path(d) / "results" / "runs").glob("*.json")):
            r = json.loads(f.read_text())
            # the headline size of each task: the largest n_train recorded for it
            acc[(r["task"], r["model"], r["n_train"])][int(r["seed"])] = float(
                r["metrics"]["test_accuracy"])
    best: dict[tuple[str, str], dict[int, float]] = {}
    top = defaultdict(int)
    for (task, _, n), _v in acc.items():
        top[task] = max(top[task], n)
    for (task, model, n), v in acc.items():
        if n == top[task]:
            best[(task, model)] = v
    return best


def paired(a: dict[int, float], b: dict[int, float]):
    seeds = sorted(set(a) & set(b))
    d = [a[s] - b[s] for s in seeds]
    if len(d) < 2:
        return None
    m = sum(d) / len(d)
    sd = math.sqrt(sum((x - m) ** 2 for x in d) / (len(d) - 1))
    h = stats.t.ppf(0.975, len(d) - 1) * sd / math.sqrt(len(d))
    return m, m - h, m + h, len(d)


def main(dirs):
    acc = load(dirs)
    tasks = sorted({t for t, _ in acc})
    models = sorted({m for _, m in acc})
    print("| task | model | mean | per seed |\n|---|---|---|---|")
    for t in tasks:
        for m in models:
            v = acc.get((t, m))
            if v:
                per = " ".join(f"{v[s]:.3f}" for s in sorted(v))
                print(f"| {t} | {m} | {sum(v.values()) / len(v):.3f} | {per} |")
    print("\n| task | with - without | mean difference [95 % CI] | seeds |\n|---|---|---|---|")
    for t in tasks:
        for a, b in CONTRASTS:
            if (t, a) in acc and (t, b) in acc:
                p = paired(acc[(t, a)], acc[(t, b)])
                if p:
                    print(f"| {t} | {a} - {b} | {p[0]:+.3f} [{p[1]:+.3f}, {p[2]:+.3f}] "
                          f"| {p[3]} |")


if __name__ == "__main__":
    main(sys.argv[1:] or ["results-local", "."])
