"""Engine options for batched inference, measured side by side (issue 20, item 6).

One snn-stdp network is trained on xor (1000 samples, seed 0); its 1000 test samples are
then predicted with the batched inference program built several ways, each in its own
cache directory, the variants taking turns in every round, each round starting with the
next one (``ROUNDS`` rounds; medians):

- ``default``: the program as :mod:`brainlearn.snn.build` makes it;
- ``float32``: every state variable in single precision (Brian2's
  ``core.default_float_dtype``): twice the values per vector register, half the memory;
- ``no-update-patch``: without the neuron-update patch, as the OpenMP variants are
  (:func:`brainlearn.snn.program.patch_neuron_updates`), to tell its share from OpenMP's
  (and so without :func:`brainlearn.snn.program.patch_resting_group`, which builds on the
  patched update loop: a warning says so);
- ``openmp-1``, ``openmp-2``: Brian2's OpenMP code (``devices.cpp_standalone.openmp_threads``)
  with one and two threads; every thread's random generator is seeded from the run's seed,
  and the neuron-update patch (:func:`brainlearn.snn.program.patch_neuron_updates`) is left
  out, with the resting-group patch: its ``#pragma GCC ivdep`` cannot stand between
  OpenMP's ``omp for`` and its loop
  (and :func:`~brainlearn.snn.program.patch_network_source` finds no anchor in OpenMP's
  ``Network::run``: a warning says so);
- ``no-noise``: the default program with the efferent noise switched off at run time
  (``noise_mv = 0``; its normal numbers are still drawn): what the noise itself costs in
  spikes to propagate;
- ``no-randn``: a program whose normal numbers are all replaced by 0 (no draws at all, so
  no noise either): the upper bound of what any faster Gaussian generator could give.
- ``mt19937``: Brian2's own random generator, the Mersenne twister (without
  :func:`brainlearn.snn.program.patch_random_generator`): the same distributions, another
  stream;
- ``malloc-defaults``: the default program run with glibc's default heap
  (``program.MALLOC_TUNABLES`` empty: no huge pages, the heap grown in small steps), as
  before :func:`brainlearn.snn.program.program_environment` set them;
- ``all-inhibitory``: without :func:`brainlearn.snn.program.patch_resting_group`: every
  inhibitory neuron updated and tested at every step, also those at rest.

``no-noise`` and ``no-randn`` change the model; the others do not (OpenMP with two threads
draws its random numbers in another order, ``mt19937`` from another generator).

For each: wall time per sample, the program's phases (set-up, time-step loop; the others
are the same for all), accuracy, and whether the spike counts equal the default's. Writes
``benchmarks/results/engine_options.json``. Run on an otherwise idle machine:
``python benchmarks/bench_engine_options.py`` (about three minutes, eight builds included).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
N = 1000
ROUNDS = 7
TASK = "xor"

#: run in the build's child process before Brian2 generates the program: the variant's
#: Brian2 preferences and patches, then the package's own build command
_CHILD = """
import sys
import numpy as np
import brian2 as b2
from brainlearn.snn import build, program
variant = sys.argv[1]
if variant == "float32":
    b2.prefs.core.default_float_dtype = np.float32
elif variant.startswith("openmp-"):
    b2.prefs.devices.cpp_standalone.openmp_threads = int(variant.split("-")[1])
    build.SEED_CODE = (
        "for (size_t _k = 0; _k < brian::_random_generators.size(); _k++) "
        "brian::_random_generators[_k].seed((unsigned long) brian::{array}[0] + _k);")
    program.patch_neuron_updates = lambda directory: 0
elif variant == "no-update-patch":
    program.patch_neuron_updates = lambda directory: 0
elif variant == "mt19937":
    program.patch_random_generator = lambda directory: 0
elif variant == "all-inhibitory":
    program.patch_resting_group = lambda directory, *args: 0
elif variant == "no-randn":
    from pathlib import Path
    patch_exp = program.patch_scalar_exp

    def patch_without_randn(directory):
        for f in Path(directory, "code_objects").glob("*.cpp"):
            f.write_text(f.read_text().replace("_randn(_vectorisation_idx)", "0.0"))
        return patch_exp(directory)

    program.patch_scalar_exp = patch_without_randn
sys.exit(build._main(sys.argv[2:]))
"""

#: variant -> the build it runs (no-noise runs the default program)
VARIANTS = {"default": "default", "float32": "float32", "no-update-patch": "no-update-patch",
            "openmp-1": "openmp-1",
            "openmp-2": "openmp-2", "no-noise": "default", "no-randn": "no-randn",
            "mt19937": "mt19937", "malloc-defaults": "default",
            "all-inhibitory": "all-inhibitory"}


@contextlib.contextmanager
def _building(variant: str):
    """Builds made inside the block are of ``variant`` (the build's child process runs
    :data:`_CHILD`)."""
    from brainlearn._proc import run_tied
    from brainlearn.snn import build

    def compile_variant(spec_file, out_dir, pch_dir):
        return run_tied([sys.executable, "-c", _CHILD, variant, "build", str(spec_file),
                         str(out_dir), str(pch_dir)], env=build._python_env(), new_group=True)

    original = build._compile
    build._compile = compile_variant
    try:
        yield
    finally:
        build._compile = original


def main() -> dict:
    import brian2  # noqa: F401 - before any thread or child (it installs a signal handler)
    from bench_snn import _accuracy  # this directory: the script's own

    from brainlearn import load_task, make_model
    from brainlearn.runner.execute import use_cache_dir
    from brainlearn.snn import build, program

    load_before = os.getloadavg()[0]
    # the programs' heap settings are program.MALLOC_TUNABLES (malloc-defaults: none), not
    # whatever this shell sets
    os.environ.pop("GLIBC_TUNABLES", None)
    split = load_task(TASK, n_train=N, n_test=N, seed=0)
    t_bench = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bl-engine-") as tmp:
        root = Path(tmp)
        use_cache_dir(root / "default")
        model = make_model("snn-stdp", random_state=0, backend="standalone")
        model.fit(split.X_train, split.y_train)
        quiet = dataclasses.replace(model.spec_,
                                    net=dataclasses.replace(model.spec_.net, noise_mv=0.0))
        specs = {v: (quiet if v == "no-noise" else model.spec_) for v in VARIANTS}
        builds = {}
        train_key = build.build_key(model.spec_)
        for kind in VARIANTS.values():
            if kind in builds:
                continue
            if kind != "default":  # the training program, which predict looks for, as is
                shutil.copytree(root / "default" / "snn" / train_key,
                                root / kind / "snn" / train_key)
            use_cache_dir(root / kind)
            with _building(kind):
                t = time.perf_counter()
                model._predict_counts(split.X_test[:10])  # builds the inference program
                builds[kind] = time.perf_counter() - t
        wall = {v: [] for v in VARIANTS}
        phases: dict[str, list[dict[str, float]]] = {v: [] for v in VARIANTS}
        result = {}
        names = list(VARIANTS)
        for r in range(ROUNDS):
            for variant in names[r % len(names):] + names[:r % len(names)]:  # turns rotate
                kind = VARIANTS[variant]
                use_cache_dir(root / kind)
                tunables = program.MALLOC_TUNABLES
                if variant == "malloc-defaults":
                    program.MALLOC_TUNABLES = ""
                try:
                    with program.recording() as chunks:
                        t = time.perf_counter()
                        counts, _ = model._predict_counts(split.X_test, spec=specs[variant])
                        wall[variant].append(time.perf_counter() - t)
                finally:
                    program.MALLOC_TUNABLES = tunables
                phases[variant].append({k: sum(c[k] for c in chunks) for k in chunks[0]})
                result[variant] = counts
    reference = result["default"]
    out = {
        "date": datetime.date.today().isoformat(),
        "task": TASK,
        "n_samples": N,
        "rounds": ROUNDS,
        "machine": {"platform": platform.platform(), "processor": platform.processor(),
                    "cpus": os.cpu_count(), "load_before": load_before},
        "build_s": builds,
        "variants": {},
    }
    for variant in VARIANTS:
        med = statistics.median(wall[variant])
        out["variants"][variant] = {
            "predict_us": 1e6 * med / N,
            "predict_repeats_s": wall[variant],
            "phases_us": {k: 1e6 * statistics.median(p[k] for p in phases[variant]) / N
                          for k in phases[variant][0]},
            "accuracy": _accuracy(model, result[variant], split.y_test),
            "counts_equal_default": all(np.array_equal(result[variant][p], reference[p])
                                        for p in reference),
            "ratio_to_default": med / statistics.median(wall["default"]),
        }
    out["bench_s"] = time.perf_counter() - t_bench
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "engine_options.json").write_text(json.dumps(out, indent=1) + "\n")
    return out


if __name__ == "__main__":
    res = main()
    for name, v in res["variants"].items():
        print(f"{name:9s} {v['predict_us']:7.1f} us/sample  x{v['ratio_to_default']:.2f}  "
              f"loop {v['phases_us'].get('loop', float('nan')):6.1f}  "
              f"set-up {v['phases_us'].get('setup', float('nan')):6.1f}  "
              f"accuracy {v['accuracy']:.3f}  same counts: {v['counts_equal_default']}")
    print(f"builds (s): {res['build_s']}")
