"""Spec parsing: every error path names the file and the key; run identity is a config hash."""

from __future__ import annotations

import textwrap
import tomllib

import pytest

from brainlearn.runner.spec import (
    ANALYSES,
    DEFAULT_OPTIONS,
    SpecError,
    canonical,
    load_spec,
    resolve_runs,
)
from conftest import TEST_PLUGIN

HEAD = f"""
[experiment]
name = "t"
plugins = ["{TEST_PLUGIN}"]
"""
MODELS = """
[[models]]
name = "test-centroid"
"""
SWEEP = """
[[sweep]]
tasks = ["xor"]
seeds = [0]
n_train = 20
n_test = 20
"""


def write(tmp_path, text, name="s.toml"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return p


def test_tiny_spec_parses(tiny_spec, test_models):
    spec = load_spec(tiny_spec)
    assert spec.name == "tiny"
    assert [m.label for m in spec.models] == ["test-centroid", "spiky"]
    assert spec.sweeps[0].seeds == (0, 1)  # an integer n means 0 .. n-1
    assert spec.sweeps[1].n_train == (10, 30, 60)
    assert spec.options["boundary_grid"] == 11
    assert spec.options["raster_samples"] == DEFAULT_OPTIONS["raster_samples"]


BAD = [
    # (fragment replacing part of a valid spec, words the message must contain)
    ("top", "bogus = 1\n" + HEAD + MODELS + SWEEP, ["unknown key", "'bogus'"]),
    ("experiment", HEAD.replace('name = "t"', 'name = "t"\ncolour = "red"') + MODELS + SWEEP,
     ["experiment.", "'colour'"]),
    ("options-key", HEAD + "[options]\ngrid = 3\n" + MODELS + SWEEP, ["options.", "'grid'"]),
    ("options-type", HEAD + "[options]\nboundary_grid = \"big\"\n" + MODELS + SWEEP,
     ["options.boundary_grid", "integer"]),
    ("options-list", HEAD + "[options]\nnoise_sd = [0.1, \"x\"]\n" + MODELS + SWEEP,
     ["options.noise_sd[1]"]),
    ("ablation>=1", HEAD + "[options]\nablation_fractions = [0.0, 1.0]\n" + MODELS + SWEEP,
     ["options.ablation_fractions", "< 1"]),
    ("no-models", HEAD + SWEEP, ["missing key", "'models'"]),
    ("no-sweep", HEAD + MODELS, ["missing key", "'sweep'"]),
    ("model-key", HEAD + MODELS + "size = 3\n" + SWEEP, ["models[0].", "'size'"]),
    ("model-name", HEAD + MODELS.replace("test-centroid", "resnet") + SWEEP,
     ["unknown model 'resnet'", "models[0].name"]),
    ("param-name", HEAD + MODELS + "params = { depth = 3 }\n" + SWEEP,
     ["unknown parameter", "models[0].params.depth"]),
    ("param-type", HEAD + MODELS + 'params = { epochs = "many" }\n' + SWEEP,
     ["wrong type", "models[0].params.epochs", "'many'"]),
    ("param-bool", HEAD + MODELS + "params = { spiking = 1 }\n" + SWEEP,
     ["wrong type", "models[0].params.spiking"]),
    ("param-int-float", HEAD + MODELS + "params = { epochs = 2.5 }\n" + SWEEP,
     ["wrong type", "models[0].params.epochs"]),
    ("random_state", HEAD + MODELS + "params = { random_state = 3 }\n" + SWEEP,
     ["random_state", "seeds"]),
    ("params-not-table", HEAD + MODELS + "params = 3\n" + SWEEP, ["models[0].params", "table"]),
    ("dup-label", HEAD + MODELS + MODELS + SWEEP, ["duplicate model label", "'test-centroid'"]),
    ("sweep-key", HEAD + MODELS + SWEEP + "repeat = 2\n", ["sweep[0].", "'repeat'"]),
    ("sweep-missing", HEAD + MODELS + SWEEP.replace("n_test = 20\n", ""),
     ["missing key", "sweep[0].'n_test'"]),
    ("task", HEAD + MODELS + SWEEP.replace('"xor"', '"cifar10"'),
     ["unknown task 'cifar10'", "sweep[0].tasks"]),
    ("tasks-type", HEAD + MODELS + SWEEP.replace('["xor"]', '"xor"'),
     ["sweep[0].tasks", "array"]),
    ("label", HEAD + MODELS + SWEEP + 'models = ["nope"]\n',
     ["unknown model label 'nope'", "sweep[0].models"]),
    ("analysis", HEAD + MODELS + SWEEP + 'analyses = ["saliency"]\n',
     ["unknown analysis 'saliency'", "sweep[0].analyses"]),
    ("seeds-type", HEAD + MODELS + SWEEP.replace("seeds = [0]", 'seeds = "0"'),
     ["sweep[0].seeds", "string"]),
    ("seeds-negative", HEAD + MODELS + SWEEP.replace("seeds = [0]", "seeds = [-1]"),
     ["sweep[0].seeds[0]", ">= 0"]),
    ("seeds-repeated", HEAD + MODELS + SWEEP.replace("seeds = [0]", "seeds = [1, 1]"),
     ["sweep[0].seeds", "repeated"]),
    ("n_train-float", HEAD + MODELS + SWEEP.replace("n_train = 20", "n_train = 20.5"),
     ["sweep[0].n_train", "float"]),
    ("n_train-zero", HEAD + MODELS + SWEEP.replace("n_train = 20", "n_train = [10, 0]"),
     ["sweep[0].n_train[1]", ">= 1"]),
    ("n_test-list", HEAD + MODELS + SWEEP.replace("n_test = 20", "n_test = [20]"),
     ["sweep[0].n_test", "integer"]),
    ("n_test-bool", HEAD + MODELS + SWEEP.replace("n_test = 20", "n_test = true"),
     ["sweep[0].n_test", "boolean"]),
    ("dup-sweep", HEAD + MODELS + SWEEP + SWEEP.replace("[[sweep]]", "[[sweep]]\nname = 'sweep-0'"),
     ["duplicate sweep name"]),
    ("plugin", HEAD.replace(TEST_PLUGIN, "no_such_module_xyz") + MODELS + SWEEP,
     ["cannot import plugin", "no_such_module_xyz"]),
    ("toml", HEAD + MODELS + SWEEP + "tasks = [\n", ["invalid TOML"]),
    ("experiment-type", 'experiment = 3\n' + MODELS + SWEEP, ["[experiment]", "table"]),
]


@pytest.mark.parametrize("case,text,words", BAD, ids=[b[0] for b in BAD])
def test_every_error_names_the_file_and_the_key(tmp_path, test_models, case, text, words):
    path = write(tmp_path, text, name=f"bad-{case}.toml")
    with pytest.raises(SpecError) as err:
        load_spec(path)
    msg = str(err.value)
    assert str(path) in msg
    for w in words:
        assert w in msg, (w, msg)


def test_missing_file_is_a_spec_error(tmp_path):
    with pytest.raises(SpecError, match="no such spec file"):
        load_spec(tmp_path / "nope.toml")


def test_unknown_analysis_names_are_exactly_the_figures():
    assert set(ANALYSES) == {
        "decision_boundaries", "learning_curves", "spike_raster", "receptive_fields",
        "data_scarcity", "compute_cost", "robustness", "weight_evolution", "confusion_matrix",
        "presentation_time"}


# ------------------------------------------------------------------ identity


def _runs(tmp_path, text):
    return resolve_runs([load_spec(write(tmp_path, text))])


def test_run_identity_is_a_hash_of_the_resolved_configuration(tmp_path, test_models):
    base = HEAD + MODELS + SWEEP
    a = _runs(tmp_path, base)
    b = _runs(tmp_path, base)
    assert len(a) == 1 and a[0].run_id == b[0].run_id and len(a[0].run_id) == 16
    cfg = a[0]
    # every hyperparameter is resolved, including the class defaults not named anywhere
    assert cfg.params == {"epochs": 3, "learning_rate": 0.2, "n_prototypes": 12,
                          "spiking": False, "temperature": 0.05}
    # giving a default explicitly is the same configuration
    same = _runs(tmp_path, HEAD + MODELS + "params = { epochs = 3 }\n" + SWEEP)
    assert same[0].run_id == cfg.run_id
    # the label is presentation, not identity
    relabelled = _runs(tmp_path, HEAD + MODELS + 'label = "nice"\n' + SWEEP)
    assert relabelled[0].run_id == cfg.run_id and relabelled[0].label == "nice"
    # anything that changes the numbers changes the id
    variants = [
        HEAD + MODELS + "params = { epochs = 4 }\n" + SWEEP,
        HEAD + MODELS + SWEEP.replace("seeds = [0]", "seeds = [1]"),
        HEAD + MODELS + SWEEP.replace("n_train = 20", "n_train = 21"),
        HEAD + MODELS + SWEEP.replace("n_test = 20", "n_test = 21"),
        HEAD + MODELS + SWEEP.replace('"xor"', '"moons"'),
        HEAD + MODELS + SWEEP + 'analyses = ["compute_cost"]\n',
    ]
    ids = {cfg.run_id} | {_runs(tmp_path, v)[0].run_id for v in variants}
    assert len(ids) == len(variants) + 1


def test_only_the_options_of_a_runs_analyses_are_part_of_its_identity(tmp_path, test_models):
    boundary = SWEEP + 'analyses = ["decision_boundaries"]\n'
    base = _runs(tmp_path, HEAD + MODELS + boundary)[0].run_id
    finer = _runs(tmp_path, HEAD + "[options]\nboundary_grid = 5\n" + MODELS + boundary)
    other = _runs(tmp_path, HEAD + "[options]\nnoise_sd = [0.0, 0.5]\n" + MODELS + boundary)
    assert finer[0].run_id != base  # the grid of its own analysis changes the numbers
    assert other[0].run_id == base  # robustness settings do not touch this run


def test_data_version_is_part_of_the_identity(tmp_path, test_models):
    import dataclasses

    cfg = _runs(tmp_path, HEAD + MODELS + SWEEP)[0]
    assert dataclasses.replace(cfg, data_version="tasks-999").run_id != cfg.run_id


def test_overlapping_sweeps_share_runs_and_merge_analyses(tmp_path, test_models):
    text = HEAD + MODELS + SWEEP + 'analyses = ["compute_cost"]\n' + SWEEP.replace(
        "[[sweep]]", "[[sweep]]\nname = 'b'").replace("n_train = 20", "n_train = [10, 20]") + \
        'analyses = ["robustness"]\n'
    runs = _runs(tmp_path, text)
    assert sorted(r.n_train for r in runs) == [10, 20]
    shared = next(r for r in runs if r.n_train == 20)
    assert shared.analyses == ("compute_cost", "robustness")
    assert shared.sweeps == ("t/sweep-0", "t/b")


def test_runs_are_ordered_seed_major(tiny_spec, test_models):
    runs = resolve_runs([load_spec(tiny_spec)])
    seeds = [r.seed for r in runs]
    assert seeds == sorted(seeds)
    assert len(runs) == 2 * 2 * 2 + 2 * 2 * 2  # main 2x2x2, scarcity adds sizes 10 and 30
    assert len({r.run_id for r in runs}) == len(runs)


def test_config_round_trips_through_a_dict(tiny_spec, test_models):
    from brainlearn.runner.spec import RunConfig

    for r in resolve_runs([load_spec(tiny_spec)]):
        back = RunConfig.from_dict(r.to_dict())
        assert back == r and back.run_id == r.run_id and back.overrides == r.overrides


def test_canonical_refuses_values_without_a_stable_repr():
    class Opaque:
        pass

    with pytest.raises(TypeError, match="deterministically"):
        canonical({"rule": Opaque()})
    assert canonical({"b": (1, 2), "a": 1.0}) == {"a": 1.0, "b": [1, 2]}


def test_shipped_specs_are_valid_toml_with_the_required_shape():
    """default.toml and full.toml: the comparison the issue asks for (checked without models)."""
    from brainlearn.cli import SHIPPED_SPECS as root

    default = tomllib.loads((root / "default.toml").read_text())
    names = [m["name"] for m in default["models"]]
    assert names == ["mlp-seed", "mlp-wide", "snn-stdp", "snn-hebbian", "snn-rstdp",
                     "snn-stdp-scratch", "snn-delta-skip", "snn-surrogate",
                     "snn-surrogate-poisson", "snn-surrogate-current", "snn-frozen",
                     "snn-random", "ref-logreg", "ref-knn", "ref-svm", "ref-kmeans",
                     "hebb-krotov", "hebb-krotov-frozen", "hebb-softhebb",
                     "hebb-softhebb-frozen"]
    comp = next(s for s in default["sweep"] if s["name"] == "comparison")
    assert comp["tasks"] == ["seed-random", "linear", "xor", "circle", "moons", "spiral",
                             "breast-cancer", "digits-parity"]
    # 5 seeds: the issues state their targets as means over 5
    assert comp["seeds"] == [0, 1, 2, 3, 4] and comp["n_train"] == 1000 and comp["n_test"] == 1000
    scarce = next(s for s in default["sweep"] if s["name"] == "data-scarcity")
    assert scarce["n_train"] == [10, 30, 100, 300, 1000]
    # every figure has its data: the confusion matrix is multiclass.toml's (issue 9), asking
    # it of the default runs would change their ids and redo the committed records
    multiclass_only = {"confusion_matrix"}
    asked = {a for s in default["sweep"] for a in s.get("analyses", [])}
    assert asked == set(ANALYSES) - multiclass_only
    full = tomllib.loads((root / "full.toml").read_text())
    fcomp = next(s for s in full["sweep"] if s["name"] == "comparison")
    assert fcomp["seeds"] == 10 and len(fcomp["tasks"]) == 8
    assert ({a for s in full["sweep"] for a in s.get("analyses", [])}
            == set(ANALYSES) - multiclass_only)
    multiclass = tomllib.loads((root / "multiclass.toml").read_text())
    assert multiclass_only <= {a for s in multiclass["sweep"] for a in s.get("analyses", [])}
    # MNIST at the Diehl & Cook (2015) sizes, from local files; not in the default run
    mnist = tomllib.loads((root / "mnist.toml").read_text())
    assert [m["name"] for m in mnist["models"]] == ["mlp-wide64", "ref-kmeans", "snn-dc2015",
                                                   "snn-dc2015-frozen", "hebb-krotov",
                                                   "hebb-softhebb"]
    (dc,) = mnist["sweep"]
    assert (dc["tasks"], dc["n_train"], dc["n_test"]) == (["mnist"], 60000, 10000)
    assert all("mnist" not in s["tasks"] for s in default["sweep"] + full["sweep"])


def test_shipped_specs_resolve_against_the_registry():
    """The shipped specs parse completely, model parameters checked by the estimators."""
    from brainlearn.cli import SHIPPED_SPECS

    for name in ("default", "full", "multiclass", "mnist"):  # mnist: without its files
        assert resolve_runs([load_spec(SHIPPED_SPECS / f"{name}.toml")])


def test_every_option_belongs_to_an_analysis_or_to_every_run():
    from brainlearn.runner.spec import OPTION_ANALYSIS

    assert set(OPTION_ANALYSIS) == set(DEFAULT_OPTIONS)
    assert set(OPTION_ANALYSIS.values()) - {None} <= set(ANALYSES)


def test_training_accuracy_subset_is_part_of_every_runs_identity(tmp_path, test_models):
    base = _runs(tmp_path, HEAD + MODELS + SWEEP)[0]
    sub = _runs(tmp_path, HEAD + "[options]\ntrain_eval_samples = 5\n" + MODELS + SWEEP)[0]
    assert sub.run_id != base.run_id and sub.options == {"train_eval_samples": 5}
