# ruff: noqa -- the screening scripts as they were run (see README.md here)
import json, sys, numpy as np, warnings, subprocess
warnings.simplefilter("ignore")
from sklearn.model_selection import train_test_split
from sklearn.linear_model import LogisticRegression
from brainlearn import SpikingClassifier, load_task
sys.argv=[sys.argv[0]]
exec(open("screen.py").read().split("cfgs = json.loads")[0])
c = json.loads(subprocess.check_output(["python3", "rsearch.py", "1", "30"]))["r1_16"]
s = load_task("digits", 2000, 2000, 0)
Xtr, Xva, ytr, yva = train_test_split(s.X_train, s.y_train, test_size=0.25, random_state=0, stratify=s.y_train)
for name, ov in [("learned", {}), ("frozen", {"hidden_epochs": 0})]:
    clf = SpikingClassifier(**merge(merge(BASE, c), ov), random_state=0).fit(Xtr, ytr)
    W = clf.weights_["afferent->hidden"]; th = clf.theta_ * 1000  # mV
    enc = clf.spec_.encoder
    unit = clf.spec_.net.w_in_mv / clf.spec_.input_drive_norm
    def code(X, k):
        d = enc.rates(X) @ W * unit * 0.005 - th   # ~ mean ge (mV) minus theta
        H = np.zeros_like(d); o = np.argsort(-d, 1)[:, :k]
        for r in range(k): H[np.arange(len(X)), o[:, r]] = 1
        return H
    for k in [1, 5, 10]:
        lr = LogisticRegression(C=1, max_iter=3000).fit(code(Xtr, k), ytr).score(code(Xva, k), yva)
        print(name, "ideal top-%d LR %.3f" % (k, lr), flush=True)
    Htr, Hva = clf.hidden_response(Xtr), clf.hidden_response(Xva)
    print(name, "spiking LR %.3f" % LogisticRegression(C=1, max_iter=3000).fit(Htr, ytr).score(Hva, yva))
    # cosine prototypes: W columns as prototypes, nearest by cosine
    Wn = W / np.linalg.norm(W, axis=0)
    for k in [1, 10]:
        def cc(X):
            d = X @ Wn; H = np.zeros_like(d); o = np.argsort(-d, 1)[:, :k]
            for r in range(k): H[np.arange(len(X)), o[:, r]] = 1
            return H
        print(name, "cosine top-%d LR %.3f" % (k, LogisticRegression(C=1, max_iter=3000).fit(cc(Xtr), ytr).score(cc(Xva), yva)))
