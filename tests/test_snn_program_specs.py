"""``SpikingClassifier.program_specs``: the compiled programs a model names before fitting
are exactly the ones its fit, predictions and runner analyses ask the build cache for.

The fast tests stand in for the compiler: ``build.ensure_built`` records the key it is
asked for and the standalone engine returns silent spike counts of the right shapes, so
every path of the model runs without compiling. The slow test compiles a tiny network for
real: built beforehand, a fit and prediction in a fresh process compile nothing.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("brian2")

from brainlearn.snn import build  # noqa: E402
from brainlearn.snn.model import SpikingClassifier  # noqa: E402
from conftest import subprocess_env  # noqa: E402

TINY = dict(n_hidden=6, n_per_feature=4, n_per_class=2, chunk_size=16, min_presentations=0,
            network_params={"presentation_ms": 20.0})


CASES = {
    "binary, population code": (dict(), 2, 2),
    "three classes": (dict(), 3, 3),
    "reward readout, rate code": (dict(readout_rule="rstdp", encoding="rate"), 5, 2),
    "skip readout": (dict(network_params={"presentation_ms": 20.0, "skip_readout": True}),
                     2, 2),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_named_programs_are_the_ones_fit_predict_and_analyses_build(recorded_builds,
                                                                        case):
    params, n_features, n_classes = CASES[case]
    rng = np.random.default_rng(0)
    X = rng.random((40, n_features))
    y = np.arange(40) % n_classes
    model = SpikingClassifier(random_state=0, **{**TINY, **params})
    named = {build.build_key(s) for s in model.program_specs(n_features, n_classes)}
    assert len(named) == 2  # the training and the batched inference program
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the stand-in network is silent
        model.fit(X[:30], y[:30], eval_set=(X[30:], y[30:]))
        model.predict(X[30:])
        model.predict_proba(X[30:])
        model.hidden_response(X[:3])
        model.ops_per_sample(X[:3])
        model.ablated(0.5, random_state=0).predict(X[30:])
    assert model.backend_ == "standalone"
    assert set(recorded_builds) == named


def test_a_runtime_model_names_no_program():
    assert SpikingClassifier(backend="runtime", **TINY).program_specs(2) == []


def test_program_specs_check_their_arguments():
    with pytest.raises(ValueError, match="n_features"):
        SpikingClassifier(**TINY).program_specs(0)
    with pytest.raises(ValueError, match="n_classes"):
        SpikingClassifier(**TINY).program_specs(2, 1)
    with pytest.raises(ValueError, match="n_hidden"):
        SpikingClassifier(n_hidden=0).program_specs(2)


@pytest.mark.slow
def test_prebuilt_programs_are_reused_by_a_fit_in_a_fresh_process(tmp_path):
    """Build the named programs into a cache; a fresh process that fits and predicts with
    that cache compiles nothing (its compiler is replaced by one that fails)."""
    model = SpikingClassifier(random_state=0, **TINY)
    specs = model.program_specs(2, 2)
    root = build.cache_root(tmp_path)
    dirs = [build.ensure_built(s, root) for s in specs]
    assert all(build.check_build(d) is None for d in dirs)
    code = textwrap.dedent("""
        import json, sys
        import numpy as np
        from brainlearn.snn import build
        from brainlearn.snn.model import SpikingClassifier

        def no_compile(spec_file, out_dir):
            raise AssertionError("compiled " + str(out_dir))

        build._compile = no_compile
        rng = np.random.default_rng(0)
        X = rng.random((40, 2)); y = (X[:, 0] > 0.5).astype(int)
        m = SpikingClassifier(random_state=0, **json.loads(sys.argv[1])).fit(X, y)
        print(json.dumps([m.backend_, float(np.mean(m.predict(X) == y))]))
    """)
    out = subprocess.run([sys.executable, "-c", code, json.dumps(TINY)], capture_output=True,
                         text=True, env=subprocess_env(BRAINLEARN_CACHE=tmp_path))
    assert out.returncode == 0, out.stderr[-3000:]
    backend, _ = json.loads(out.stdout.strip().splitlines()[-1])
    assert backend == "standalone"
    assert sorted(p.name for p in root.iterdir() if p.is_dir()) == sorted(
        Path(d).name for d in dirs)
