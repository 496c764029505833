"""Speed of the spiking classifier: per-sample cost of fit and predict, where a chunk's
time goes, and how it compares with the loop a Brian2 user writes first and with a floor
estimate of what the hardware allows.

Measures, in one run on this machine (every number side by side, medians of repeats):

- ``builds``: every compiled program the three spiking models need for one task shape (a
  training program per model, one inference program shared by all), built in parallel into
  a fresh, temporary cache; and whether a fresh process reuses them;
- ``per_sample_us``: for snn-stdp, snn-hebbian and snn-rstdp on xor (1000 training and 1000
  test samples, 9 seeds): fit per training presentation, predict per sample with the
  batched inference program (the default, one run on one core), with the same program on
  two cores (``n_jobs=2``: two runs side by side; the two batched predictions take turns
  going first) and with the sequential path (the training program with learning off, one
  presentation after another), and the accuracy of the three predictions, per seed;
- ``breakdown_us``: per sample, where the wall time of fit and of both predictions goes:
  writing inputs, starting the process, set-up, the time-step loop, writing results,
  process exit, reading results (:mod:`brainlearn.snn.program`); and, where ``perf`` is
  available, ``loop_profile``: the share of the program's CPU samples by kind of work
  (neuron updates, synaptic propagation, math library, random numbers, per-presentation
  operations, monitors, Brian2's scheduler, kernel);
- ``naive``: the first loop a Brian2 user writes -- runtime mode, one ``run()`` per sample,
  rates set from Python, the same rule objects -- per sample (train and predict passes);
- ``floor``: operation counts per sample (neuron updates, synaptic events of a prediction)
  times the cost of the bare operation in a plain C loop compiled here (-O3 -march=native);
- ``ratios``: naive / ours and ours / floor, for fit and predict.

Writes ``benchmarks/results/snn.json``. Run: ``python benchmarks/bench_snn.py`` (about two
minutes on an idle 2-core machine, builds included).
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
N = 1000
REPEATS = 9
#: cores of the second batched prediction (``n_jobs``): this machine's two
JOBS = 2
NAIVE_SAMPLES = 20
MODELS = ("snn-stdp", "snn-hebbian", "snn-rstdp")
TASK = "xor"


def _median(xs):
    return float(statistics.median(xs))


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the compiled programs)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class _Timer:
    """Wall and CPU seconds of a block (CPU time is what a loaded machine distorts least)."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), _cpu()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, _cpu() - self.cpu


def _phases_per_sample(chunks: list[dict[str, float]], n: int) -> dict[str, float]:
    keys = chunks[0].keys() if chunks else []
    return {k: 1e6 * sum(c[k] for c in chunks) / n for k in keys}


# ------------------------------------------------------------------------------ builds
def _builds(cache: Path) -> dict:
    """Build every program of the three models in parallel; time it."""
    import brian2  # noqa: F401 - imported in the main thread (it installs a signal handler)

    from brainlearn import make_model

    models = [make_model(name, backend="standalone") for name in MODELS]
    t = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda m: m.prepare(2), models))
    wall = time.perf_counter() - t
    from brainlearn.snn.build import MANIFEST

    # the compiled programs (beside them: locks and the precompiled header's directory)
    n_programs = sum(1 for p in (cache / "snn").iterdir() if (p / MANIFEST).is_file())
    return {"programs": n_programs, "parallel_build_s": wall}


def _fresh_process(cache: Path) -> dict:
    before = {p.name: p.stat().st_mtime_ns for p in (cache / "snn").iterdir()}
    code = textwrap.dedent(
        f"""
        import time
        from brainlearn import load_task, make_model
        s = load_task("{TASK}", n_train={N}, n_test={N}, seed=1)
        t = time.perf_counter()
        m = make_model("snn-stdp", random_state=5, backend="standalone")
        m.fit(s.X_train, s.y_train).predict(s.X_test)
        print(time.perf_counter() - t)
        """
    )
    env = dict(os.environ, BRAINLEARN_CACHE=str(cache))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise RuntimeError(out.stderr)
    after = {p.name: p.stat().st_mtime_ns for p in (cache / "snn").iterdir()}
    return {
        "fresh_process_fit_predict_s": float(out.stdout.strip().splitlines()[-1]),
        "fresh_process_rebuilt": {k: v for k, v in after.items() if "runs" not in k}
        != {k: v for k, v in before.items() if "runs" not in k},
    }


# ---------------------------------------------------------------------------- timings
def _model_timings(name: str, split) -> dict:
    from brainlearn import make_model
    from brainlearn.snn import program

    fit_s, batched_s, jobs_s, seq_s = [], [], [], []
    cpu = {"fit": [], "predict_batched": [], "predict_sequential": []}
    acc_b, acc_j, acc_s = [], [], []
    phases = {}
    for r in range(REPEATS):
        m = make_model(name, random_state=r, backend="standalone")
        with program.recording() as chunks, _Timer() as t:
            m.fit(split.X_train, split.y_train)
        fit_s.append(t.wall)
        n_fit = m.n_epochs_ * N
        cpu["fit"].append(t.cpu / n_fit)
        phases["fit"] = _phases_per_sample(chunks, n_fit)
        # the batched prediction on one core and on JOBS cores, in turns (each goes first
        # in every other repeat)
        for jobs in ((1, JOBS) if r % 2 == 0 else (JOBS, 1)):
            m.set_params(n_jobs=jobs)
            with program.recording() as chunks, _Timer() as t:
                c, _ = m._predict_counts(split.X_test)
            if jobs == 1:
                batched_s.append(t.wall)
                cpu["predict_batched"].append(t.cpu / N)
                phases["predict_batched"] = _phases_per_sample(chunks, N)
                acc_b.append(_accuracy(m, c, split.y_test))
            else:
                jobs_s.append(t.wall)
                # the runs side by side: per sample of the prediction, each run's phases
                # summed over the runs (what one core would have spent)
                phases[f"predict_batched_{JOBS}jobs"] = _phases_per_sample(chunks, N)
                acc_j.append(_accuracy(m, c, split.y_test))
        m.set_params(n_jobs=None)
        with program.recording() as chunks, _Timer() as t:
            c, _ = m._predict_counts(split.X_test, batched=False)
        seq_s.append(t.wall)
        cpu["predict_sequential"].append(t.cpu / N)
        phases["predict_sequential"] = _phases_per_sample(chunks, N)
        acc_s.append(_accuracy(m, c, split.y_test))
    return {
        "fit_us": 1e6 * _median(fit_s) / n_fit,
        "predict_batched_us": 1e6 * _median(batched_s) / N,
        "predict_batched_jobs": JOBS,
        "predict_batched_jobs_us": 1e6 * _median(jobs_s) / N,
        "predict_sequential_us": 1e6 * _median(seq_s) / N,
        "cpu_us": {k: 1e6 * _median(v) for k, v in cpu.items()},
        "fit_repeats_s": fit_s,
        "predict_batched_repeats_s": batched_s,
        "predict_batched_jobs_repeats_s": jobs_s,
        "predict_sequential_repeats_s": seq_s,
        "fit_presentations": n_fit,
        "accuracy_batched": acc_b,
        "accuracy_batched_jobs": acc_j,
        "accuracy_sequential": acc_s,
        "breakdown_us": phases,  # of the last repeat
        "model": m,
    }


def _accuracy(m, counts, y) -> float:
    n, s = m._scores(m.spec_, counts["hidden"], counts["efferent"],
                     m.weights_["hidden->efferent"])
    return float(np.mean(m.classes_[np.argmax(m._proba(n, s), axis=1)] == y))


# ----------------------------------------------------------------------- loop profile
_CATEGORIES = [
    ("per_presentation_ops", re.compile(r"_b\d_codeobject")),
    ("monitors", re.compile(r"count_\w+_codeobject")),
    ("neuron_updates", re.compile(r"stateupdater|thresholder|resetter")),
    ("synaptic_propagation", re.compile(r"_pre_|_post_|push_spikes|SpikeQueue|_queue")),
    ("math_library", re.compile(r"ieee754|^(exp|pow|log|sqrt|sin|cos)(@|$)|@plt")),
    ("random_numbers", re.compile(r"mersenne|rand")),
    ("scheduler", re.compile(r"Network::|Rb_tree|Clock")),
    ("setup_and_io", re.compile(r"synapses_create|_write_arrays|_load_arrays|mem(move|cpy|set)"
                                r"|malloc|free|_M_default_append|brian_start|brian_end")),
]


def _categorise(report: str) -> dict[str, float]:
    shares: dict[str, float] = {}
    for line in report.splitlines():
        m = re.match(r"\s*([\d.]+)%\s+\[(.)\]\s+(\S.*)$", line)
        if not m:
            continue
        pct, kind, sym = float(m.group(1)), m.group(2), m.group(3).strip()
        cat = "kernel" if kind == "k" else "other"
        if kind != "k":
            for name, rx in _CATEGORIES:
                if rx.search(sym):
                    cat = name
                    break
        shares[cat] = shares.get(cat, 0.0) + pct / 100
    return dict(sorted(shares.items(), key=lambda kv: -kv[1]))


def _loop_profile(model, split) -> dict:
    """perf samples of one fit chunk and one batched prediction, by kind of work."""
    perf = shutil.which("perf")
    if perf is None:
        return {"skipped": "perf not found"}
    from brainlearn import _proc

    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for what in ("fit_chunk", "predict_batched"):
            data = Path(tmp) / f"{what}.data"
            real = _proc.run_tied  # how the engines start the compiled program

            def profiled(args, *a, _data=data, _real=real, **k):
                return _real([perf, "record", "-q", "-F", "4000", "-o", str(_data), "--",
                              *args], *a, **k)

            _proc.run_tied = profiled
            try:
                if what == "fit_chunk":
                    m = type(model)(**model.get_params())
                    m.set_params(min_presentations=0, random_state=0)
                    m.fit(split.X_train[: model.chunk_size], split.y_train[: model.chunk_size])
                else:
                    model._predict_counts(split.X_test)
            finally:
                _proc.run_tied = real
            if not data.exists():
                out[what] = {"skipped": "perf recorded nothing"}
                continue
            rep = subprocess.run([perf, "report", "-i", str(data), "--no-children", "--stdio",
                                  "--sort", "symbol"], capture_output=True, text=True)
            out[what] = _categorise(rep.stdout)
    return out


# ------------------------------------------------------------------------------ naive
def _naive(n_samples: int) -> dict:
    """The first loop a Brian2 user writes: runtime mode, one run() per sample."""
    import brian2 as b2
    from brian2 import Hz, ms, mV

    from brainlearn import load_task, make_model
    from brainlearn.snn.encoding import GaussianReceptiveFields
    from brainlearn.snn.graph import blueprint
    from brainlearn.snn.plasticity import shared_declarations

    split = load_task(TASK, n_train=N, n_test=N, seed=0)
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
        + shared_declarations(P["hidden"]),
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
    for g, name in ((hid, "hidden"), (inh, "inhibitory"), (eff, "efferent")):
        for k, v in P[name].items():
            if k in g.variables:
                setattr(g, k, v)
    r_in, r_out = spec.hidden_rule, spec.readout_rule
    s_in = b2.Synapses(
        afferent,
        hid,
        # the rule with its own per-synapse traces (what a Brian2 user writes first)
        r_in.model + shared_declarations({"w_unit": P["afferent_hidden"]["w_unit"]}),
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
        r_out.model + shared_declarations({"w_unit": P["hidden_efferent"]["w_unit"]}),
        on_pre="ge_post += w * w_unit\n" + r_out.on_pre,
        on_post=r_out.on_post,
    )
    s_out.connect()
    for s, name in ((s_in, "afferent_hidden"), (s_out, "hidden_efferent")):
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
        "samples": n_samples,
        "codegen_target": type(hid.state_updater.codeobj).__name__,
        "fit_us": 1e6 * train_s / n_samples,
        "predict_us": 1e6 * predict_s / n_samples,
    }


# ------------------------------------------------------------------------------ floor
_FLOOR_C = r"""
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t);
                          return t.tv_sec + 1e-9 * t.tv_nsec; }
int main(void) {
    int n = 452, steps = 100000, n_post = 200, n_pre = 32;
    double *v = calloc(n, sizeof(double)), *ge = calloc(n, sizeof(double));
    double *gi = calloc(n, sizeof(double)), *post = calloc(n_post, sizeof(double));
    double *w = malloc(n_pre * n_post * sizeof(double));
    int *spk = malloc(steps * sizeof(int));
    unsigned s = 12345; long count = 0, events = 0;
    for (int k = 0; k < n_pre * n_post; k++) { s = s * 1103515245u + 12345u;
                                               w[k] = (s >> 8) / 16777216.0; }
    for (int k = 0; k < steps; k++) { s = s * 1103515245u + 12345u; spk[k] = (s >> 8) % n_pre; }
    double t0 = now();
    for (int k = 0; k < steps; k++) {          /* LIF: leak, two decaying conductances */
        for (int i = 0; i < n; i++) {
            double vi = 0.975 * v[i] + 0.025 * (ge[i] - gi[i]);
            ge[i] *= 0.9; gi[i] *= 0.95;
            if (vi > 15.0) { vi = 0.0; count++; }
            v[i] = vi;
        }
        ge[k % n] += 1.0;
    }
    double t1 = now();
    for (int k = 0; k < steps; k++) {          /* one presynaptic spike: a row of weights */
        const double *wr = w + spk[k] * n_post;
        for (int j = 0; j < n_post; j++) post[j] += wr[j];
        events += n_post;
    }
    double t2 = now();
    double chk = 0;
    for (int i = 0; i < n; i++) chk += v[i];
    for (int j = 0; j < n_post; j++) chk += post[j];
    printf("%.6f %.6f %ld %g\n", 1e9 * (t1 - t0) / ((double)steps * n),
           1e9 * (t2 - t1) / events, count, chk);
    return 0;
}
"""


def _floor(model, split) -> dict:
    """Operation counts of a prediction times the cost of the bare operations in C."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        return {"skipped": "no C compiler"}
    with tempfile.TemporaryDirectory() as tmp:
        src, exe = Path(tmp) / "floor.c", Path(tmp) / "floor"
        src.write_text(_FLOOR_C)
        subprocess.run([cc, "-O3", "-march=native", "-o", str(exe), str(src)], check=True)
        runs = [subprocess.run([str(exe)], capture_output=True, text=True, check=True)
                .stdout.split() for _ in range(3)]
    ns_update = min(float(r[0]) for r in runs)
    ns_event = min(float(r[1]) for r in runs)
    spec = model.spec_
    p = spec.net
    steps = p.presentation_ms / p.dt_ms
    neurons = spec.n_afferent + 2 * p.n_hidden + spec.n_efferent
    ops = model.ops_per_sample(split.X_test[:200])
    updates = neurons * steps
    floor_us = 1e-3 * (updates * ns_update + ops["synaptic_events"] * ns_event)
    return {
        "ns_per_neuron_update": ns_update,
        "ns_per_synaptic_event": ns_event,
        "neuron_updates_per_sample": updates,
        "synaptic_events_per_sample": ops["synaptic_events"],
        "floor_us": floor_us,
    }


# ------------------------------------------------------------------------------- main
def main() -> None:
    from brainlearn import load_task

    load_before = os.getloadavg()
    t_all = time.perf_counter()
    res: dict = {"date": datetime.date.today().isoformat(), "task": TASK, "n_samples": N}
    split = load_task(TASK, n_train=N, n_test=N, seed=0)
    with tempfile.TemporaryDirectory(prefix="brainlearn-bench-") as tmp:
        cache = Path(tmp) / "cache"
        os.environ["BRAINLEARN_CACHE"] = str(cache)
        res["builds"] = _builds(cache)
        models = {}
        per = {}
        for name in MODELS:
            t = _model_timings(name, split)
            models[name] = t.pop("model")
            per[name] = t
        res["per_sample_us"] = per
        res["builds"].update(_fresh_process(cache))
        res["loop_profile"] = _loop_profile(models["snn-stdp"], split)
        res["floor"] = _floor(models["snn-stdp"], split)
    res["naive"] = _naive(NAIVE_SAMPLES)
    s = per["snn-stdp"]
    floor = res["floor"].get("floor_us")
    res["ratios"] = {
        "naive_over_fit": res["naive"]["fit_us"] / s["fit_us"],
        "naive_over_predict": res["naive"]["predict_us"] / s["predict_batched_us"],
        "sequential_over_batched_predict": s["predict_sequential_us"] / s["predict_batched_us"],
        "fit_over_floor": s["fit_us"] / floor if floor else None,
        "predict_over_floor": s["predict_batched_us"] / floor if floor else None,
    }
    import brian2

    res["machine"] = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "brian2": brian2.__version__,
        "load_before": load_before,
        "load_after": os.getloadavg(),
    }
    res["bench_s"] = time.perf_counter() - t_all
    out = HERE / "results" / "snn.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=2) + "\n")
    for name, t in per.items():
        c = t["cpu_us"]
        print(f"{name:12s} fit {t['fit_us']:7.0f} us/sample (cpu {c['fit']:.0f}) | predict "
              f"batched {t['predict_batched_us']:6.0f} (cpu {c['predict_batched']:.0f}), "
              f"n_jobs={JOBS} {t['predict_batched_jobs_us']:6.0f}, "
              f"sequential {t['predict_sequential_us']:6.0f} (cpu "
              f"{c['predict_sequential']:.0f}) | accuracy batched "
              f"{np.mean(t['accuracy_batched']):.3f} n_jobs={JOBS} "
              f"{np.mean(t['accuracy_batched_jobs']):.3f} sequential "
              f"{np.mean(t['accuracy_sequential']):.3f}")
        for what, ph in t["breakdown_us"].items():
            print(f"    {what:19s} " + " ".join(f"{k} {v:.0f}" for k, v in ph.items()))
    r = res["ratios"]
    print(f"naive run() per sample: fit {res['naive']['fit_us']:.0f} us, predict "
          f"{res['naive']['predict_us']:.0f} us -> {r['naive_over_fit']:.0f}x / "
          f"{r['naive_over_predict']:.0f}x; floor {floor or float('nan'):.0f} us/sample "
          f"(fit {r['fit_over_floor'] or float('nan'):.1f}x, predict "
          f"{r['predict_over_floor'] or float('nan'):.1f}x the floor)")
    print(f"builds: {res['builds']['programs']} programs in {res['builds']['parallel_build_s']:.0f}"
          f" s; fresh process rebuilt: {res['builds']['fresh_process_rebuilt']}; load "
          f"{load_before[0]:.1f} -> {res['machine']['load_after'][0]:.1f}; "
          f"{res['bench_s']:.0f} s in all")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
