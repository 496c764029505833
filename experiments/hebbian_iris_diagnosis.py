"""Why the Hebbian learners miss on iris: their code only sees the direction of the input.

The hidden code ``relu(W z)^n / ||relu(W z)^n||`` is invariant to the length of the
standardised input ``z`` (``relu^n`` is homogeneous), and on iris (4 features) the classes
differ partly in that length. Three checks on VALIDATION splits of the training data (seeds
0-2, 75 / 25 of ``load_task(task, n_train=2000, n_test=2000, seed=s).X_train``), each model
as registered:

- ``shipped``: the registered models;
- ``logreg_on_code``: a logistic regression (C = 100) on the shipped code instead of the
  delta-rule readout (what the code allows a non-local readout);
- ``bias_input``: a constant input appended to ``z`` (the code then sees the length of
  ``z``), everything else as shipped.

Writes experiments/hebbian_iris_diagnosis.json. Rerun:

    PYTHONPATH=src python experiments/hebbian_iris_diagnosis.py
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from brainlearn import load_task, make_model
from brainlearn.hebbian import model as M

OUT = Path(__file__).with_suffix(".json")
MODELS = ["hebb-krotov", "hebb-krotov-frozen", "hebb-softhebb", "hebb-softhebb-frozen"]


def _with_bias(Z):
    return np.hstack([Z, np.ones((len(Z), 1))])


def main() -> None:
    fit, proba = M._LocalNet._fit_scaled, M._LocalNet._proba_scaled
    rows = []
    for task in ("iris", "digits", "breast-cancer"):
        for seed in (0, 1, 2):
            t = load_task(task, n_train=2000, n_test=2000, seed=seed)
            Xa, Xv, ya, yv = train_test_split(t.X_train, t.y_train, test_size=0.25,
                                              random_state=seed, stratify=t.y_train)
            for name in MODELS:
                m = make_model(name, random_state=seed).fit(Xa, ya)
                lr = LogisticRegression(C=100.0, max_iter=5000).fit(m.hidden_response(Xa), ya)
                res = {"shipped": m.score(Xv, yv),
                       "logreg_on_code": lr.score(m.hidden_response(Xv), yv)}
                try:  # the same model on [z, 1]
                    M._LocalNet._fit_scaled = lambda s, Z, y, sd: fit(s, _with_bias(Z), y, sd)
                    M._LocalNet._proba_scaled = lambda s, Z: proba(s, _with_bias(Z))
                    mb = make_model(name, random_state=seed).fit(Xa, ya)
                    res["bias_input"] = mb.score(Xv, yv)
                finally:
                    M._LocalNet._fit_scaled, M._LocalNet._proba_scaled = fit, proba
                rows.append({"task": task, "model": name, "seed": seed, **res})
                print(rows[-1], flush=True)
    OUT.write_text(json.dumps({"how": __doc__, "rows": rows}, indent=1))
    for task in ("iris", "digits", "breast-cancer"):
        for name in MODELS:
            rs = [r for r in rows if r["task"] == task and r["model"] == name]
            print(task, name, {k: round(float(np.mean([r[k] for r in rs])), 3)
                               for k in ("shipped", "logreg_on_code", "bias_input")})


if __name__ == "__main__":
    main()
