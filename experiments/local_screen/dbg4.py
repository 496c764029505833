# ruff: noqa -- the screening scripts as they were run (see README.md here)
import numpy as np, warnings, time
warnings.simplefilter("ignore")
from sklearn.model_selection import train_test_split
from brainlearn import load_task
from brainlearn.hebbian import KrotovHopfieldClassifier as KH
s = load_task("digits", 2000, 2000, 0)
Xtr, Xva, ytr, yva = train_test_split(s.X_train, s.y_train, test_size=0.25, random_state=0, stratify=s.y_train)
base = dict(readout_learning_rate=2.0, readout_epochs=200, hidden_epochs=30)
for kw in [dict(n_power=1.0), dict(n_power=2.0), dict(n_power=4.5), dict(n_power=2.0, learning_rate=0.1), dict(n_power=2.0, k=7), dict(n_power=2.0, p=2.0), dict(n_power=2.0, hidden_epochs=0)]:
    t = time.time()
    m = KH(**{**base, **kw}, random_state=0).fit(Xtr, ytr)
    print(kw, "val %.3f" % m.score(Xva, yva), "%.1fs" % (time.time() - t), flush=True)
