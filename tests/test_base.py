"""The estimator base (brainlearn._base): every registered estimator declares a constraint
for each of its parameters and refuses a bad one with scikit-learn's error naming it, and
the shared part of ``ablated`` (:func:`~brainlearn._base.ablation_copy`)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import check_param_validation

from brainlearn import list_models, make_model
from brainlearn._base import BrainlearnClassifier, ablation_copy


def _package_estimators():
    """One registered configuration per estimator class of the package."""
    seen = {}
    for name in list_models():
        est = make_model(name)
        if type(est).__module__.startswith("brainlearn.") and type(est) not in seen:
            seen[type(est)] = est
    return list(seen.values())


@pytest.mark.parametrize("est", _package_estimators(), ids=lambda e: type(e).__name__)
def test_every_parameter_is_declared_and_a_bad_one_named(est):
    """scikit-learn's own check: a constraint for each parameter, and ``fit`` raises
    ``InvalidParameterError`` ("The 'name' parameter of Class must be ...") for a value of
    a wrong type and for one out of range, before it touches the data."""
    assert isinstance(est, BrainlearnClassifier)
    check_param_validation(type(est).__name__, est)


class _Fitted(BaseEstimator):
    def fit(self, X=None, y=None):
        self.w_ = np.arange(12.0).reshape(3, 4)
        self.v_ = np.arange(5.0)
        return self


def test_ablation_copy_draws_pooled_and_copies():
    est = _Fitted().fit()
    new, draw = ablation_copy(est, 0.3, "synapses", random_state=0)
    assert new is not est and new.w_ is not est.w_
    in_w, in_v = draw([est.w_.size, est.v_.size])
    # one draw pooled over the groups: round(0.3 * 17) = 5 distinct elements, numbered
    # within their group, the same as one choice from a generator of the same seed
    chosen = np.random.default_rng(0).choice(17, size=5, replace=False)
    np.testing.assert_array_equal(in_w, chosen[chosen < 12])
    np.testing.assert_array_equal(in_v, chosen[chosen >= 12] - 12)
    # a second draw continues the same generator; a Generator given is used, not copied
    gen = np.random.default_rng(4)
    _, draw = ablation_copy(est, 0.5, "neurons", random_state=gen)
    (units,) = draw([6])
    ref = np.random.default_rng(4)
    np.testing.assert_array_equal(units, ref.choice(6, size=3, replace=False))
    assert gen.random() == ref.random()
    np.testing.assert_array_equal(est.w_, np.arange(12.0).reshape(3, 4))  # untouched


@pytest.mark.parametrize("args, match", [
    ((1.5, "synapses", 0), r"fraction must be a number in \[0, 1\], got 1.5"),
    ((float("nan"), "synapses", 0), "fraction must be a number"),
    ((True, "synapses", 0), "fraction must be a number"),
    (("a", "synapses", 0), "fraction must be a number"),
    ((0.5, "axons", 0), "unknown kind 'axons'; valid: synapses, neurons"),
    ((0.5, "neurons", -1), "random_state must be None, an int >= 0"),
])
def test_ablation_copy_checks_its_arguments(args, match):
    with pytest.raises(ValueError, match=match):
        ablation_copy(_Fitted().fit(), *args)


def test_ablation_copy_needs_a_fitted_estimator():
    with pytest.raises(NotFittedError):
        ablation_copy(_Fitted(), 0.5, "synapses", 0)


def test_fit_progress_writes_at_most_every_interval_and_always_the_last_line():
    import io

    from brainlearn._base import FitProgress

    out = io.StringIO()
    quiet = FitProgress(0, "Model", 10, "epochs", stream=out)
    for k in range(1, 11):
        quiet.update(k, final=k == 10, loss=0.5)
    assert out.getvalue() == ""
    # level 1 with a long interval: only the final line
    once = FitProgress(1, "Model", 10, "epochs", interval_s=3600, stream=out)
    for k in range(1, 11):
        once.update(k, final=k == 10, train_accuracy=0.91234)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Model: 10/10 epochs (100 %), ")
    assert lines[0].endswith(", train accuracy 0.912")
    # level 2: every update
    out2 = io.StringIO()
    each = FitProgress(2, "Model", 4, "presentations", interval_s=3600, stream=out2)
    for k in (1, 2, 3, 4):
        each.update(k)
    assert [ln.split(" (")[0] for ln in out2.getvalue().splitlines()] == [
        f"Model: {k}/4 presentations" for k in (1, 2, 3, 4)]


def test_verbose_prints_a_fits_progress_and_is_no_part_of_a_runs_identity(capsys):
    """The surrogate network (fast) prints one line per epoch at verbose=2, nothing at 0;
    the runner's hyperparameters (the run's identity) leave ``verbose`` out, so a verbose
    run is the same run."""
    from brainlearn.runner.models import hyperparameters
    from brainlearn.surrogate.model import SurrogateSpikingClassifier

    rng = np.random.default_rng(0)
    X, y = rng.random((40, 2)), np.arange(40) % 2
    kw = dict(n_hidden=8, n_per_feature=4, epochs=3, random_state=0)
    quiet = SurrogateSpikingClassifier(**kw).fit(X, y)
    assert capsys.readouterr().err == ""
    loud = SurrogateSpikingClassifier(**kw, verbose=2).fit(X, y)
    lines = capsys.readouterr().err.splitlines()
    assert [ln.split(" (")[0] for ln in lines] == [
        f"SurrogateSpikingClassifier: {k}/3 epochs" for k in (1, 2, 3)]
    assert all("loss" in ln and "train accuracy" in ln for ln in lines)
    np.testing.assert_array_equal(loud.weights_["afferent->hidden"],
                                  quiet.weights_["afferent->hidden"])
    for name in ("snn-stdp", "snn-surrogate"):
        assert hyperparameters(make_model(name, verbose=1)) == hyperparameters(make_model(name))
        assert "verbose" not in hyperparameters(make_model(name))


def test_n_jobs_is_checked_and_part_of_a_runs_identity_only_when_set():
    """The spiking classifier's ``n_jobs`` (runs of the inference program side by side):
    unset, the runs recorded before it existed keep their ids; set, it is part of the run
    (another draw of the prediction's spikes). Bad values name it."""
    from brainlearn.runner.models import hyperparameters
    from brainlearn.snn.model import SpikingClassifier

    base = hyperparameters(make_model("snn-stdp"))
    assert "n_jobs" not in base
    assert hyperparameters(make_model("snn-stdp", n_jobs=1)) == base  # the same runs
    assert hyperparameters(make_model("snn-stdp", n_jobs=2)) == {**base, "n_jobs": 2}
    assert hyperparameters(make_model("snn-stdp", n_jobs=-1)) == {**base, "n_jobs": -1}
    for ok in (None, 1, 2, -1):
        SpikingClassifier(n_jobs=ok)._check_hyperparameters()
    for bad in (0, 1.5, "2"):
        with pytest.raises((ValueError, TypeError), match="n_jobs"):
            SpikingClassifier(n_jobs=bad)._check_hyperparameters()


def test_a_pickle_from_before_a_parameter_existed_takes_its_default():
    """An estimator pickled before ``n_jobs`` existed unpickles with ``n_jobs=None`` (its
    default), so ``get_params``, ``clone`` and predictions work; its other values stay."""
    import pickle

    from sklearn.base import clone

    from brainlearn.snn.model import SpikingClassifier

    est = SpikingClassifier(n_hidden=7, n_jobs=2)
    state = dict(est.__getstate__())  # a copy: the estimator keeps its own
    del state["n_jobs"]
    old = SpikingClassifier.__new__(SpikingClassifier)
    old.__setstate__(state)
    assert old.n_jobs is None and old.n_hidden == 7
    assert clone(old).get_params()["n_jobs"] is None
    assert pickle.loads(pickle.dumps(est)).n_jobs == 2  # a value pickled with it is kept


def test_the_readouts_one_thread_blas_limit_is_restored_when_threads_interleave(
        monkeypatch):
    """Two predictions in two threads: A enters the one-thread limit, B enters, A leaves
    while B is inside, B leaves. The limit (process-wide in threadpoolctl) is set once, on
    A's entry, stays while B is inside, and is lifted once, on B's exit, so BLAS gets its
    own number of threads back (a limit per entry would leave it at one: A saves N and
    sets 1, B saves 1, A restores N, B restores 1)."""
    import threading

    from brainlearn.snn import model

    events = []

    class Limit:
        def restore_original_limits(self):
            events.append("restore")

    class Controller:
        def limit(self, limits, user_api):
            events.append(f"limit {user_api} {limits}")
            return Limit()

    monkeypatch.setattr(model, "_blas_controller", Controller)
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def a():
        with model._one_blas_thread():
            a_in.set()
            b_in.wait(10)
        a_out.set()

    def b():
        a_in.wait(10)
        with model._one_blas_thread():
            b_in.set()
            a_out.wait(10)
            seen["b after a left"] = list(events)

    threads = [threading.Thread(target=f) for f in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert seen["b after a left"] == ["limit blas 1"]
    assert events == ["limit blas 1", "restore"]
    with model._one_blas_thread():  # and again, alone
        pass
    assert events == ["limit blas 1", "restore", "limit blas 1", "restore"]
