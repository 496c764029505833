# ruff: noqa -- the screening scripts as they were run (see README.md here)
"""Registry models with overrides, on a validation split of the training data."""
import json, sys, time, os, warnings
import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.linear_model import LogisticRegression
from brainlearn import make_model, load_task
warnings.simplefilter("ignore")
cfgs = json.loads(sys.argv[1]); tasks = sys.argv[2].split(","); seeds = [int(x) for x in sys.argv[3].split(",")]
out = sys.argv[4]
for task in tasks:
  for seed in seeds:
    s = load_task(task, 2000, 2000, seed)
    Xtr, Xva, ytr, yva = train_test_split(s.X_train, s.y_train, test_size=0.25, random_state=seed, stratify=s.y_train)
    for name, (base, ov) in cfgs.items():
        clf = make_model(base, **ov, random_state=seed)
        t = time.process_time(); t0 = time.time(); clf.fit(Xtr, ytr); fit_cpu = time.process_time() - t; fit_s = time.time() - t0
        va = clf.score(Xva, yva)
        rec = dict(name=name, task=task, seed=seed, val=va, fit_s=fit_s, pres=getattr(clf, "presentations_", None), n=len(ytr), load=os.getloadavg()[0])
        try:
            Htr = clf.hidden_response(Xtr); Hva = clf.hidden_response(Xva)
            rec["hidden_lr"] = LogisticRegression(C=1.0, max_iter=3000).fit(Htr, ytr).score(Hva, yva)
            rec["spikes"] = float(Hva.sum(1).mean())
        except Exception as e:
            pass
        print(json.dumps(rec), flush=True)
        open(out, "a").write(json.dumps(rec) + "\n")
