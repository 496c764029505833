"""The typed names of :mod:`brainlearn.snn.names` are the strings the stored records, the
fitted models and the build keys use, and nothing typed leaks into what is stored.

No number or key is pinned here: the checks compare the types with whatever the shipped
records and a fitted model hold.
"""

from __future__ import annotations

import json
import pickle
import warnings
from pathlib import Path

import numpy as np
import pytest

from brainlearn.runner.storage import load_records
from brainlearn.snn.names import (
    LEGACY_NAMES,
    BrianVariable,
    PopulationName,
    SynapsesName,
    TimedInput,
    WeightKey,
    current_name,
    plain_keys,
)

ROOT = Path(__file__).resolve().parent.parent
TINY = dict(n_hidden=6, n_per_feature=4, n_per_class=2, chunk_size=16, min_presentations=0,
            network_params={"presentation_ms": 20.0, "skip_readout": True})


def _payload_keys(name: str, part) -> set[str]:
    keys: set[str] = set()
    # the default comparison's records (results/runs/)
    for rec in load_records(ROOT, move_invalid=False):
        p = rec.payload(name)
        if p is not None:
            keys |= set(part(p))
    return keys


def test_the_stored_records_use_the_typed_names():
    """Every population of a recorded spike raster and every projection of a recorded
    weight evolution is a member, under its name now or its name up to 0.1.0."""
    pops = _payload_keys("spike_raster", lambda p: [*p["before"], *p["after"]])
    projections = _payload_keys("weight_evolution", lambda p: p["projections"])
    assert pops and projections, "the shipped results hold spike rasters and weight histories"
    for key in pops:
        assert PopulationName(current_name(key)) == current_name(key)
    for key in projections:
        assert WeightKey(current_name(key)) == current_name(key)


def test_the_figures_read_old_records_under_the_names_now():
    """A record written before the rename (hidden population "interneuron") is drawn with
    today's names: the figures' payload reader maps them."""
    from brainlearn.figures._data import payload

    class Old:
        def payload(self, name):
            return {"before": {"interneuron": {"n": 3}, "afferent": {"n": 2}},
                    "projections": {"afferent->interneuron": {"n_weights": 6}}}

    p = payload(Old(), "spike_raster")
    assert set(p["before"]) == {"hidden", "afferent"}
    assert p["before"]["hidden"] == {"n": 3}
    assert set(p["projections"]) == {WeightKey.IN}


def test_the_old_names_answer_with_a_future_warning():
    weights = plain_keys({WeightKey.IN: 1, WeightKey.OUT: 2})
    for old, new in LEGACY_NAMES.items():
        if new in weights:
            with pytest.warns(FutureWarning, match=f"{old}.*{new}"):
                assert weights[old] == weights[new]
            with pytest.warns(FutureWarning):
                assert weights.get(old) == weights[new]
    with pytest.raises(KeyError):
        weights["interneuron"]  # an old name of a population: not a key of this dict
    assert weights.get("nothing", 7) == 7
    # no trace of the shim in a pickle or a deep copy
    assert type(pickle.loads(pickle.dumps(weights))) is dict
    assert b"NameKeyed" not in pickle.dumps(weights)


def test_the_old_group_name_of_network_params_is_read_with_a_warning():
    from brainlearn.snn.params import make_params
    from brainlearn.snn.populations import NetworkParams

    with pytest.warns(FutureWarning, match="interneuron"):
        old = make_params(NetworkParams, {"interneuron": {"theta_plus_mv": 0.25}})
    assert old == make_params(NetworkParams, {"hidden": {"theta_plus_mv": 0.25}})
    assert old.theta_plus_mv == 0.25
    with pytest.warns(FutureWarning, match="afferent->interneuron"):
        grouped = {"afferent->interneuron": {"w_in_mv": 9.0}}
        assert make_params(NetworkParams, grouped).w_in_mv == 9.0


def test_a_member_is_its_string_in_lookups_json_and_formatting():
    weights = plain_keys({WeightKey.IN: 1, WeightKey.OUT: 2})
    assert all(type(k) is str for k in weights)
    assert weights["afferent->hidden"] == weights[WeightKey.IN] == 1
    typed = {PopulationName.AFFERENT: [1], TimedInput.LEARN_HIDDEN: 0.0}
    assert json.dumps(typed, sort_keys=True) == json.dumps(
        {"afferent": [1], "learn_hidden": 0.0}, sort_keys=True)
    assert f"{PopulationName.EFFERENT}" == str(PopulationName.EFFERENT) == "efferent"
    assert type(str(SynapsesName.AFFERENT_HIDDEN)) is str
    assert TimedInput.RATES.array == "rates_ta"
    assert PopulationName.HIDDEN.count_monitor == "count_hidden"


def test_weight_keys_name_their_populations_and_synapses():
    for key in WeightKey:
        assert key == f"{key.source}->{key.target}"
        assert key.synapses == f"{key.source}_{key.target}"


def test_brian_variables_parse_their_keys():
    v = BrianVariable(SynapsesName.AFFERENT_HIDDEN, "w")
    assert v.key == "afferent_hidden.w" and type(v.key) is str
    assert BrianVariable.parse(v.key) == v
    for bad in ("w", "a.b.c", ".w", "a."):
        with pytest.raises(ValueError, match="object.variable"):
            BrianVariable.parse(bad)


def _plain_data(x, where="describe()"):
    """Every string, number and key of ``x`` is of a built-in type (no enum member)."""
    if isinstance(x, dict):
        for k, v in x.items():
            assert type(k) is str, f"{where}: key {k!r} is a {type(k).__name__}"
            _plain_data(v, f"{where}[{k!r}]")
    elif isinstance(x, list | tuple):
        assert type(x) in (list, tuple), f"{where} is a {type(x).__name__}"
        for i, v in enumerate(x):
            _plain_data(v, f"{where}[{i}]")
    else:
        assert x is None or type(x) in (str, int, float, bool), \
            f"{where} = {x!r} is a {type(x).__name__}"


def test_the_described_network_is_plain_data():
    """What the build key hashes (and the program's variable map records) holds plain
    strings and numbers only: the names' types never reach a key or a file."""
    pytest.importorskip("brian2")
    from brainlearn.snn.graph import STATE_VARIABLES, blueprint
    from brainlearn.snn.model import SpikingClassifier

    spec = SpikingClassifier(readout_rule="rstdp", **TINY)._make_spec(2, 3)
    bp = blueprint(spec)
    _plain_data(bp.describe())
    # the learned state lives in the projections of the weight keys
    names = {s.name for s in bp.projections}
    for field_name, key in (("w_in", WeightKey.IN), ("w_out", WeightKey.OUT),
                            ("w_skip", WeightKey.SKIP)):
        assert STATE_VARIABLES[field_name].obj == key.synapses
        assert key.synapses in names
    for b in bp.boundaries:
        obj, code, order = b  # still a (name, code, order) triple
        assert obj in names or obj in set(PopulationName)


def test_a_fitted_model_keeps_plain_string_keys(recorded_builds):
    """``weights_`` and its kin are keyed by plain strings (equal to the typed names), so a
    pickle of them does not refer to the name types."""
    pytest.importorskip("brian2")
    from brainlearn.snn.model import SpikingClassifier

    rng = np.random.default_rng(0)
    X, y = rng.random((20, 2)), np.arange(20) % 2
    model = SpikingClassifier(random_state=0, **TINY)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the stand-in network is silent
        model.fit(X, y)
    for d in (model.weights_, model.initial_weights_, *model.weight_history_):
        assert set(d) == set(WeightKey)
        assert all(type(k) is str for k in d)
    blob = pickle.dumps((model.weights_, model.initial_weights_, model.weight_history_))
    assert b"brainlearn.snn.names" not in blob
