# ruff: noqa -- the screening scripts as they were run (see README.md here)
import numpy as np, warnings
warnings.simplefilter("ignore")
from sklearn.model_selection import train_test_split
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from brainlearn import load_task
from brainlearn.hebbian import _kernels as K
s = load_task("digits", 2000, 2000, 0)
Xtr, Xva, ytr, yva = train_test_split(s.X_train, s.y_train, test_size=0.25, random_state=0, stratify=s.y_train)
sc = StandardScaler().fit(Xtr); Ztr, Zva = sc.transform(Xtr), sc.transform(Xva)
def unit(Z): return Z / np.linalg.norm(Z, axis=1, keepdims=True)
def topk(U, k):
    H = np.zeros_like(U); o = np.argpartition(-U, k-1, 1)[:, :k]; np.put_along_axis(H, o, 1.0, 1); return H
def tri(U): return np.maximum(U - U.mean(1, keepdims=True), 0)
rng = np.random.default_rng(0)
for norm_in in [False, True]:
    A, B = (unit(Ztr), unit(Zva)) if norm_in else (Ztr, Zva)
    for tau in [0.02, 0.05, 0.1]:
        W = rng.normal(size=(400, 64)); W /= np.linalg.norm(W, axis=1, keepdims=True)
        for ep in range(30):
            K.softhebb_epoch(W, np.ascontiguousarray(A), rng.permutation(len(A)).astype(np.int64), 32, tau, 0.05 * (1 - ep / 30))
        Utr, Uva = A @ W.T, B @ W.T
        res = []
        for name, f in [("tri", tri), ("top1", lambda U: topk(U, 1)), ("top3", lambda U: topk(U, 3)), ("top10", lambda U: topk(U, 10))]:
            res.append("%s %.3f" % (name, LogisticRegression(max_iter=2000).fit(f(Utr), ytr).score(f(Uva), yva)))
        print("norm_in", norm_in, "tau", tau, *res, flush=True)
