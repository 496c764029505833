"""Speed of the spiking classifier: compiled-once chunks against the loop a Brian2 user
writes first.

Measures, in one run on this machine:

- ``build_s``: the one-time C++ standalone build (into a fresh, temporary cache);
- ``fit_predict_s``: fit on 1000 samples + predict 1000 samples with ``snn-stdp`` after the
  build (median of repeats), and the per-sample time;
- ``naive_per_sample_s``: the first loop a Brian2 user writes for the same network size --
  runtime mode, one ``run()`` per sample, rates set from Python, the same plasticity rule
  objects -- timed on a subset of samples (train and predict passes) and reported per sample;
- ``speedup``: naive per-sample time / compiled per-sample time (target >= 40);
- ``fresh_process_fit_s`` and ``fresh_process_rebuilt``: a second fit in a new Python
  process with the same cache (does it rebuild?);
- ``simulated_over_wall``: simulated seconds per wall-clock second of fit + predict.

Writes ``benchmarks/results/snn.json``. Run: ``python benchmarks/bench_snn.py``.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
N = 1000
REPEATS = 3
NAIVE_SAMPLES = 40


def _compiled(cache: Path) -> dict:
    os.environ["BRAINLEARN_CACHE"] = str(cache)
    from brainlearn import load_task, make_model
    from brainlearn.snn.engines import get_engine

    split = load_task("xor", n_train=N, n_test=N, seed=0)
    model = make_model("snn-stdp", random_state=0)
    spec = model._make_spec(split.X_train.shape[1])
    t = time.perf_counter()
    get_engine(spec, "standalone")
    build_s = time.perf_counter() - t

    times = []
    for r in range(REPEATS):
        m = make_model("snn-stdp", random_state=r, backend="standalone")
        t = time.perf_counter()
        m.fit(split.X_train, split.y_train)
        acc = m.score(split.X_test, split.y_test)
        times.append(time.perf_counter() - t)
    fit_predict_s = statistics.median(times)
    sim_s = m.epochs * N * m.presentation_ms_ / 1000 + N * m.presentation_ms_ / 1000
    return {
        "build_s": build_s,
        "fit_predict_s": fit_predict_s,
        "fit_predict_repeats_s": times,
        "per_sample_s": fit_predict_s / (m.epochs * N + N),
        "simulated_s": sim_s,
        "simulated_over_wall": sim_s / fit_predict_s,
        "accuracy_xor": acc,
        "epochs": m.epochs,
        "n_samples": N,
        "presentation_ms": m.presentation_ms_,
        "n_afferent": spec.n_afferent,
        "n_hidden": spec.net.n_hidden,
        "n_efferent": spec.n_efferent,
    }


def _fresh_process(cache: Path) -> dict:
    before = {p.name for p in (cache / "snn").iterdir() if p.is_dir()}
    code = textwrap.dedent(
        """
        import time
        from brainlearn import load_task, make_model
        s = load_task("xor", n_train=1000, n_test=1000, seed=1)
        t = time.perf_counter()
        make_model("snn-stdp", random_state=5, backend="standalone").fit(s.X_train, s.y_train)
        print(time.perf_counter() - t)
        """
    )
    env = dict(os.environ, BRAINLEARN_CACHE=str(cache))
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    total = time.perf_counter() - t
    if out.returncode != 0:
        raise RuntimeError(out.stderr)
    after = {p.name for p in (cache / "snn").iterdir() if p.is_dir()}
    return {
        "fresh_process_fit_s": float(out.stdout.strip().splitlines()[-1]),
        "fresh_process_total_s": total,
        "fresh_process_rebuilt": after != before,
    }


def _naive(n_samples: int) -> dict:
    """The first loop a Brian2 user writes: runtime mode, one run() per sample."""
    import brian2 as b2
    from brian2 import Hz, ms, mV

    from brainlearn import load_task, make_model
    from brainlearn.snn.encoding import GaussianReceptiveFields
    from brainlearn.snn.graph import blueprint
    from brainlearn.snn.plasticity import shared_declarations

    split = load_task("xor", n_train=N, n_test=N, seed=0)
    model = make_model("snn-stdp", random_state=0)
    spec = model._make_spec(2)
    p = spec.net
    P = blueprint(spec).parameters()
    enc = GaussianReceptiveFields(p.n_per_feature, p.rate_max_hz, p.rate_min_hz, p.sigma_scale)
    b2.start_scope()
    afferent = b2.PoissonGroup(spec.n_afferent, rates=0 * Hz, name="afferent")
    lif = """
        dv/dt = (-v + ge - gi + I_teach) / tau_m : volt (unless refractory)
        dge/dt = -ge / tau_e : volt
        dgi/dt = -gi / tau_i : volt
        I_teach : volt
        learn : 1
        """
    hid = b2.NeuronGroup(
        p.n_hidden,
        lif
        + "dtheta/dt = -learn * theta / tau_theta : volt"
        + shared_declarations(P["interneuron"]),
        threshold="v > v_th + theta",
        reset="v = v_reset; theta = clip(theta + learn * theta_plus, 0*mV, theta_max)",
        refractory="t_ref",
        method="exact",
    )
    inh = b2.NeuronGroup(
        p.n_hidden,
        lif + shared_declarations(P["inhibitory"]),
        threshold="v > v_th",
        reset="v = v_reset",
        refractory="t_ref",
        method="exact",
    )
    eff = b2.NeuronGroup(
        spec.n_efferent,
        lif + shared_declarations(P["efferent"]),
        threshold="v > v_th",
        reset="v = v_reset",
        refractory="t_ref",
        method="exact",
    )
    for g, name in ((hid, "interneuron"), (inh, "inhibitory"), (eff, "efferent")):
        for k, v in P[name].items():
            if k in g.variables:
                setattr(g, k, v)
    r_in, r_out = spec.hidden_rule, spec.readout_rule
    s_in = b2.Synapses(
        afferent,
        hid,
        r_in.synapse_eqs + shared_declarations(P["afferent_interneuron"]),
        on_pre="ge_post += w * w_unit\n" + r_in.on_pre,
        on_post=r_in.on_post,
    )
    s_in.connect()
    s_ei = b2.Synapses(hid, inh, on_pre=f"ge_post += {p.w_ei_mv}*mV")
    s_ei.connect(j="i")
    s_ie = b2.Synapses(inh, hid, on_pre=f"gi_post += {p.w_ie_mv}*mV")
    s_ie.connect(condition="i != j")
    s_out = b2.Synapses(
        hid,
        eff,
        r_out.synapse_eqs + shared_declarations(P["interneuron_efferent"]),
        on_pre="ge_post += w * w_unit\n" + r_out.on_pre,
        on_post=r_out.on_post,
    )
    s_out.connect()
    for s, name in ((s_in, "afferent_interneuron"), (s_out, "interneuron_efferent")):
        for k, v in P[name].items():
            setattr(s, k, v)
    rng = np.random.default_rng(0)
    s_in.w = rng.uniform(p.w_init_low, p.w_init_high, len(s_in)) * r_in.w_max
    s_out.w = rng.uniform(p.w_out_init_low, p.w_out_init_high, len(s_out)) * r_out.w_max
    mon = b2.SpikeMonitor(eff)
    net = b2.Network(b2.collect())
    cls = np.repeat([0, 1], p.n_per_class)
    T = p.presentation_ms * ms

    def present(x, label, plastic):
        afferent.rates = enc.rates(x[None, :])[0] * Hz
        for g in (hid, inh, eff):
            g.v = 0 * mV
            g.ge = 0 * mV
            g.gi = 0 * mV
        hid.learn = plastic
        eff.learn = plastic
        if plastic and spec.supervised:
            eff.I_teach = np.where(cls == label, p.teacher_mv, -p.suppress_mv) * mV
        else:
            eff.I_teach = 0 * mV
        s_in.apre = 0
        s_in.apost = 0
        s_out.apre = 0
        s_out.apost = 0
        net.run(T)

    present(split.X_train[0], split.y_train[0], 1.0)  # code generation / compilation
    t = time.perf_counter()
    train = zip(split.X_train[1 : n_samples + 1], split.y_train[1 : n_samples + 1], strict=True)
    for x, y in train:
        present(x, y, 1.0)
    train_s = time.perf_counter() - t
    t = time.perf_counter()
    for x in split.X_test[:n_samples]:
        before = mon.num_spikes
        present(x, -1, 0.0)
        _ = mon.num_spikes - before
    predict_s = time.perf_counter() - t
    return {
        "naive_samples": n_samples,
        "naive_codegen_target": type(hid.state_updater.codeobj).__name__,
        "naive_train_per_sample_s": train_s / n_samples,
        "naive_predict_per_sample_s": predict_s / n_samples,
        "naive_per_sample_s": (train_s + predict_s) / (2 * n_samples),
    }


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="brainlearn-bench-") as tmp:
        cache = Path(tmp) / "cache"
        res = _compiled(cache)
        res.update(_fresh_process(cache))
    res.update(_naive(NAIVE_SAMPLES))
    res["speedup"] = res["naive_per_sample_s"] / res["per_sample_s"]
    res["machine"] = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }
    import brian2

    res["brian2"] = brian2.__version__
    out = HERE / "results" / "snn.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=2) + "\n")
    print(
        f"build {res['build_s']:.1f} s | fit+predict ({res['epochs']} epoch(s) x {N} + {N}) "
        f"{res['fit_predict_s']:.2f} s = {1e3 * res['per_sample_s']:.2f} ms/sample | naive loop "
        f"{1e3 * res['naive_per_sample_s']:.1f} ms/sample | speedup {res['speedup']:.0f}x | "
        f"fresh-process fit {res['fresh_process_fit_s']:.2f} s (rebuilt: "
        f"{res['fresh_process_rebuilt']}) | simulated/wall {res['simulated_over_wall']:.1f}"
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
