"""Benchmark: MLPClassifier.fit (Numba kernels) against a vectorised-NumPy implementation.

The seed configuration (``mlp-seed``: 2-5-1 relu/sigmoid, Adam lr 1e-3, 100 epochs, batch
32) on 1000 samples of the seed task. Both implementations run side by side in one
process, after JIT warm-up, alternating, on one thread (BLAS threads pinned to 1 before
NumPy is imported); the median of the repeats is reported and their ratio printed. The
NumPy implementation draws its initial weights and shuffles exactly as the estimator does,
so both train the same network and their final weights are compared as a check that the
same algorithm is timed.

Cold start: a fresh Python process imports brainlearn's MLP (numpy, numba, scikit-learn)
and fits once, then once more; timed are the imports, the first fit (where the kernels
compile or load), the second fit and the whole process. Once with an empty Numba cache
directory (``NUMBA_CACHE_DIR`` pointing at a new temporary directory: every kernel
compiles) and once more with that same, now filled, directory (kernels load from Numba's
on-disk cache).

Writes ``benchmarks/results/mlp.json``; the speed blocks of RESULTS.md and the README are
generated from it.

    python benchmarks/bench_mlp.py [--repeats 21] [--cold-repeats 3] [--out PATH]
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numba  # noqa: E402
import numpy as np  # noqa: E402

import brainlearn  # noqa: E402
from brainlearn import make_model, make_task, model_spec  # noqa: E402
from brainlearn.mlp import _kernels as K  # noqa: E402

N_SAMPLES = 1000
MODEL = "mlp-seed"


# ----------------------------------------------------------------------------- NumPy version


def numpy_fit(X, y, hidden=(5,), lr=1e-3, epochs=100, batch_size=32, seed=0):
    """The same algorithm as MLPClassifier.fit (relu hidden, Adam), vectorised over minibatches.

    Draws from ``default_rng(seed)`` in the estimator's order: Glorot-uniform weights of
    each layer, then one permutation per epoch. Returns (weights, biases, per-epoch loss).
    """
    rng = np.random.default_rng(seed)
    sizes = [X.shape[1], *hidden, 1]
    Ws = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        limit = np.sqrt(6.0 / (n_in + n_out))
        Ws.append(rng.uniform(-limit, limit, size=(n_in, n_out)))
    bs = [np.zeros(n) for n in sizes[1:]]
    n = len(y)
    perms = rng.permuted(np.broadcast_to(np.arange(n), (epochs, n)), axis=1)
    params = Ws + bs
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    b1, b2, eps = 0.9, 0.999, 1e-7
    t = 0
    losses = np.empty(epochs)
    L = len(Ws)
    for e in range(epochs):
        total = 0.0
        hits = 0
        for start in range(0, n, batch_size):
            idx = perms[e, start : start + batch_size]
            xb, yb = X[idx], y[idx]
            # forward
            acts, pre = [xb], []
            for l in range(L):
                z = acts[-1] @ Ws[l] + bs[l]
                pre.append(z)
                acts.append(z if l == L - 1 else np.maximum(z, 0.0))
            s = acts[-1][:, 0]
            total += np.sum(np.maximum(s, 0) - s * yb + np.log1p(np.exp(-np.abs(s))))
            hits += int(np.sum((s > 0) == (yb > 0.5)))
            # backward
            delta = ((1.0 / (1.0 + np.exp(-s))) - yb)[:, None] / len(idx)
            gW, gb = [None] * L, [None] * L
            for l in range(L - 1, -1, -1):
                gW[l] = acts[l].T @ delta
                gb[l] = delta.sum(axis=0)
                if l > 0:
                    delta = (delta @ Ws[l].T) * (pre[l - 1] > 0)
            # Adam (Keras' form)
            t += 1
            alpha = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
            for k, g in enumerate(gW + gb):
                m[k] += (g - m[k]) * (1 - b1)
                v[k] += (g * g - v[k]) * (1 - b2)
                params[k] -= alpha * m[k] / (np.sqrt(v[k]) + eps)
        losses[e] = total / n
    return Ws, bs, losses


# ----------------------------------------------------------------------------- timing


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


_COLD_CHILD = """
import json, time
t0 = time.perf_counter()
from brainlearn import make_model, make_task
import brainlearn.mlp.model  # numpy, numba, scikit-learn and the kernel module
t1 = time.perf_counter()
X, y = make_task("seed-random", {n}, seed=0)
model = make_model("{model}", random_state=0)
t2 = time.perf_counter()
model.fit(X, y)  # kernels load from the cache or compile here
t3 = time.perf_counter()
model.fit(X, y)
t4 = time.perf_counter()
print(json.dumps({{"imports_s": t1 - t0, "first_fit_s": t3 - t2, "second_fit_s": t4 - t3}}))
"""


def cold_start(cache_dir: str) -> dict:
    """Wall time of a fresh process doing one fit, and the first fit's time inside it."""
    env = {**os.environ, "NUMBA_CACHE_DIR": cache_dir}
    code = _COLD_CHILD.format(n=N_SAMPLES, model=MODEL)
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    wall = time.perf_counter() - t0
    return {"process_wall_s": wall, **json.loads(out.stdout.strip().splitlines()[-1])}


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=21)
    p.add_argument("--cold-repeats", type=int, default=3)
    p.add_argument(
        "--out", type=Path, default=Path(__file__).resolve().parent / "results" / "mlp.json"
    )
    args = p.parse_args(argv)

    X, y = make_task("seed-random", N_SAMPLES, seed=0)
    spec = model_spec(MODEL)
    hp = dict(spec.params)

    def numba_run(seed=0):
        return make_model(MODEL, random_state=seed).fit(X, y)

    def numpy_run(seed=0):
        return numpy_fit(
            X, y.astype(float), hidden=hp["hidden_layer_sizes"], lr=hp["learning_rate"],
            epochs=hp["epochs"], batch_size=hp["batch_size"], seed=seed,
        )  # fmt: skip

    # same algorithm: same draws, same updates -> the same weights up to rounding
    model = numba_run()
    Ws, bs, losses = numpy_run()
    weight_diff = max(
        float(np.max(np.abs(a - b)))
        for a, b in zip(model.coefs_ + model.intercepts_, Ws + bs, strict=True)
    )
    loss_diff = float(np.max(np.abs(np.array(model.history_["loss"]) - losses)))
    print(f"same algorithm: max |weight diff| {weight_diff:.2e}, max |loss diff| {loss_diff:.2e}")

    # where a fit's time goes: the jitted training loop alone (shuffles drawn beforehand),
    # and drawing the 100 shuffles with numpy's Generator; the rest is input validation
    sizes = np.array([X.shape[1], *hp["hidden_layer_sizes"], 1], dtype=np.int64)
    n_params = K.param_offsets(sizes)[2]
    perms = np.random.default_rng(0).permuted(
        np.broadcast_to(np.arange(N_SAMPLES), (hp["epochs"], N_SAMPLES)), axis=1
    )
    y01 = y.astype(np.float64)

    def kernel_run():
        E = hp["epochs"]
        theta = np.random.default_rng(0).uniform(-0.5, 0.5, n_params)
        K.train_epochs(
            theta, sizes, K.ACTIVATIONS[hp["activation"]], K.OPTIMIZERS[hp["optimizer"]],
            X, y01, perms, hp["batch_size"], hp["learning_rate"], 0.9, K.ADAM_BETA1,
            K.ADAM_BETA2, K.ADAM_EPS, np.zeros(n_params), np.zeros(n_params), 0,
            np.empty((0, 2)), np.empty(0), np.empty(E), np.empty(E), np.empty(E),
            K.DIVERGENCE_LOSS,
        )  # fmt: skip

    def shuffle_run():
        np.random.default_rng(0).permuted(
            np.broadcast_to(np.arange(N_SAMPLES), (hp["epochs"], N_SAMPLES)), axis=1
        )

    kernel_run()
    numba_t, numpy_t, kernel_t, shuffle_t = [], [], [], []
    for k in range(args.repeats):  # alternate, so drifts in machine load hit both
        numba_t.append(_timed(lambda k=k: numba_run(k)))
        kernel_t.append(_timed(kernel_run))
        shuffle_t.append(_timed(shuffle_run))
        if k < max(5, args.repeats // 2):
            numpy_t.append(_timed(lambda k=k: numpy_run(k)))
    med_numba = float(np.median(numba_t))
    med_numpy = float(np.median(numpy_t))
    med_kernel = float(np.median(kernel_t))
    med_shuffle = float(np.median(shuffle_t))
    ratio = med_numpy / med_numba
    print(f"fit, {MODEL}, {N_SAMPLES} samples, {hp['epochs']} epochs, batch {hp['batch_size']}:")
    print(f"  numba (MLPClassifier.fit): median {1e3 * med_numba:8.2f} ms over {len(numba_t)}")
    print(f"  numpy (vectorised):        median {1e3 * med_numpy:8.2f} ms over {len(numpy_t)}")
    print(f"  ratio numpy / numba: {ratio:.1f}x")
    print(f"  of the numba fit: training kernel alone {1e3 * med_kernel:.2f} ms, ", end="")
    print(f"drawing the shuffles {1e3 * med_shuffle:.2f} ms, the rest is validation")

    cold, warm = [], []
    for _ in range(args.cold_repeats):
        with tempfile.TemporaryDirectory(prefix="numba-cache-") as cache:
            cold.append(cold_start(cache))  # empty cache: compiles every kernel
            warm.append(cold_start(cache))  # same directory, now filled: loads from it

    def summary(runs):
        return {k: float(np.median([r[k] for r in runs])) for k in runs[0]}

    cold_s, warm_s = summary(cold), summary(warm)
    print(f"fresh process (median over {args.cold_repeats}):")
    for label, r in (("numba cache cleared", cold_s), ("numba cache warm   ", warm_s)):
        print(
            f"  {label}: first fit {r['first_fit_s']:.3f} s (second {r['second_fit_s']:.4f} s), "
            f"imports {r['imports_s']:.2f} s, whole process {r['process_wall_s']:.2f} s"
        )

    result = {
        "benchmark": "mlp_fit",
        "model": MODEL,
        "model_params": {k: list(v) if isinstance(v, tuple) else v for k, v in hp.items()},
        "n_samples": N_SAMPLES,
        "threads": 1,
        "fit_seconds": {
            "numba_median": med_numba,
            "numpy_median": med_numpy,
            "numba_all": numba_t,
            "numpy_all": numpy_t,
            "numba_kernel_only_median": med_kernel,
            "shuffles_median": med_shuffle,
        },
        "speedup_vs_numpy": ratio,
        "same_algorithm_check": {
            "max_abs_weight_diff": weight_diff,
            "max_abs_loss_diff": loss_diff,
        },
        "cold_start": {
            "repeats": args.cold_repeats,
            "cache_cleared": cold_s,
            "cache_warm": warm_s,
            "cache_cleared_all": cold,
            "cache_warm_all": warm,
        },
        "environment": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "numba": numba.__version__,
            "brainlearn": brainlearn.__version__,
            "machine": platform.machine(),
            "processor": platform.processor(),
            "cpu_count": os.cpu_count(),
            "date": time.strftime("%Y-%m-%d"),
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print("wrote", args.out)
    return result


if __name__ == "__main__":
    main()
