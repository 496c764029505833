import numpy as np
import pytest

from brainlearn import list_tasks, load_task, make_task, task_info
from brainlearn.tasks import FILE_TASKS, REAL_TASKS, TaskInfo


# the tasks read from local files have their own tests (test_mnist_files.py)
@pytest.mark.parametrize("name", [t for t in list_tasks() if t not in FILE_TASKS])
def test_shapes_types_and_determinism(name):
    info = task_info(name)
    X, y = make_task(name, 300, seed=3)
    n = min(300, info.n_rows or 300)  # iris has 150 rows
    assert X.dtype == np.float64 and X.ndim == 2 and X.shape == (n, info.n_features)
    assert y.dtype == np.int64 and y.shape == (n,)
    assert set(np.unique(y)) == set(range(info.n_classes))
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


def test_task_info_and_details():
    assert list_tasks()[:6] == ["seed-random", "linear", "xor", "circle", "moons", "spiral"]
    assert all(isinstance(n, str) for n in list_tasks())
    details = list_tasks(details=True)
    assert [i.name for i in details] == list_tasks()
    assert all(isinstance(i, TaskInfo) for i in details)
    expected = {
        "xor": ("synthetic", 2, 2, None),
        "breast-cancer": ("real", 2, 30, 569),
        "digits-parity": ("real", 2, 64, 1797),
        "iris": ("real", 3, 4, 150),
        "digits": ("real", 10, 64, 1797),
    }
    for name, (kind, k, d, rows) in expected.items():
        info = task_info(name)
        assert (info.kind, info.n_classes, info.n_features, info.n_rows) == (kind, k, d, rows)
    with pytest.raises(ValueError, match="unknown task 'cifar10'"):
        task_info("cifar10")


def test_digit_tasks_are_scikit_learns_digits():
    from sklearn.datasets import load_digits

    raw = load_digits()
    X, y = make_task("digits", 5000, seed=0)  # every row, shuffled, scaled by 1/16
    order = np.lexsort(X.T)
    ref = np.lexsort((raw.data / 16).T)
    np.testing.assert_allclose(X[order], raw.data[ref] / 16)
    assert np.bincount(y).tolist() == np.bincount(raw.target).tolist()
    Xp, yp = make_task("digits-parity", 5000, seed=0)
    np.testing.assert_array_equal(Xp, X)  # same rows in the same order, labels = parity
    np.testing.assert_array_equal(yp, y % 2)


def _raw_rows(name):
    from sklearn import datasets

    loader = {"breast-cancer": "load_breast_cancer", "iris": "load_iris"}.get(name, "load_digits")
    return getattr(datasets, loader)().data


@pytest.mark.parametrize("name", REAL_TASKS)
def test_real_splits_are_stratified_disjoint_and_scaled_on_train(name):
    info = task_info(name)
    s = load_task(name, n_train=10_000, n_test=10_000, seed=0)
    n_test = round(0.3 * info.n_rows)
    assert (s.n_train, s.n_test) == (info.n_rows - n_test, n_test)  # sizes are upper bounds
    assert s.X_train.shape[1] == s.X_test.shape[1] == info.n_features
    # training statistics only: the training part spans [0, 1] exactly
    assert s.X_train.min() == 0.0 and s.X_train.max() == 1.0
    # disjoint and complete: mapped back through the per-column affine scaling, the rows of
    # both parts are the raw data set's rows, each exactly once (duplicates in it included)
    U = np.concatenate([s.X_train, s.X_test])
    R = _raw_rows(name)
    u_span = U.max(0) - U.min(0)
    scale = np.where(u_span > 0, (R.max(0) - R.min(0)) / np.where(u_span > 0, u_span, 1), 1)
    back = np.round((U - U.min(0)) * scale + R.min(0), 6)
    np.testing.assert_array_equal(back[np.lexsort(back.T)], np.round(R[np.lexsort(R.T)], 6))
    # stratified: every class in both parts in about its overall proportion
    p_all = np.bincount(np.concatenate([s.y_train, s.y_test])) / info.n_rows
    for part in (s.y_train, s.y_test):
        p = np.bincount(part, minlength=info.n_classes) / len(part)
        assert np.all(np.abs(p - p_all) < 0.02), (name, p, p_all)
    # the held-out rows do not depend on the requested training size, seeds differ
    small = load_task(name, n_train=30, n_test=10_000, seed=0)
    assert small.n_train == 30 and set(small.y_train) == set(range(info.n_classes))
    assert np.array_equal(np.sort(small.y_test), np.sort(s.y_test))
    assert not np.array_equal(load_task(name, seed=1).y_test, s.y_test)


def test_image_tasks_share_one_scale():
    # pixels are scaled by one min and range (x / 16), not per pixel: a pixel's value
    # means the same ink in every column and on both parts of the split
    s = load_task("digits", n_train=10_000, n_test=10_000, seed=2)
    from sklearn.datasets import load_digits

    values = set(np.round(np.concatenate([s.X_train, s.X_test]).ravel() * 16, 9))
    assert values <= set(float(v) for v in range(17))
    assert load_digits().data[:, 0].max() == 0  # a pixel without ink stays at 0
    assert np.all(s.X_train[:, 0] == 0) and np.all(s.X_test[:, 0] == 0)
