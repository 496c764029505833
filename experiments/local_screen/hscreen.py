# ruff: noqa -- the screening scripts as they were run (see README.md here)
import json, sys, time, warnings
import numpy as np
from sklearn.model_selection import train_test_split
warnings.simplefilter("ignore")
from brainlearn import load_task
from brainlearn.hebbian import KrotovHopfieldClassifier as KH, SoftHebbClassifier as SH
cfgs = eval(sys.argv[1]); tasks = sys.argv[2].split(","); seeds = [int(s) for s in sys.argv[3].split(",")]
for task in tasks:
  for seed in seeds:
    s = load_task(task, 2000, 2000, seed)
    Xtr, Xva, ytr, yva = train_test_split(s.X_train, s.y_train, test_size=0.25, random_state=seed, stratify=s.y_train)
    for name, (cls, kw) in cfgs.items():
        m = {"KH": KH, "SH": SH}[cls](**kw, random_state=seed)
        t = time.time(); m.fit(Xtr, ytr); ft = time.time() - t
        print(name, task, seed, "val %.3f" % m.score(Xva, yva), "fit %.1fs" % ft, flush=True)
