"""MNIST-format tasks read from local files (issue 17 part 4): IDX (plain and gzipped) and
Keras-style .npz written here, tiny; every kind of bad input is a clear error naming the
file, never a partial data set."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

from brainlearn import list_tasks, load_task, make_task, task_info
from brainlearn.tasks import DATA_ENV, FILE_TASKS, check_task_data, read_idx

N_TRAIN, N_TEST = 50, 20


def _data(seed=0, n_train=N_TRAIN, n_test=N_TEST):
    rng = np.random.default_rng(seed)
    x_tr = rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8)
    x_te = rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8)
    y_tr = np.arange(n_train, dtype=np.uint8) % 10
    y_te = (np.arange(n_test, dtype=np.uint8) * 3) % 10
    return x_tr, y_tr, x_te, y_te


def _idx_bytes(arr: np.ndarray) -> bytes:
    rank = arr.ndim
    head = bytes([0, 0, 0x08, rank]) + struct.pack(f">{rank}I", *arr.shape)
    return head + arr.astype(np.uint8).tobytes()


FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
         "t10k-labels-idx1-ubyte")


def write_idx(d, arrays, gz=False):
    d.mkdir(parents=True, exist_ok=True)
    x_tr, y_tr, x_te, y_te = arrays
    for name, arr in zip(FILES, (x_tr, y_tr, x_te, y_te), strict=True):
        blob = _idx_bytes(arr)
        if gz:
            (d / (name + ".gz")).write_bytes(gzip.compress(blob))
        else:
            (d / name).write_bytes(blob)


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.delenv(DATA_ENV, raising=False)
    return tmp_path / "data"


def test_file_tasks_are_listed_and_described_without_their_files(home):
    assert list_tasks()[-2:] == list(FILE_TASKS) == ["mnist", "fashion-mnist"]
    for name in FILE_TASKS:
        info = task_info(name)
        assert (info.kind, info.n_classes, info.n_features, info.n_rows) == (
            "files", 10, 784, 70000)


@pytest.mark.parametrize("gz", [False, True])
def test_idx_files_give_the_official_split_scaled_by_255(home, gz):
    arrays = _data()
    write_idx(home / "mnist", arrays, gz=gz)
    s = load_task("mnist", n_train=1000, n_test=1000, seed=0, data_home=home)
    x_tr, y_tr, x_te, y_te = arrays
    assert (s.n_train, s.n_test) == (N_TRAIN, N_TEST)  # sizes are upper bounds
    assert s.X_train.dtype == np.float64 and s.X_train.shape == (N_TRAIN, 784)
    assert s.y_train.dtype == np.int64
    # the test set: the official test rows in file order, x / 255
    np.testing.assert_array_equal(s.X_test, x_te.reshape(N_TEST, -1) / 255.0)
    np.testing.assert_array_equal(s.y_test, y_te)
    # the training set: every official training row once (a permutation), x / 255
    flat = x_tr.reshape(N_TRAIN, -1) / 255.0
    order = np.lexsort(s.X_train.T)
    ref = np.lexsort(flat.T)
    np.testing.assert_array_equal(s.X_train[order], flat[ref])
    np.testing.assert_array_equal(s.y_train[order], y_tr[ref])
    # n_test: the first rows; n_train: a stratified subsample that depends on the seed
    small = load_task("mnist", n_train=20, n_test=5, seed=0, data_home=home)
    np.testing.assert_array_equal(small.y_test, y_te[:5])
    assert np.bincount(small.y_train, minlength=10).tolist() == [2] * 10
    other = load_task("mnist", n_train=20, n_test=5, seed=1, data_home=home)
    assert not np.array_equal(other.X_train, small.X_train)
    np.testing.assert_array_equal(other.X_test, small.X_test)
    again = load_task("mnist", n_train=20, n_test=5, seed=0, data_home=home)
    np.testing.assert_array_equal(again.X_train, small.X_train)


def test_npz_and_environment_variable_and_make_task(home, monkeypatch):
    x_tr, y_tr, x_te, y_te = _data(seed=1)
    d = home / "fashion-mnist"
    d.mkdir(parents=True)
    np.savez(d / "fashion-mnist.npz", x_train=x_tr, y_train=y_tr.astype(np.int64),
             x_test=x_te.reshape(N_TEST, -1), y_test=y_te)
    with pytest.raises(FileNotFoundError, match=DATA_ENV):
        load_task("fashion-mnist")
    monkeypatch.setenv(DATA_ENV, str(home))
    s = load_task("fashion-mnist", n_train=N_TRAIN, n_test=N_TEST, seed=3)
    np.testing.assert_array_equal(s.X_test, x_te.reshape(N_TEST, -1) / 255.0)
    np.testing.assert_array_equal(s.y_test, y_te)
    X, y = make_task("fashion-mnist", 30, seed=2)  # training rows only, stratified
    assert X.shape == (30, 784) and np.bincount(y).tolist() == [3] * 10
    rows = {r.tobytes() for r in (x_tr.reshape(N_TRAIN, -1) / 255.0)}
    assert all(r.tobytes() in rows for r in X)
    # the argument wins over the environment variable
    (home / "elsewhere").mkdir()
    with pytest.raises(FileNotFoundError, match="no directory .*elsewhere"):
        load_task("fashion-mnist", data_home=home / "elsewhere")


def test_missing_places_and_files_say_where_to_put_which_files(home, tmp_path):
    with pytest.raises(FileNotFoundError, match=f"data_home=DIR.*{DATA_ENV}"):
        load_task("mnist")
    with pytest.raises(FileNotFoundError, match="not a directory"):
        load_task("mnist", data_home=tmp_path / "nowhere")
    home.mkdir()
    with pytest.raises(FileNotFoundError, match=r"no directory .*mnist.*train-images-idx3"):
        load_task("mnist", data_home=home)
    write_idx(home / "mnist", _data())
    (home / "mnist" / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(FileNotFoundError) as err:
        load_task("mnist", data_home=home)
    msg = str(err.value)
    assert "missing t10k-labels-idx1-ubyte[.gz]" in msg and str(home / "mnist") in msg
    assert "train-images" not in msg.split(";")[0]  # only the missing file is named first


def _corrupt(d, name, blob):
    (d / name).write_bytes(blob)


@pytest.mark.parametrize("case", ["truncated", "longer", "magic", "counts", "size", "label",
                                  "gzip"])
def test_bad_files_are_errors_that_name_the_file(home, case):
    arrays = _data()
    d = home / "mnist"
    write_idx(d, arrays)
    x_tr, y_tr, x_te, y_te = arrays
    target = {"counts": "t10k-labels-idx1-ubyte", "label": "train-labels-idx1-ubyte"}.get(
        case, "train-images-idx3-ubyte")
    blob = _idx_bytes(x_tr)
    if case == "truncated":
        _corrupt(d, target, blob[:-100])
        match = "truncated"
    elif case == "longer":
        _corrupt(d, target, blob + b"\0")
        match = "longer than its header"
    elif case == "magic":
        _corrupt(d, target, bytes([0, 0, 8, 1]) + blob[4:])  # a labels header
        match = "magic number 00000801"
    elif case == "counts":
        _corrupt(d, target, _idx_bytes(y_te[:-1]))
        match = f"{N_TEST} images but .*t10k-labels-idx1-ubyte {N_TEST - 1} labels"
    elif case == "size":
        _corrupt(d, target, _idx_bytes(np.zeros((3, 8, 8), np.uint8)))
        match = "8 x 8 pixels"
    elif case == "label":
        bad = y_tr.copy()
        bad[0] = 12
        _corrupt(d, target, _idx_bytes(bad))
        match = "label 12 outside 0..9"
    else:
        (d / target).unlink()
        target = target + ".gz"
        _corrupt(d, target, gzip.compress(blob)[:-50])
        match = "truncated or damaged gzip"
    with pytest.raises(ValueError, match=match) as err:
        load_task("mnist", data_home=home)
    assert str(d / target) in str(err.value)
    with pytest.raises(ValueError):
        check_task_data("mnist", home)


def test_bad_npz_archives(home):
    x_tr, y_tr, x_te, y_te = _data()
    d = home / "mnist"
    d.mkdir(parents=True)
    np.savez(d / "mnist.npz", x_train=x_tr, y_train=y_tr, x_test=x_te)
    with pytest.raises(ValueError, match=r"mnist\.npz: lacks y_test"):
        load_task("mnist", data_home=home)
    np.savez(d / "mnist.npz", x_train=x_tr, y_train=y_tr[:-1], x_test=x_te, y_test=y_te)
    with pytest.raises(ValueError, match=f"x_train has {N_TRAIN} images but y_train"):
        load_task("mnist", data_home=home)
    np.savez(d / "mnist.npz", x_train=x_tr / 255.0, y_train=y_tr, x_test=x_te, y_test=y_te)
    with pytest.raises(ValueError, match="x_train must hold integer images"):
        load_task("mnist", data_home=home)
    (d / "mnist.npz").write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(ValueError, match="not a readable .npz"):
        load_task("mnist", data_home=home)


def test_read_idx_reads_what_it_wrote(tmp_path):
    x = np.arange(2 * 28 * 28, dtype=np.int64).reshape(2, 28, 28) % 256
    p = tmp_path / "x-idx3-ubyte"
    p.write_bytes(_idx_bytes(x))
    np.testing.assert_array_equal(read_idx(p, "images"), x.reshape(2, -1))
    with pytest.raises(ValueError, match="not an IDX file of labels"):
        read_idx(p, "labels")


# ------------------------------------------------------------------ the runner


def test_shipped_mnist_spec_dry_run_without_files_exits_2_saying_where(home, tmp_path,
                                                                      capsys):
    from brainlearn.cli import main

    out = tmp_path / "out"
    assert main(["run", "mnist", "--dry-run", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "task 'mnist'" in err and DATA_ENV in err and "t10k-labels-idx1-ubyte" in err
    assert "Traceback" not in err
    write_idx(home / "mnist", _data(), gz=True)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(DATA_ENV, str(home))
        assert main(["run", "mnist", "--dry-run", "--out", str(out)]) == 0
        plan = capsys.readouterr().out
        assert "mlp-wide64" in plan and "snn-dc2015-400" in plan and "ref-kmeans" in plan
        # a damaged file is found at the dry run too
        (home / "mnist" / "train-labels-idx1-ubyte.gz").write_bytes(b"\x1f\x8b broken")
        assert main(["run", "mnist", "--dry-run", "--out", str(out)]) == 2
        assert "train-labels-idx1-ubyte.gz" in capsys.readouterr().err
    assert not out.exists()  # a dry run writes nothing


def test_a_spec_names_its_data_home_and_the_runner_runs_the_task(home, tmp_path, capsys):
    import json
    import textwrap

    from brainlearn.cli import main
    from brainlearn.runner.spec import load_spec, resolve_runs
    write_idx(home / "mnist", _data())
    spec = tmp_path / "spec.toml"
    body = textwrap.dedent("""
        [[models]]
        name = "ref-kmeans"
        [[sweep]]
        tasks = ["mnist"]
        seeds = [0]
        n_train = 30
        n_test = 15
    """)
    spec.write_text('[experiment]\ndata_home = "data"\n'
                    + body)  # relative to the spec's folder: tmp_path / "data" == home
    (run,) = resolve_runs([load_spec(spec)])
    assert run.data_home == str(home)
    # where the files are is not what the run is: the run id does not depend on it
    spec2 = tmp_path / "elsewhere.toml"
    spec2.write_text('[experiment]\ndata_home = "/x"\n' + body)
    assert resolve_runs([load_spec(spec2)])[0].run_id == run.run_id
    out = tmp_path / "out"
    assert main(["run", str(spec), "--out", str(out), "-j", "1", "--no-figures"]) == 0
    (path,) = (out / "results" / "runs").glob("*.json")
    rec = json.loads(path.read_text())
    assert (rec["n_features"], rec["n_train_actual"], rec["n_test_actual"]) == (784, 30, 15)
    assert rec["config"]["data_home"] == str(home)
