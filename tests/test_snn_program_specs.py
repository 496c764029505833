"""``SpikingClassifier.program_specs``: the compiled programs a model names before fitting
are exactly the ones its fit, predictions and runner analyses ask the build cache for.

The fast tests stand in for the compiler: ``build.ensure_built`` records the key it is
asked for and the standalone engine returns silent spike counts of the right shapes, so
every path of the model runs without compiling. The real compile is in
``tests/test_snn_model.py::test_standalone_build_is_reused_by_a_fresh_process``: the two
programs a fit builds are the ones named here, and a fresh process's fit (backend
``"auto"``) and prediction find them built and compile nothing (one compile of the same two
programs serves both checks).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

pytest.importorskip("brian2")

from brainlearn.snn import build  # noqa: E402
from brainlearn.snn.model import SpikingClassifier  # noqa: E402

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
