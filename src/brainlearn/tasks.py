"""The task suite: synthetic two-class tasks in the plane and real data sets.

Every task returns ``X`` (float64, shape ``(n, d)``) and ``y`` (int64 labels
``0..K-1``, shape ``(n,)``; ``K = 2`` except for ``iris``, ``digits`` and the MNIST tasks); the same
seed gives the same data. :func:`task_info` gives a task's number of classes,
features and (for a real data set) rows.

Synthetic tasks (two features, inside or about inside ``[0, 1]^2``)
---------------------------------------------------------------------
``seed-random``
    The seed example's task: ``X ~ U[0,1]^2``, ``y = round(U[0,1])``. Labels are
    independent of ``X``: no model can beat chance on held-out data. It is the
    control that catches leakage.
``linear``
    ``y = [x1 + x2 > 1]`` with ``X ~ U[0,1]^2``.
``xor``
    ``y = [(x1 > 0.5) xor (x2 > 0.5)]`` with ``X ~ U[0,1]^2``.
``circle``
    ``y = [(x1 - 0.5)^2 + (x2 - 0.5)^2 < 1/(2 pi)]`` with ``X ~ U[0,1]^2``; the disc
    has area 1/2, so the classes are balanced.
``moons``
    Two interleaved half-moons: label 0 (outer) at ``(cos t, sin t)``, label 1
    (inner) at ``(1 - cos t, 0.5 - sin t)``, ``t ~ U[0, pi]``, Gaussian noise of
    sd 0.1 on both coordinates, half the points each (the first ``n // 2`` label
    0), then mapped into about ``[0,1]^2`` by ``x' = (x + 1.2) / 3.4``,
    ``y' = (y + 0.8) / 2.1``. Rows are shuffled.
``spiral``
    Two interleaved Archimedean spirals around ``(0.5, 0.5)``: for class ``k``,
    ``t ~ U[0, 1]``, radius ``r = 0.05 + 0.40 t``, angle ``theta = 3 pi t + k pi``
    (one and a half turns each), point ``(0.5 + r cos theta, 0.5 + r sin theta)``
    plus Gaussian noise of sd 0.02 on both coordinates; half the points each,
    rows shuffled. Arms are about 0.13 apart, so a model must draw a boundary that
    winds three times: the hard task.

Real tasks
----------
Read from the files that ship inside scikit-learn (no network), and min-max scaled to
about ``[0, 1]`` with statistics of the training part only: use :func:`load_task` for
evaluation. ``make_task`` on a real task returns ``n`` rows (a stratified subsample, or
all rows in a random order when ``n`` is at least their number) scaled with the
statistics of those same rows.

``breast-cancer``
    The Wisconsin diagnostic breast cancer data (569 samples x 30 features,
    0 = malignant, 1 = benign); each feature scaled by its own minimum and range.
``iris``
    Fisher's iris flowers (150 samples x 4 features, 3 classes of 50: 0 = setosa,
    1 = versicolor, 2 = virginica); each feature scaled by its own minimum and range.
``digits``
    The UCI optical hand-written digits (1797 samples x 64 features, the pixel
    intensities 0..16 of an 8 x 8 image, row-major; 10 classes, label = the digit).
    The pixels share one scale: all of them are scaled by the one minimum and range
    of the training pixels (in practice ``x / 16``), which keeps the images as they
    are; a per-pixel range would blow up the rare ink of border pixels.
``digits-parity``
    The same images, two classes: 0 = even digit, 1 = odd digit (898 / 899 rows).

Tasks read from local files
---------------------------
``mnist`` and ``fashion-mnist`` (28 x 28 grey images, 784 features, row-major; 10
classes; 60000 training and 10000 test images) are read from files you provide; nothing
is downloaded. They are looked up in ``DATA_HOME/mnist/`` and ``DATA_HOME/fashion-mnist/``
where ``DATA_HOME`` is the ``data_home`` argument of :func:`load_task` and
:func:`make_task`, else the ``$BRAINLEARN_DATA`` environment variable. Each directory holds
either the four IDX files of the original distribution, gzipped (``.gz``) or not::

    train-images-idx3-ubyte  train-labels-idx1-ubyte  t10k-images-idx3-ubyte  t10k-labels-idx1-ubyte

(``train-images.idx3-ubyte`` with a dot is accepted too), or one NumPy archive in the
Keras layout, ``mnist/mnist.npz`` or ``fashion-mnist/fashion-mnist.npz``, holding
``x_train``, ``y_train``, ``x_test``, ``y_test`` (images ``(n, 28, 28)`` or ``(n, 784)``
of integers 0..255, labels 0..9). When both are there the IDX files are read. Files that
are missing, truncated, of another format (wrong magic number, not 28 x 28 ``ubyte``
images) or whose label and image counts disagree raise :class:`FileNotFoundError` or
:class:`ValueError` naming the file; no partial data set is ever returned. The pixels
share one fixed scale, ``x / 255`` (like ``digits``). :func:`task_info` describes these
tasks without reading the files.

Examples
--------
>>> from brainlearn import make_task, load_task
>>> X, y = make_task("xor", 200, seed=0)
>>> X.shape, y.shape, sorted(set(y.tolist()))
((200, 2), (200,), [0, 1])
>>> split = load_task("breast-cancer", n_train=1000, n_test=1000, seed=0)
>>> split.X_train.shape, split.X_test.shape
((398, 30), (171, 30))
>>> info = task_info("digits")
>>> info.n_classes, info.n_features, info.n_rows
(10, 64, 1797)
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

__all__ = [
    "DATA_ENV",
    "FILE_TASKS",
    "REAL_TASKS",
    "SYNTHETIC_TASKS",
    "TaskInfo",
    "TaskSplit",
    "check_task_data",
    "list_tasks",
    "load_task",
    "make_task",
    "task_info",
]

SYNTHETIC_TASKS = ("seed-random", "linear", "xor", "circle", "moons", "spiral")
REAL_TASKS = ("breast-cancer", "digits-parity", "iris", "digits")
#: tasks read from local files (see the module docstring): the official train/test split
FILE_TASKS = ("mnist", "fashion-mnist")

#: environment variable naming the directory that holds ``mnist/`` and ``fashion-mnist/``
DATA_ENV = "BRAINLEARN_DATA"

#: fraction of the real data set that is held out for testing in :func:`load_task`
REAL_TEST_FRACTION = 0.3

#: real tasks whose features share one scale (image pixels): scaled by one min and range
_SHARED_SCALE = ("digits", "digits-parity")


@dataclass(frozen=True)
class TaskInfo:
    """What a task is: see :func:`task_info`."""

    name: str
    kind: str  # "synthetic", "real" or "files" (read from local files)
    n_classes: int
    n_features: int
    n_rows: int | None  # rows of a real data set; None: a synthetic task draws any number


def list_tasks(details: bool = False) -> list[str] | list[TaskInfo]:
    """Names of every task, synthetic first (``details=True``: their :class:`TaskInfo`)."""
    names = [*SYNTHETIC_TASKS, *REAL_TASKS, *FILE_TASKS]
    return [task_info(n) for n in names] if details else names


def task_info(name: str) -> TaskInfo:
    """Number of classes, features and (real data) rows of the named task.

    >>> task_info("xor")
    TaskInfo(name='xor', kind='synthetic', n_classes=2, n_features=2, n_rows=None)
    >>> task_info("iris")
    TaskInfo(name='iris', kind='real', n_classes=3, n_features=4, n_rows=150)

    A task read from local files is described without reading them (its ``n_rows`` is
    the training plus test images of the official data set):

    >>> task_info("mnist")
    TaskInfo(name='mnist', kind='files', n_classes=10, n_features=784, n_rows=70000)
    """
    _check_name(name)
    if name in SYNTHETIC_TASKS:
        return TaskInfo(name, "synthetic", 2, 2, None)
    if name in FILE_TASKS:
        return TaskInfo(name, "files", 10, _SIDE * _SIDE, _OFFICIAL_ROWS[0] + _OFFICIAL_ROWS[1])
    X, y = _real_raw(name)
    return TaskInfo(name, "real", len(np.unique(y)), X.shape[1], X.shape[0])


def _check_name(name: str) -> None:
    if not isinstance(name, str) or name not in list_tasks():
        raise ValueError(f"unknown task {name!r}; valid tasks: {', '.join(list_tasks())}")


def _check_n(n, what: str = "n") -> int:
    if isinstance(n, bool) or not isinstance(n, int | np.integer):
        raise ValueError(f"{what} must be an integer, got {n!r}")
    if n < 1:
        raise ValueError(f"{what} must be >= 1, got {n}")
    return int(n)


def _uniform_square(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.random((n, 2))


def _two_halves(n: int) -> np.ndarray:
    y = np.zeros(n, dtype=np.int64)
    y[n // 2 :] = 1
    return y


def _synthetic(name: str, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    if name == "seed-random":
        X = _uniform_square(rng, n)
        y = np.round(rng.random(n)).astype(np.int64)
        return X, y
    if name == "linear":
        X = _uniform_square(rng, n)
        return X, (X[:, 0] + X[:, 1] > 1.0).astype(np.int64)
    if name == "xor":
        X = _uniform_square(rng, n)
        return X, ((X[:, 0] > 0.5) ^ (X[:, 1] > 0.5)).astype(np.int64)
    if name == "circle":
        X = _uniform_square(rng, n)
        r2 = (X[:, 0] - 0.5) ** 2 + (X[:, 1] - 0.5) ** 2
        return X, (r2 < 1.0 / (2.0 * np.pi)).astype(np.int64)
    if name == "moons":
        y = _two_halves(n)
        t = rng.uniform(0.0, np.pi, n)
        x0 = np.where(y == 0, np.cos(t), 1.0 - np.cos(t))
        x1 = np.where(y == 0, np.sin(t), 0.5 - np.sin(t))
        X = np.column_stack([x0, x1]) + rng.normal(0.0, 0.1, (n, 2))
        X[:, 0] = (X[:, 0] + 1.2) / 3.4
        X[:, 1] = (X[:, 1] + 0.8) / 2.1
        order = rng.permutation(n)
        return X[order], y[order]
    if name == "spiral":
        y = _two_halves(n)
        t = rng.random(n)
        r = 0.05 + 0.40 * t
        theta = 3.0 * np.pi * t + np.pi * y
        X = np.column_stack([0.5 + r * np.cos(theta), 0.5 + r * np.sin(theta)])
        X += rng.normal(0.0, 0.02, (n, 2))
        order = rng.permutation(n)
        return X[order], y[order]
    raise AssertionError(name)  # pragma: no cover - guarded by _check_name


@functools.cache
def _real_raw(name: str) -> tuple[np.ndarray, np.ndarray]:
    """The unscaled rows and labels of a real task (read-only arrays, read once)."""
    try:
        from sklearn import datasets
    except ImportError as exc:  # pragma: no cover - scikit-learn is a dependency
        raise ImportError(
            f"the {name!r} task reads scikit-learn's bundled data: pip install scikit-learn"
        ) from exc
    loader = {
        "breast-cancer": datasets.load_breast_cancer,
        "iris": datasets.load_iris,
        "digits": datasets.load_digits,
        "digits-parity": datasets.load_digits,
    }[name]
    data = loader()
    X = np.asarray(data.data, dtype=np.float64)
    y = np.asarray(data.target, dtype=np.int64)
    if name == "digits-parity":
        y = y % 2
    X.flags.writeable = False
    y.flags.writeable = False
    return X, y


# --------------------------------------------------------------- tasks read from files

_SIDE = 28
#: training and test images of the official MNIST and Fashion-MNIST distributions
_OFFICIAL_ROWS = (60_000, 10_000)
#: the four IDX files of a data set: (part, what) -> file name without ``.gz``
_IDX_FILES = {
    ("train", "images"): "train-images-idx3-ubyte",
    ("train", "labels"): "train-labels-idx1-ubyte",
    ("test", "images"): "t10k-images-idx3-ubyte",
    ("test", "labels"): "t10k-labels-idx1-ubyte",
}
_NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")
#: IDX magic numbers: two zero bytes, the type code (0x08 = unsigned byte), the rank
_IDX_MAGIC = {"images": bytes([0, 0, 0x08, 3]), "labels": bytes([0, 0, 0x08, 1])}
_FILE_CACHE: dict[tuple, tuple[np.ndarray, ...]] = {}


def _where_to_put(name: str, d) -> str:
    files = ", ".join(f"{f}[.gz]" for f in _IDX_FILES.values())
    return (f"put the four IDX files of {name} ({files}) or a Keras-style {name}.npz "
            f"(x_train, y_train, x_test, y_test) in {d}")


def data_dir(name: str, data_home=None):
    """The directory that holds the files of the file task ``name``:
    ``data_home/name``, ``data_home`` defaulting to ``$BRAINLEARN_DATA``.

    Raises
    ------
    FileNotFoundError
        Neither ``data_home`` nor ``$BRAINLEARN_DATA`` is given, or the directory is missing.
    """
    import os
    from pathlib import Path

    if name not in FILE_TASKS:
        raise ValueError(f"{name!r} is not a task read from files ({', '.join(FILE_TASKS)})")
    if data_home is None or data_home == "":
        data_home = os.environ.get(DATA_ENV) or None
        if data_home is None:
            raise FileNotFoundError(
                f"the {name!r} task reads local files and nothing is downloaded: pass "
                f"data_home=DIR (a spec: data_home = \"DIR\" under [experiment]) or set "
                f"${DATA_ENV}=DIR, and {_where_to_put(name, f'DIR/{name}/')}"
            )
    home = Path(data_home).expanduser()
    if not home.is_dir():
        raise FileNotFoundError(f"data_home {str(home)!r} of the {name!r} task is not a "
                                f"directory; {_where_to_put(name, home / name)}")
    d = home / name
    if not d.is_dir():
        raise FileNotFoundError(f"no directory {d} for the {name!r} task; "
                                f"{_where_to_put(name, d)}")
    return d


def _locate(name: str, d) -> tuple[str, dict]:
    """("idx", {(part, what): path}) or ("npz", {"npz": path}); FileNotFoundError naming
    the missing files and the place they belong."""
    found, missing = {}, []
    for key, stem in _IDX_FILES.items():
        dotted = stem.replace("-idx", ".idx")
        cands = [d / f for f in (stem, stem + ".gz", dotted, dotted + ".gz")]
        hit = next((c for c in cands if c.is_file()), None)
        if hit is None:
            missing.append(stem)
        else:
            found[key] = hit
    if not missing:
        return "idx", found
    npz = d / f"{name}.npz"
    if npz.is_file():
        return "npz", {"npz": npz}
    raise FileNotFoundError(
        f"{name!r}: missing {', '.join(f'{m}[.gz]' for m in missing)} (and no {name}.npz) "
        f"in {d}; {_where_to_put(name, d)}"
    )


def _read_bytes(path) -> bytes:
    import gzip
    import zlib

    try:
        if str(path).endswith(".gz"):
            with gzip.open(path, "rb") as fh:
                return fh.read()
        return path.read_bytes()
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise ValueError(f"{path}: truncated or damaged gzip file ({exc})") from None


def read_idx(path, what: str) -> np.ndarray:
    """An IDX file of unsigned bytes as an array: ``what="images"`` (rank 3, n x 28 x 28,
    returned as n x 784) or ``"labels"`` (rank 1, values 0..9).

    The header is a magic number (``00 00 08 03`` for images, ``00 00 08 01`` for labels)
    and one big-endian uint32 per dimension; the data must have exactly the size the
    header announces. Anything else is a :class:`ValueError` naming the file.
    """
    from pathlib import Path

    path = Path(path)
    raw = _read_bytes(path)
    magic = _IDX_MAGIC[what]
    rank = magic[3]
    if raw[:4] != magic:
        raise ValueError(
            f"{path}: not an IDX file of {what} (magic number {raw[:4].hex() or 'missing'}, "
            f"expected {magic.hex()})"
        )
    head = 4 + 4 * rank
    if len(raw) < head:
        raise ValueError(f"{path}: truncated IDX header ({len(raw)} bytes)")
    dims = tuple(int(v) for v in np.frombuffer(raw, dtype=">u4", count=rank, offset=4))
    if what == "images" and dims[1:] != (_SIDE, _SIDE):
        raise ValueError(f"{path}: images of {dims[1]} x {dims[2]} pixels, expected "
                         f"{_SIDE} x {_SIDE}")
    size = int(np.prod(dims))
    if len(raw) - head != size:
        state = "truncated" if len(raw) - head < size else "longer than its header says"
        raise ValueError(f"{path}: {state}: the header announces {dims[0]} {what} "
                         f"({size} bytes of data), the file holds {len(raw) - head}")
    arr = np.frombuffer(raw, dtype=np.uint8, offset=head).reshape(dims[0], -1)
    if what == "labels":
        arr = arr[:, 0]
        if arr.size and arr.max() > 9:
            raise ValueError(f"{path}: label {int(arr.max())} outside 0..9")
    return arr


def _read_npz(path) -> tuple[np.ndarray, ...]:
    import zipfile

    try:
        with np.load(path, allow_pickle=False) as z:
            absent = [k for k in _NPZ_KEYS if k not in z.files]
            if absent:
                raise ValueError(f"{path}: lacks {', '.join(absent)} (it has "
                                 f"{', '.join(z.files) or 'nothing'}; expected "
                                 f"{', '.join(_NPZ_KEYS)})")
            arrays = {k: np.asarray(z[k]) for k in _NPZ_KEYS}
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise ValueError(f"{path}: not a readable .npz archive ({exc})") from None
    out = []
    for part in ("train", "test"):
        x, y = arrays[f"x_{part}"], arrays[f"y_{part}"]
        if x.dtype.kind not in "iu" or x.ndim not in (2, 3) or (
                x.shape[1:] not in ((_SIDE, _SIDE), (_SIDE * _SIDE,))):
            raise ValueError(f"{path}: x_{part} must hold integer images of shape "
                             f"(n, {_SIDE}, {_SIDE}) or (n, {_SIDE * _SIDE}), got "
                             f"{x.dtype} {x.shape}")
        if x.size and (x.min() < 0 or x.max() > 255):
            raise ValueError(f"{path}: x_{part} has pixels outside 0..255")
        if y.dtype.kind not in "iu" or y.ndim != 1:
            raise ValueError(f"{path}: y_{part} must be a 1-D integer array, got "
                             f"{y.dtype} {y.shape}")
        if y.size and (y.min() < 0 or y.max() > 9):
            raise ValueError(f"{path}: y_{part} has labels outside 0..9")
        if len(x) != len(y):
            raise ValueError(f"{path}: x_{part} has {len(x)} images but y_{part} "
                             f"{len(y)} labels")
        out += [x.reshape(len(x), -1).astype(np.uint8), y.astype(np.int64)]
    return tuple(out)


def _file_raw(name: str, data_home=None) -> tuple[np.ndarray, ...]:
    """``(X_train, y_train, X_test, y_test)`` of a file task: uint8 pixels (n x 784) and
    int64 labels, read-only, cached per set of files (their paths, sizes and times)."""
    d = data_dir(name, data_home)
    kind, paths = _locate(name, d)
    stamp = tuple(sorted((str(p), p.stat().st_size, p.stat().st_mtime_ns)
                         for p in paths.values()))
    if stamp in _FILE_CACHE:
        return _FILE_CACHE[stamp]
    if kind == "npz":
        out = _read_npz(paths["npz"])
    else:
        out = []
        for part in ("train", "test"):
            X = read_idx(paths[(part, "images")], "images")
            y = read_idx(paths[(part, "labels")], "labels").astype(np.int64)
            if len(X) != len(y):
                raise ValueError(
                    f"{paths[(part, 'images')]} holds {len(X)} images but "
                    f"{paths[(part, 'labels')]} {len(y)} labels"
                )
            out += [X, y]
        out = tuple(out)
    for part, (_, y) in (("training", out[:2]), ("test", out[2:])):
        if len(y) == 0:
            raise ValueError(f"{name!r} in {d}: the {part} part is empty")
    for a in out:
        a.flags.writeable = False
    _FILE_CACHE.clear()  # one data set in memory at a time (MNIST is ~55 MB as uint8)
    _FILE_CACHE[stamp] = out
    return out


def check_task_data(name: str, data_home=None) -> None:
    """Read and check the files of a task read from files (nothing for other tasks):
    :class:`FileNotFoundError` or :class:`ValueError` naming the file, before any run."""
    _check_name(name)
    if name in FILE_TASKS:
        _file_raw(name, data_home)


def _pixels(X: np.ndarray) -> np.ndarray:
    return X.astype(np.float64) / 255.0


def _stratified_take(y: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of a stratified random subsample of size ``n`` (sorted class by class)."""
    if n >= len(y):
        return rng.permutation(len(y))
    classes = np.unique(y)
    picked = []
    remaining = n
    for i, c in enumerate(classes):
        idx = np.flatnonzero(y == c)
        k = remaining if i == len(classes) - 1 else int(round(n * len(idx) / len(y)))
        k = min(max(k, 1 if n >= len(classes) else 0), len(idx), remaining)
        picked.append(rng.choice(idx, size=k, replace=False))
        remaining -= k
    out = np.concatenate(picked)
    return out[rng.permutation(len(out))]


def minmax_fit(X: np.ndarray, shared: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Column minima and ranges of ``X`` (a zero range becomes 1).

    ``shared=True``: one minimum and range over all of ``X`` (features on one scale,
    such as pixels), returned per column.
    """
    if shared:
        lo = np.full(X.shape[1], X.min())
        span = np.full(X.shape[1], X.max() - X.min())
    else:
        lo = X.min(axis=0)
        span = X.max(axis=0) - lo
    span = np.where(span > 0, span, 1.0)
    return lo, span


def make_task(name: str, n: int, seed: int | None = 0, *,
              data_home=None) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` samples of the named task.

    Parameters
    ----------
    name : str
        One of :func:`list_tasks`.
    n : int
        Number of samples (a real task returns at most all of its rows).
    seed : int or None
        Seed of a ``numpy.random.default_rng``; the same seed gives the same data.
    data_home : str or path, optional
        Tasks read from files (``mnist``, ``fashion-mnist``): the directory holding their
        subdirectories (default ``$BRAINLEARN_DATA``). ``make_task`` draws a stratified
        subsample of ``n`` of their official *training* rows, scaled by ``1 / 255``.

    Returns
    -------
    X : ndarray of float64, shape (n, d)
    y : ndarray of int64, shape (n,), values in ``0..K-1`` (:func:`task_info`)
    """
    _check_name(name)
    n = _check_n(n)
    rng = np.random.default_rng(seed)
    if name in SYNTHETIC_TASKS:
        return _synthetic(name, n, rng)
    if name in FILE_TASKS:
        X, y = _file_raw(name, data_home)[:2]
        idx = _stratified_take(y, n, rng)
        return _pixels(X[idx]), y[idx]
    X, y = _real_raw(name)
    idx = _stratified_take(y, n, rng)
    X, y = X[idx], y[idx]
    lo, span = minmax_fit(X, shared=name in _SHARED_SCALE)
    return (X - lo) / span, y


@dataclass(frozen=True)
class TaskSplit:
    """A train/test split of one task; see :func:`load_task`."""

    name: str
    seed: int
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray

    @property
    def n_train(self) -> int:
        return len(self.y_train)

    @property
    def n_test(self) -> int:
        return len(self.y_test)


def load_task(name: str, n_train: int = 1000, n_test: int = 1000, seed: int = 0, *,
              data_home=None) -> TaskSplit:
    """Train and test data of a task, with no test point leaking into training.

    Synthetic tasks draw the training and the test set from two independent
    streams of the same seed (``default_rng([seed, 0])`` and
    ``default_rng([seed, 1])``), so the test set does not depend on
    ``n_train`` (a data-scarcity curve is measured on one test set).

    A real task of ``N`` rows holds out a stratified ``round(0.3 N)`` of them as the
    test set of split ``seed`` (drawn from ``default_rng([seed, 2])``); the held-out
    rows do not depend on ``n_train`` or ``n_test``. ``n_test`` and ``n_train`` are
    upper bounds there, not promises: the test set is the first ``min(n_test, round(0.3 N))``
    held-out rows (in their random order), and the training set a stratified subsample of
    ``min(n_train, N - round(0.3 N))`` of the other rows; :attr:`TaskSplit.n_train` and
    :attr:`TaskSplit.n_test` give the sizes obtained (``breast-cancer``: at most 398 and
    171; ``iris``: 105 and 45; ``digits`` and ``digits-parity``: 1258 and 539). The
    min-max scaling is fitted on the training rows only and applied to both parts (test
    values may fall slightly outside ``[0, 1]``).

    ``mnist`` and ``fashion-mnist`` (read from the files under ``data_home``, default
    ``$BRAINLEARN_DATA``; see the module docstring) keep their official split: the training
    set is a stratified subsample of ``min(n_train, 60000)`` official training rows drawn
    from ``default_rng([seed, 2])`` (all of them, in a random order, when ``n_train`` is at
    least 60000), and the test set is the first ``min(n_test, 10000)`` official test rows in
    file order, the same for every seed. Pixels are scaled by ``1 / 255``.
    """
    _check_name(name)
    n_train = _check_n(n_train, "n_train")
    n_test = _check_n(n_test, "n_test")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise ValueError(f"seed must be an integer, got {seed!r}")
    seed = int(seed)
    if name in SYNTHETIC_TASKS:
        X_tr, y_tr = _synthetic(name, n_train, np.random.default_rng([seed, 0]))
        X_te, y_te = _synthetic(name, n_test, np.random.default_rng([seed, 1]))
        return TaskSplit(name, seed, X_tr, y_tr, X_te, y_te)
    if name in FILE_TASKS:
        X_tr, y_tr, X_te, y_te = _file_raw(name, data_home)
        train_idx = _stratified_take(y_tr, n_train, np.random.default_rng([seed, 2]))
        return TaskSplit(name, seed, _pixels(X_tr[train_idx]), y_tr[train_idx],
                         _pixels(X_te[:n_test]), y_te[:n_test].copy())
    X, y = _real_raw(name)
    rng = np.random.default_rng([seed, 2])
    test_idx = _stratified_take(y, int(round(REAL_TEST_FRACTION * len(y))), rng)
    mask = np.ones(len(y), dtype=bool)
    mask[test_idx] = False
    pool = np.flatnonzero(mask)
    train_idx = pool[_stratified_take(y[pool], n_train, rng)]
    test_idx = test_idx[:n_test]
    lo, span = minmax_fit(X[train_idx], shared=name in _SHARED_SCALE)
    return TaskSplit(
        name,
        seed,
        (X[train_idx] - lo) / span,
        y[train_idx],
        (X[test_idx] - lo) / span,
        y[test_idx],
    )
