import numpy as np
import pytest

from brainlearn import list_tasks, load_task, make_task


@pytest.mark.parametrize("name", list_tasks())
def test_shapes_types_and_determinism(name):
    X, y = make_task(name, 300, seed=3)
    assert X.dtype == np.float64 and X.ndim == 2 and X.shape[0] == 300
    assert y.dtype == np.int64 and y.shape == (300,)
    assert set(np.unique(y)) == {0, 1}
    X2, y2 = make_task(name, 300, seed=3)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    X3, _ = make_task(name, 300, seed=4)
    assert not np.array_equal(X, X3)


def test_definitions_are_exact():
    X, y = make_task("linear", 500, seed=0)
    np.testing.assert_array_equal(y, (X.sum(1) > 1).astype(int))
    X, y = make_task("xor", 500, seed=0)
    np.testing.assert_array_equal(y, ((X[:, 0] > 0.5) ^ (X[:, 1] > 0.5)).astype(int))
    X, y = make_task("circle", 500, seed=0)
    r2 = ((X - 0.5) ** 2).sum(1)
    np.testing.assert_array_equal(y, (r2 < 1 / (2 * np.pi)).astype(int))
    # seed-random reproduces the numpy draw order X = rand(n, 2), y = round(rand(n))
    rng = np.random.default_rng(7)
    Xr = rng.random((50, 2))
    yr = np.round(rng.random(50)).astype(int)
    X, y = make_task("seed-random", 50, seed=7)
    np.testing.assert_array_equal(X, Xr)
    np.testing.assert_array_equal(y, yr)


def test_balanced_tasks_and_ranges():
    for name in ("circle", "moons", "spiral", "linear"):
        _, y = make_task(name, 4000, seed=1)
        assert abs(y.mean() - 0.5) < 0.03, name
    for name in ("moons", "spiral"):
        X, _ = make_task(name, 4000, seed=1)
        assert X.min() > -0.15 and X.max() < 1.15, name


def test_moons_geometry():
    X, y = make_task("moons", 4000, seed=2)
    # undo the documented mapping; outer moon lies above the inner one on average
    x0 = X[:, 0] * 3.4 - 1.2
    x1 = X[:, 1] * 2.1 - 0.8
    assert x1[y == 0].mean() > 0.5 and x1[y == 1].mean() < 0.0
    assert abs(x0[y == 0].mean()) < 0.05 and abs(x0[y == 1].mean() - 1.0) < 0.05


def test_unknown_task_lists_valid_names():
    with pytest.raises(ValueError, match="unknown task 'nope'.*xor"):
        make_task("nope", 10)


@pytest.mark.parametrize("n", [0, -1, 2.5, "10", True])
def test_bad_sizes(n):
    with pytest.raises(ValueError, match="n"):
        make_task("xor", n)


def test_synthetic_split_test_set_independent_of_train_size():
    a = load_task("moons", n_train=10, n_test=200, seed=5)
    b = load_task("moons", n_train=1000, n_test=200, seed=5)
    np.testing.assert_array_equal(a.X_test, b.X_test)
    assert a.n_train == 10 and b.n_train == 1000


def test_breast_cancer_split_scales_on_train_only():
    s = load_task("breast-cancer", n_train=1000, n_test=1000, seed=0)
    assert s.X_train.shape == (398, 30) and s.X_test.shape == (171, 30)
    np.testing.assert_allclose(s.X_train.min(0), 0.0)
    np.testing.assert_allclose(s.X_train.max(0), 1.0)
    # disjoint rows: no test sample is also a training sample
    tr = {tuple(np.round(r, 12)) for r in s.X_train}
    assert not any(tuple(np.round(r, 12)) in tr for r in s.X_test)
    # class balance is kept in both parts (about 63 % benign)
    assert abs(s.y_train.mean() - 0.627) < 0.02 and abs(s.y_test.mean() - 0.627) < 0.02
    # a small training set is still stratified and scaled by its own rows only
    small = load_task("breast-cancer", n_train=20, n_test=1000, seed=0)
    assert small.n_train == 20 and set(small.y_train) == {0, 1}
    np.testing.assert_allclose(small.X_train.max(0), 1.0)
    assert small.X_test.max() > 1.0 or small.X_test.min() < 0.0
    other = load_task("breast-cancer", seed=1)
    assert not np.array_equal(other.y_test, s.y_test)
