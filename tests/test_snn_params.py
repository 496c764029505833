"""Range checks of the spiking side's parameter dataclasses (no Brian2 run needed).

Every impossible setting is a ValueError that names the parameter, whether the dataclass
is built directly or through ``make_params`` from an experiment's dict.
"""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from brainlearn.snn.params import MAX_MV, make_params
from brainlearn.snn.plasticity import HebbianParams, RSTDPParams, STDPParams
from brainlearn.snn.populations import NetworkParams

POSITIVE = {
    NetworkParams: ["dt_ms", "presentation_ms", "tau_m_ms", "tau_e_ms", "tau_i_ms",
                    "tau_theta_ms", "sigma_scale", "rate_max_hz"],
    STDPParams: ["tau_pre_ms", "tau_post_ms", "w_max"],
    HebbianParams: ["x_ref", "y_ref", "w_max"],
    RSTDPParams: ["tau_pre_ms", "tau_post_ms", "tau_e_ms", "reward_eps", "w_max"],
}
NON_NEGATIVE = {
    NetworkParams: ["rate_min_hz", "refractory_ms", "theta_plus_mv", "theta_max_mv",
                    "w_in_mv", "w_ei_mv", "w_ie_mv", "w_out_mv", "w_lat_mv", "teacher_mv",
                    "suppress_mv", "noise_mv", "w_init_low", "w_out_init_low"],
    STDPParams: ["eta_dep", "eta_pot", "x_tar", "mu"],
    HebbianParams: ["eta"],
    RSTDPParams: ["a_plus", "a_minus", "eta"],
}
CASES = [(cls, name, True) for cls, names in POSITIVE.items() for name in names] + [
    (cls, name, False) for cls, names in NON_NEGATIVE.items() for name in names
]


def test_defaults_are_valid():
    for cls in POSITIVE:
        cls()


@pytest.mark.parametrize(("cls", "name", "strict"), CASES,
                         ids=[f"{c.__name__}.{n}" for c, n, _ in CASES])
@given(value=st.floats(max_value=0.0, allow_nan=False, allow_infinity=False))
def test_out_of_range_values_are_named(cls, name, strict, value):
    if not strict and value == 0.0:
        make_params(cls, {name: value})  # zero is allowed where >= 0
        return
    with pytest.raises(ValueError, match=name):
        make_params(cls, {name: value if strict else min(value, -1e-9)})
    with pytest.raises(ValueError, match=name):
        cls(**{name: value if strict else min(value, -1e-9)})


@pytest.mark.parametrize("name", ["w_out_mv", "w_in_mv", "teacher_mv", "noise_mv", "v_th_mv"])
@given(value=st.floats(min_value=MAX_MV * 1.0001, allow_infinity=False))
def test_absurd_voltage_scales_are_rejected(name, value):
    with pytest.raises(ValueError, match=name):
        NetworkParams(**{name: value})


def test_bounds_must_be_ordered():
    with pytest.raises(ValueError, match="w_init_low"):
        NetworkParams(w_init_low=0.9, w_init_high=0.1)
    with pytest.raises(ValueError, match="w_out_init_low"):
        NetworkParams(w_out_init_low=0.5, w_out_init_high=0.2)
    with pytest.raises(ValueError, match="rate_min_hz"):
        NetworkParams(rate_min_hz=50.0, rate_max_hz=40.0)
    with pytest.raises(ValueError, match="v_reset_mv"):
        NetworkParams(v_reset_mv=20.0, v_th_mv=15.0)
    with pytest.raises(ValueError, match="w_init_high"):
        NetworkParams(w_init_high=1.5)  # a fraction of w_max
    with pytest.raises(ValueError, match="presentation_ms"):
        NetworkParams(presentation_ms=0.5, dt_ms=0.5)
    with pytest.raises(ValueError, match="rate_max_hz"):
        NetworkParams(rate_max_hz=5000.0, dt_ms=0.5)  # more than one spike per step
    with pytest.raises(ValueError, match="baseline_presentations"):
        RSTDPParams(baseline_presentations=0.5)


def test_wrong_types_and_unknown_keys_are_named():
    with pytest.raises(ValueError, match="n_hidden"):
        NetworkParams(n_hidden=2.5)
    with pytest.raises(ValueError, match="poisson_input"):
        NetworkParams(poisson_input=1)
    with pytest.raises(ValueError, match="network_params"):
        make_params(NetworkParams, [1, 2], what="network_params")
    with pytest.raises(ValueError, match="tau_mm_ms"):
        make_params(NetworkParams, {"tau_mm_ms": 1.0})


@given(st.fixed_dictionaries({}, optional={
    "tau_m_ms": st.floats(0.1, 1000), "w_out_mv": st.floats(0, MAX_MV),
    "w_init_low": st.floats(0, 0.5), "w_init_high": st.floats(0.5, 1),
    "noise_mv": st.floats(0, 100)}))
def test_valid_values_are_kept(overrides):
    p = make_params(NetworkParams, overrides)
    assert {k: getattr(p, k) for k in overrides} == overrides
    assert dataclasses.replace(p) == p


def test_a_step_count_beyond_the_bound_is_refused_by_the_parameter_check():
    from brainlearn import SpikingClassifier

    with pytest.raises(ValueError, match="dt_ms.*5e\\+07 simulation steps"):
        SpikingClassifier(network_params={"dt_ms": 1e-6})._check_hyperparameters()
