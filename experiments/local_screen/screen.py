# ruff: noqa -- the screening scripts as they were run (see README.md here)
"""Screen spiking configs on a validation split of the training data (never the test split)."""
import json, sys, time, os, warnings
import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.linear_model import LogisticRegression
from brainlearn import SpikingClassifier, load_task
warnings.simplefilter("ignore")
BASE = dict(hidden_rule="stdp-offset", readout_rule="assign", n_hidden=200, encoding="rate",
    epochs=3, min_presentations=0, chunk_size=250,
    hidden_rule_params=dict(eta_pot=0.01, eta_dep=0.0001, x_tar=0.4, mu=0.2),
    network_params=dict(poisson_input=True, init_from_data=False, w_init_low=0.0, w_init_high=0.3,
        w_in_norm=0.1, min_hidden_spikes=5, rate_max_hz=200.0, theta_plus_mv=0.05, tau_theta_ms=1e7,
        w_in_mv=150.0))
def merge(a, b):
    out = dict(a)
    for k, v in b.items():
        out[k] = merge(a[k], v) if isinstance(v, dict) and isinstance(a.get(k), dict) else v
    return out
cfgs = json.loads(sys.argv[1]); tasks = sys.argv[2].split(","); seeds = [int(x) for x in sys.argv[3].split(",")]
out = sys.argv[4]
for task in tasks:
  for seed in seeds:
    s = load_task(task, 2000, 2000, seed)
    Xtr, Xva, ytr, yva = train_test_split(s.X_train, s.y_train, test_size=0.25, random_state=seed, stratify=s.y_train)
    for name, ov in cfgs.items():
        params = merge({k: v for k, v in BASE.items() if not ("hidden_rule" in ov and k == "hidden_rule_params")}, ov)
        clf = SpikingClassifier(**params, random_state=seed)
        t = time.time(); clf.fit(Xtr, ytr); fit_s = time.time() - t
        va = clf.score(Xva, yva)
        Htr = clf.hidden_response(Xtr); Hva = clf.hidden_response(Xva)
        lr = LogisticRegression(C=1.0, max_iter=3000).fit(Htr, ytr).score(Hva, yva)
        rec = dict(name=name, task=task, seed=seed, val=va, hidden_lr=lr, fit_s=fit_s,
                   pres=clf.presentations_, n=len(ytr), spikes=float(Hva.sum(1).mean()),
                   active=float((Hva > 0).sum(1).mean()), silent=float((Hva.sum(1) == 0).mean()),
                   load=os.getloadavg()[0])
        print(json.dumps(rec), flush=True)
        open(out, "a").write(json.dumps(rec) + "\n")
