"""The model registry: names, families, register_model, and the deep merge of overrides."""

import copy

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from brainlearn import (
    MLPClassifier,
    list_models,
    make_model,
    model_spec,
    register_model,
    resolved_params,
)
from brainlearn.registry import FAMILIES, _deep_merge


def test_registry_names_both_families():
    assert {"mlp-seed", "mlp-wide"} <= set(list_models("mlp"))
    assert {"snn-stdp", "snn-hebbian", "snn-rstdp"} <= set(list_models("snn"))


def test_unknown_model_and_unknown_parameter_are_named():
    with pytest.raises(ValueError, match="unknown model 'nope'.*mlp-seed"):
        make_model("nope")
    with pytest.raises(ValueError, match="unknown parameter 'epochz'.*mlp-seed"):
        make_model("mlp-seed", epochz=3)


def test_models_do_not_share_nested_parameters_with_the_registry():
    a = make_model("snn-stdp")
    a.network_params["n_hidden"] = -1
    assert model_spec("snn-stdp").params["network_params"].get("n_hidden") != -1
    assert make_model("snn-stdp").network_params.get("n_hidden") != -1


# ---------------------------------------------------------------------------- register_model


@pytest.fixture
def registered():
    """Names registered by a test, removed again afterwards."""
    from brainlearn.registry import unregister_model

    names: list[str] = []
    yield names
    for n in names:
        if n in list_models():
            unregister_model(n)


def test_register_model_with_a_class_and_with_a_string(registered):
    registered += ["t-mlp-class", "t-mlp-string"]
    spec = register_model(
        "t-mlp-class", "mlp", MLPClassifier, "a test entry", hidden_layer_sizes=(7,), epochs=3
    )
    assert spec.estimator == "brainlearn.mlp.model:MLPClassifier"
    assert model_spec("t-mlp-class") is spec and "t-mlp-class" in list_models("mlp")
    m = make_model("t-mlp-class", learning_rate=0.01)
    assert isinstance(m, MLPClassifier)
    assert (m.hidden_layer_sizes, m.epochs, m.learning_rate) == ((7,), 3, 0.01)
    register_model("t-mlp-string", "reference", "brainlearn.mlp.model:MLPClassifier", epochs=2)
    assert make_model("t-mlp-string").epochs == 2
    assert "t-mlp-string" in list_models("reference")
    X = np.random.default_rng(0).random((30, 2))
    assert make_model("t-mlp-class").fit(X, X[:, 0] > 0.5).n_features_in_ == 2


def test_register_model_rejects_bad_entries(registered):
    registered.append("t-ok")
    with pytest.raises(ValueError, match="model 'mlp-seed' is already registered"):
        register_model("mlp-seed", "mlp", MLPClassifier)
    with pytest.raises(ValueError, match="unknown family 'spiking'.*snn-backprop.*reference"):
        register_model("t-ok", "spiking", MLPClassifier)
    with pytest.raises(ValueError, match="unknown parameter 'epochz'"):
        register_model("t-ok", "mlp", MLPClassifier, epochz=3)
    with pytest.raises(ValueError, match="'module:Class' string"):
        register_model("t-ok", "mlp", "MLPClassifier")
    with pytest.raises(ValueError, match="'module:Class' string"):
        register_model("t-ok", "mlp", MLPClassifier())

    class Local(MLPClassifier):
        pass

    with pytest.raises(ValueError, match="defined inside a function"):
        register_model("t-ok", "mlp", Local)
    with pytest.raises(ValueError, match="non-empty string"):
        register_model("", "mlp", MLPClassifier)
    assert "t-ok" not in list_models()  # nothing half-registered
    with pytest.raises(ValueError, match="unknown family 'snnn'"):
        list_models("snnn")
    assert set(FAMILIES) == {"mlp", "snn", "snn-backprop", "local", "reference"}


def test_registered_params_are_copied(registered):
    registered.append("t-copy")
    nested = {"a": {"b": 1}}
    register_model("t-copy", "snn", "brainlearn.snn.model:SpikingClassifier", network_params=nested)
    nested["a"]["b"] = 2
    assert model_spec("t-copy").params["network_params"] == {"a": {"b": 1}}


# ---------------------------------------------------------------------------- resolved_params


def test_partial_nested_override_keeps_the_registry_values():
    p = resolved_params("snn-stdp", {"network_params": {"noise_mv": 1.0}})
    assert p["network_params"]["noise_mv"] == 1.0
    assert p["network_params"]["w_out_mv"] == 160.0  # the registry's tuned value survives
    assert p["readout_rule_params"] == dict(model_spec("snn-stdp").params["readout_rule_params"])
    m = make_model("snn-stdp", network_params={"noise_mv": 1.0})
    assert m.network_params == {"w_out_mv": 160.0, "noise_mv": 1.0}
    # the registry itself is untouched, and None resets a dict to the estimator's defaults
    assert "noise_mv" not in model_spec("snn-stdp").params["network_params"]
    assert make_model("snn-stdp", network_params=None).network_params is None
    assert resolved_params("mlp-seed") == dict(model_spec("mlp-seed").params)


@pytest.mark.parametrize("bad", [[1, 2], 3.0, "w_out_mv=1"])
def test_non_dict_override_of_a_registry_dict_is_named(bad):
    with pytest.raises(ValueError, match="model 'snn-stdp': parameter network_params must be a"):
        make_model("snn-stdp", network_params=bad)


def test_resolved_params_checks_names():
    with pytest.raises(ValueError, match="unknown parameter 'epochz'"):
        resolved_params("mlp-seed", {"epochz": 1})
    with pytest.raises(ValueError, match="unknown model"):
        resolved_params("nope", {})
    with pytest.raises(ValueError, match="overrides must be a dict"):
        resolved_params("mlp-seed", [("epochs", 1)])


_leaf = st.one_of(st.integers(), st.floats(allow_nan=False), st.text(max_size=3), st.none())
_keys = st.sampled_from(list("abcde"))
_nested = st.recursive(
    _leaf, lambda inner: st.dictionaries(_keys, inner, max_size=4), max_leaves=12
)
_tree = st.dictionaries(_keys, _nested, max_size=5)


def _conflicts(base, over) -> bool:
    """True if ``over`` puts a non-dict, non-None value where ``base`` has a dict."""
    for k, v in over.items():
        if isinstance(base.get(k), dict):
            if v is not None and not isinstance(v, dict):
                return True
            if isinstance(v, dict) and _conflicts(base[k], v):
                return True
    return False


@settings(max_examples=300, deadline=None)
@given(base=_tree, over=_tree)
def test_deep_merge_properties(base, over):
    b0, o0 = copy.deepcopy(base), copy.deepcopy(over)
    if _conflicts(base, over):
        with pytest.raises(ValueError, match="must be a dict"):
            _deep_merge(base, over)
        return
    out = _deep_merge(base, over)
    assert base == b0 and over == o0  # inputs untouched

    def check(b, o, m):
        assert set(m) == set(b) | set(o)
        for k in m:
            if k not in o:
                assert m[k] == b[k]  # kept from the registry
            elif isinstance(b.get(k), dict) and isinstance(o[k], dict):
                check(b[k], o[k], m[k])  # merged key by key
            else:
                assert m[k] == o[k]  # replaced

    check(base, over, out)
    assert _deep_merge(out, over) == out  # merging the same override again changes nothing
    assert _deep_merge(base, {}) == base


def test_unregister_model_removes_what_register_model_added(registered):
    from brainlearn.registry import unregister_model

    spec = register_model("t-gone", "mlp", MLPClassifier, epochs=2)
    assert "t-gone" in list_models("mlp")
    assert unregister_model("t-gone") == spec
    assert "t-gone" not in list_models()
    with pytest.raises(ValueError, match="unknown model 't-gone'"):
        unregister_model("t-gone")


def test_descriptions_speak_to_users():
    """No tracker references or paths of files a pip user does not have."""
    import re

    for name in list_models():
        text = model_spec(name).description
        assert text.strip(), name
        assert not re.search(r"\bissue\s*\d|#\d|\.toml\b|tests/|results/", text, re.I), \
            (name, text)
