import pytest

from brainlearn import list_models, make_model, model_spec


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
