"""Tables from the sweep records: python table.py FILE.jsonl [...]

Per task and configuration: per-seed accuracies, mean, median fit time per presentation
(with the load average at the start of those fits); paired differences against a control
named CONFIG-frozen (mean and 95 % t CI over the common seeds)."""
import json
import sys
from collections import defaultdict

import numpy as np
from scipy import stats

recs = {}
for path in sys.argv[1:]:
    for line in open(path):
        r = json.loads(line)
        recs[(r["name"], r["task"], r["seed"])] = r
by = defaultdict(dict)
for (name, task, seed), r in recs.items():
    by[(task, name)][seed] = r
for task in sorted({t for t, _ in by}):
    print(f"\n### {task}\n")
    print("| configuration | per-seed accuracy (seed: acc) | mean | graded-only mean | "
          "LR on hidden counts | fit µs/presentation, median (load) |")
    print("|---|---|---|---|---|---|")
    for (t, name), rs in sorted(by.items()):
        if t != task:
            continue
        seeds = sorted(rs)
        accs = [rs[s]["acc"] for s in seeds]
        fit = np.median([rs[s]["fit_us_per_presentation"] for s in seeds])
        load = np.median([rs[s]["load_start"] for s in seeds])
        lr = [rs[s].get("acc_lr_hidden") for s in seeds]
        lr = f"{np.mean(lr):.3f}" if None not in lr else "-"
        print(f"| {name} | " + ", ".join(f"{s}: {a:.4f}" for s, a in zip(seeds, accs, strict=True))
              + f" | {np.mean(accs):.4f} | {np.mean([rs[s]['acc_graded'] for s in seeds]):.4f}"
              f" | {lr} | {fit:.0f} ({load:.1f}) |")
    for (t, name), rs in sorted(by.items()):
        ctrl = by.get((t, name + "-frozen"))
        if t != task or not ctrl:
            continue
        common = sorted(set(rs) & set(ctrl))
        d = np.array([rs[s]["acc"] - ctrl[s]["acc"] for s in common])
        if len(d) > 1:
            half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
            p = stats.ttest_1samp(d, 0).pvalue
            print(f"\n{name} - {name}-frozen over seeds {common}: {d.mean():+.4f} "
                  f"[{d.mean() - half:+.4f}, {d.mean() + half:+.4f}], p = {p:.2g}; per seed "
                  + ", ".join(f"{x:+.4f}" for x in d))
