"""NetworkParams grouped by the population or projection that owns each parameter: every
field in one group, grouped and flat overrides give the same network, bad groups are named."""

from __future__ import annotations

import dataclasses

import pytest

from brainlearn.snn.params import make_params
from brainlearn.snn.populations import NetworkParams


def test_every_parameter_belongs_to_exactly_one_group():
    fields = [f.name for f in dataclasses.fields(NetworkParams)]
    grouped = [n for names in NetworkParams.GROUPS.values() for n in names]
    assert sorted(grouped) == sorted(fields)
    assert len(grouped) == len(set(grouped))


def test_grouped_and_flat_overrides_give_the_same_parameters():
    flat = make_params(NetworkParams, {"v_th_mv": 12.0, "w_out_mv": 160.0, "k_winners": 3})
    grouped = make_params(NetworkParams, {"lif": {"v_th_mv": 12.0},
                                          "hidden->efferent": {"w_out_mv": 160.0},
                                          "hidden": {"k_winners": 3}})
    mixed = make_params(NetworkParams, {"lif": {"v_th_mv": 12.0}, "w_out_mv": 160.0,
                                        "k_winners": 3})
    assert flat == grouped == mixed
    g = flat.grouped()
    assert g["lif"]["v_th_mv"] == 12.0 and g["hidden"]["k_winners"] == 3
    assert set(g) == set(NetworkParams.GROUPS)
    # given twice: the later one counts, as in a dict literal
    assert make_params(NetworkParams, {"w_out_mv": 1.0,
                                       "hidden->efferent": {"w_out_mv": 2.0}}).w_out_mv == 2.0


@pytest.mark.parametrize("overrides, match", [
    ({"lif": {"w_out_mv": 1.0}}, r"'w_out_mv' in group 'lif'.*belongs to 'hidden->efferent'"),
    ({"lif": {"v_thx_mv": 1.0}}, r"'v_thx_mv' in group 'lif'.*tau_m_ms"),
    ({"lif": 3.0}, r"group 'lif' .* must be a dict"),
    ({"lif": {"tau_m_ms": -1.0}}, r"tau_m_ms"),
])
def test_bad_groups_are_named(overrides, match):
    with pytest.raises(ValueError, match=match):
        make_params(NetworkParams, overrides, what="network_params")


def test_the_classifiers_take_grouped_network_params():
    from brainlearn import SpikingClassifier, SurrogateSpikingClassifier, make_model
    from brainlearn.snn.build import build_key

    net = {"hidden->efferent": {"w_out_mv": 160.0}}
    assert SpikingClassifier(network_params=net)._make_spec(2).net.w_out_mv == 160.0
    with pytest.raises(ValueError, match="'w_out_mv' in group 'lif'"):
        SpikingClassifier(network_params={"lif": {"w_out_mv": 1.0}})._check_hyperparameters()
    SurrogateSpikingClassifier(network_params={"lif": {"tau_m_ms": 10.0}})._check_hyperparameters()
    # a grouped override over a configuration's flat value: the same program
    a = make_model("snn-stdp", network_params={"hidden->efferent": {"w_out_mv": 120.0}})
    b = make_model("snn-stdp", network_params={"w_out_mv": 120.0})
    assert a._make_spec(2).net == b._make_spec(2).net
    assert [build_key(s) for s in a.program_specs(2, 2)] == \
        [build_key(s) for s in b.program_specs(2, 2)]


def test_the_arguments_of_the_classifier_are_refused_in_a_group_too():
    from brainlearn import SpikingClassifier, SurrogateSpikingClassifier

    with pytest.raises(ValueError, match="'n_hidden' as an argument"):
        SpikingClassifier(network_params={"hidden": {"n_hidden": 5}})._check_hyperparameters()
    with pytest.raises(ValueError, match="n_hidden and n_per_feature as arguments"):
        SurrogateSpikingClassifier(
            network_params={"hidden": {"n_hidden": 5}})._check_hyperparameters()
