"""Engines that run chunks of presentations: the compiled program, or Brian2 in-process.

Both take typed values -- :class:`ChunkInputs` (one row per presentation, at most the
compiled chunk size) and :class:`NetworkState` (the learned state) -- and return a
:class:`ChunkResult`. What the network needs beyond that is the engines' business: padding
to ``K + 1`` rows, the names of the Brian2 variables (:data:`~brainlearn.snn.graph.
STATE_VARIABLES`, :data:`~brainlearn.snn.graph.TIMED_ARRAYS`) and their units.

:class:`StandaloneEngine` runs the C++ program compiled once per shape
(:mod:`brainlearn.snn.build`): everything that changes between runs -- the inputs, the
learned state, the constants and the seed -- is set on its command line (``name=file``),
results are binary files in a per-run directory. :class:`RuntimeEngine` builds the same
graph in-process per chunk: the fallback when no C++ compiler works, and the engine of
spike recordings (it can add spike monitors and use Brian2's numpy target).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import warnings
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from .. import _proc
from . import build, cache, program
from .graph import (
    POPULATIONS,
    STATE_VARIABLES,
    TIMED_ARRAYS,
    TIMED_FILL,
    NetworkSpec,
    blueprint,
    build_network,
    run_duration_ms,
)
from .names import BrianVariable, PopulationName, TimedInput

__all__ = [
    "ChunkInputs",
    "ChunkResult",
    "NetworkState",
    "RuntimeEngine",
    "StandaloneEngine",
    "get_engine",
    "standalone_engine",
    "standalone_engines",
]


@dataclass(frozen=True)
class ChunkInputs:
    """The presentations of one chunk, one row each (``m <= chunk`` rows).

    Attributes
    ----------
    rates : ndarray (m, n_afferent)
        Afferent rates in Hz.
    label : ndarray (m,)
        Class index per presentation, -1 for none.
    learn_hidden, learn_readout, teach : ndarray (m,)
        Flags: plasticity of the afferent -> hidden and hidden -> efferent
        synapses (``learn_readout`` also gates the afferent -> efferent synapses when the
        network has them), teacher current.
    """

    rates: np.ndarray
    label: np.ndarray
    learn_hidden: np.ndarray
    learn_readout: np.ndarray
    teach: np.ndarray

    @classmethod
    def make(cls, rates, label=None, learn_hidden=0.0, learn_readout=0.0, teach=0.0):
        """Inputs with per-presentation flags broadcast from scalars (labels -1 if none)."""
        rates = np.asarray(rates, dtype=float)
        m = len(rates)
        label = np.full(m, -1.0) if label is None else label
        return cls(rates, *(np.broadcast_to(np.asarray(v, float), (m,)).copy()
                            for v in (label, learn_hidden, learn_readout, teach)))

    def __len__(self) -> int:
        return len(self.rates)

    def padded(self, spec: NetworkSpec) -> dict[str, np.ndarray]:
        """``K + 1`` rows per array (padding: silent, unlabelled, no learning, no teacher)."""
        K, m = spec.chunk, len(self)
        if m > K:
            raise ValueError(f"a chunk holds at most {K} presentations, got {m}")
        n_aff = spec.n_afferent * spec.copies  # copy-major columns (graph module docstring)
        if self.rates.shape != (m, n_aff):
            raise ValueError(f"rates must have shape ({m}, {n_aff}), got {self.rates.shape}")
        out = {}
        for name in TIMED_ARRAYS:
            v = np.asarray(getattr(self, name), float)
            if v.shape[0] != m:
                raise ValueError(f"{name} has {v.shape[0]} rows, rates {m}")
            full = np.full((K + 1,) + v.shape[1:], TIMED_FILL[name])
            full[:m] = v
            out[name] = full
        return out


@dataclass(frozen=True)
class NetworkState:
    """The learned state of the network.

    Attributes
    ----------
    w_in : ndarray (n_afferent, n_hidden)
        Afferent -> hidden weights (dimensionless).
    w_out : ndarray (n_hidden, n_efferent)
        Hidden -> efferent weights.
    theta_volt : ndarray (n_hidden,)
        Adaptive thresholds of the hidden neurons, in volt.
    rbar : ndarray (n_efferent,)
        Reward baseline of the efferent neurons (R-STDP; zeros otherwise).
    w_skip : ndarray (n_afferent, n_efferent) or None
        Direct afferent -> efferent weights, when the network has that projection
        (``NetworkParams.skip_readout``); None otherwise.
    """

    w_in: np.ndarray
    w_out: np.ndarray
    theta_volt: np.ndarray
    rbar: np.ndarray
    w_skip: np.ndarray | None = None

    def flat(self) -> dict[str, np.ndarray]:
        """Brian2 name (``"object.variable"``, :attr:`BrianVariable.key`) -> flat float
        array (pre-major weights); absent (None) parts are left out."""
        return {STATE_VARIABLES[f.name].key:
                np.ascontiguousarray(getattr(self, f.name), float).ravel()
                for f in fields(self) if getattr(self, f.name) is not None}

    @classmethod
    def from_flat(cls, spec: NetworkSpec, flat: dict[str, np.ndarray],
                  previous: NetworkState) -> NetworkState:
        """The state from Brian2 values; variables the network lacks keep ``previous``."""
        shapes = {"w_in": (spec.n_afferent, spec.net.n_hidden),
                  "w_out": (spec.net.n_hidden, spec.n_efferent),
                  "w_skip": (spec.n_afferent, spec.n_efferent)}
        values = {}
        for f in fields(cls):
            key = STATE_VARIABLES[f.name].key
            old = getattr(previous, f.name)
            if key not in flat and old is None:
                values[f.name] = None
                continue
            v = np.asarray(flat[key], float) if key in flat else np.asarray(old, float)
            values[f.name] = v.reshape(shapes.get(f.name, v.shape)).copy()
        return cls(**values)


@dataclass(frozen=True)
class ChunkResult:
    """What a chunk gives back: spike counts per presentation (``m`` rows, population ->
    (m, n)), the state after the chunk and, when recorded, spike trains (population ->
    (indices, times in ms))."""

    counts: dict[PopulationName, np.ndarray]
    state: NetworkState
    spikes: dict[PopulationName, tuple[np.ndarray, np.ndarray]] | None = None


def _counts(spec: NetworkSpec, monitors: dict[PopulationName, np.ndarray],
            m: int) -> dict[PopulationName, np.ndarray]:
    """Drop the monitors' first row (t = 0) and keep one row per real presentation."""
    return {pop: monitors[pop][1 : m + 1] for pop in POPULATIONS}


# ------------------------------------------------------------------------ standalone
class StandaloneEngine:
    """Runs chunks with the compiled program of a :class:`NetworkSpec`."""

    name = "standalone"

    def __init__(self, spec: NetworkSpec):
        self.spec = spec
        self.build_dir = build.ensure_built(spec)
        self.mapping = build.read_map(self.build_dir)
        # run directories of processes that died (kill -9) in the middle of a chunk
        cache.remove_stale_runs(self.build_dir)
        # the constants, set on the command line (not compiled in)
        self._constants = [
            f"{obj_name}.{name}={float(np.asarray(value))!r}"
            for obj_name, values in blueprint(spec).parameters().items()
            for name, value in values.items()
        ]

    def run(self, inputs: ChunkInputs, state: NetworkState, seed: int) -> ChunkResult:
        spec = self.spec
        if not build.verify_build(self.build_dir):
            # damaged since this engine was made: rebuild, then run the new program
            self.build_dir = build.ensure_built(spec)
            self.mapping = build.read_map(self.build_dir)
        t_begin = program.now()
        padded = inputs.padded(spec)
        runs = self.build_dir / "runs"
        runs.mkdir(exist_ok=True)
        res = Path(tempfile.mkdtemp(prefix=cache.run_prefix(), dir=runs))
        try:
            args = [str(self.build_dir / "main"), "--results_dir", str(res) + os.sep]
            for name in TIMED_ARRAYS:
                meta = self.mapping["timed"][name.array]
                arr = np.ascontiguousarray(padded[name], dtype=np.dtype(meta["dtype"]))
                if list(arr.shape) != meta["shape"]:
                    raise ValueError(f"{name.array}: shape {arr.shape} != compiled "
                                     f"{meta['shape']}")
                f = res / f"in_{name.array}.dat"
                arr.tofile(f)
                args.append(f"{name.array}.values={f}")
            flat = state.flat()
            for name, dtype in self.mapping["inputs"].items():
                f = res / f"in_{name}.dat"
                # every copy starts from the same state (block-diagonal, copy-major order)
                values = np.tile(flat[name], spec.copies)
                np.ascontiguousarray(values, dtype=np.dtype(dtype)).tofile(f)
                args.append(f"{name}={f}")
            args += self._constants
            args.append(f"control.seed={int(seed) % (2**31)}")
            # a short last chunk stops after its own presentations (no padded ones)
            args.append(f"control.presentations={len(inputs)}")
            t_spawn = program.now()
            # the program dies with this process (even after kill -9 of it): it asks for
            # that itself (program.die_with_parent), so no Python runs between fork and exec
            proc = _proc.run_tied(args, cwd=self.build_dir, self_tied=True,
                                  env=program.program_environment())
            t_exit = program.now()
            build.check_program_output(proc, self.build_dir)
            changed = build.check_build(self.build_dir)
            if changed is not None:  # changed while the program ran: not a result
                raise build.BuildCorrupted(f"the compiled network in {self.build_dir} changed "
                                           f"during the run ({changed}); its output is not used")
            out = {}
            for name, meta in self.mapping["outputs"].items():
                path = res / meta["file"]
                if not path.exists():
                    raise build.BuildCorrupted(f"the compiled network wrote no {meta['file']}")
                data = np.fromfile(path, dtype=np.dtype(meta["dtype"]))
                if meta["kind"] == "dynamic2d":
                    data = data.reshape(-1, meta["size"])
                out[name] = data.astype(np.float64)
            program.report(program.chunk_phases(t_begin, t_spawn, program.read_timing(res),
                                                t_exit, program.now()))
        finally:
            shutil.rmtree(res, ignore_errors=True)
        monitors = {pop: out[BrianVariable(pop.count_monitor, "count").key]
                    for pop in POPULATIONS}
        return ChunkResult(_counts(spec, monitors, len(inputs)),
                           NetworkState.from_flat(spec, out, state))


# --------------------------------------------------------------------------- runtime
class RuntimeEngine:
    """Runs chunks in-process with Brian2's runtime device (the fallback).

    Parameters
    ----------
    spec : NetworkSpec
    spike_monitors : bool
        Record every spike (:attr:`ChunkResult.spikes`).
    codegen_target : str, optional
        Brian2 code generation target of this engine's objects (``"numpy"``: no
        compilation, right for a few samples); default: Brian2's preference.
    """

    name = "runtime"

    def __init__(self, spec: NetworkSpec, *, spike_monitors: bool = False,
                 codegen_target: str | None = None):
        self.spec = spec
        self.spike_monitors = spike_monitors
        self.codegen_target = codegen_target

    def _codeobj_class(self):
        if self.codegen_target is None:
            return None
        if self.codegen_target == "numpy":
            from brian2.codegen.runtime.numpy_rt import NumpyCodeObject

            return NumpyCodeObject
        if self.codegen_target == "cython":
            from brian2.codegen.runtime.cython_rt import CythonCodeObject

            return CythonCodeObject
        raise ValueError(f"codegen_target must be 'numpy' or 'cython', got "
                         f"{self.codegen_target!r}")

    def run(self, inputs: ChunkInputs, state: NetworkState, seed: int) -> ChunkResult:
        import brian2 as b2
        from brian2 import Hz, ms, volt

        spec = self.spec
        padded = inputs.padded(spec)
        timed = {**padded, TimedInput.RATES: padded[TimedInput.RATES] * Hz}
        flat = state.flat()
        # the reward baseline only where a reward rule declares it; theta in volt
        initial = {v: flat[v.key] for name, v in STATE_VARIABLES.items()
                   if v.key in flat and (name != "rbar" or spec.readout_rule.needs_reward)}
        theta = STATE_VARIABLES["theta_volt"]
        initial[theta] = flat[theta.key] * volt
        # Brian2's runtime device draws from numpy's global generator, and b2.seed re-seeds
        # it: keep the caller's stream as it was (one seed source: random_state)
        saved = np.random.get_state()  # noqa: NPY002 - restoring, not drawing
        try:
            b2.seed(int(seed) % (2**31))
            net, h = build_network(spec, timed, initial, spike_monitors=self.spike_monitors,
                                   codeobj_class=self._codeobj_class())
            with _without_brian2_full_collection():
                net.run(run_duration_ms(spec) * ms, namespace={})
        finally:
            np.random.set_state(saved)  # noqa: NPY002
        out = {}
        for field_name, v in STATE_VARIABLES.items():
            if v.obj in h and v.var in h[v.obj].variables:
                q = getattr(h[v.obj], v.var)[:]
                out[v.key] = np.asarray(q / volt if field_name == "theta_volt" else q, float)
        monitors = {pop: np.asarray(h[pop.count_monitor].count[:], float).T
                    for pop in POPULATIONS}
        spikes = None
        if self.spike_monitors:
            spikes = {pop: (np.asarray(h[pop.spike_monitor].i[:], int),
                            np.asarray(h[pop.spike_monitor].t[:] / ms, float))
                      for pop in POPULATIONS}
        return ChunkResult(_counts(spec, monitors, len(inputs)),
                           NetworkState.from_flat(spec, out, state), spikes)


@contextlib.contextmanager
def _without_brian2_full_collection():
    """Run Brian2's ``Network.run`` without the full garbage collection it starts with.

    Brian2 2.9 calls ``gc.collect()`` at the start of every ``Network.run`` so that objects
    left out of a *magic* network warn. This engine runs an explicit
    :class:`~brian2.core.network.Network` of named objects, one per chunk; the collection
    finds nothing to warn about and walks every object of the Python process: 0.1-0.35 s
    per chunk in a process that has imported scikit-learn and Brian2 (22 s of a 76 s
    runtime-mode fit of 64 chunks, profiled here). Python's own collector still runs as
    usual. Brian2's module gets the ``gc`` module itself back afterwards, also when runs
    in two threads overlap (the runtime device keeps global state: runs in threads are not
    supported anyway).
    """
    import gc
    import types

    from brian2.core import network as b2_network

    b2_network.gc = types.SimpleNamespace(collect=lambda *args: 0)
    try:
        yield
    finally:
        b2_network.gc = gc


_NO_COMPILER: list[str] = []
#: what makes the engine of a compiled program (:func:`standalone_engines` swaps it)
_STANDALONE_FACTORIES: list = [StandaloneEngine]


def standalone_engine(spec: NetworkSpec):
    """The engine that runs ``spec``'s compiled program: a :class:`StandaloneEngine`, or
    what :func:`standalone_engines` put in its place."""
    return _STANDALONE_FACTORIES[-1](spec)


@contextlib.contextmanager
def standalone_engines(factory):
    """Inside the ``with`` block, every compiled program (training and batched inference)
    is run by ``factory(spec)`` instead of a :class:`StandaloneEngine`.

    ``factory(spec)`` returns an object with ``name`` and ``run(inputs, state, seed) ->``
    :class:`ChunkResult`, e.g. a fake that answers without compiling anything (the tests'
    seam). Engines are kept per process and cache directory
    (:class:`~brainlearn.snn.model.SpikingClassifier`), so use a fresh ``BRAINLEARN_CACHE``
    inside the block."""
    _STANDALONE_FACTORIES.append(factory)
    try:
        yield factory
    finally:
        _STANDALONE_FACTORIES.remove(factory)


def get_engine(spec: NetworkSpec, backend: str = "auto"):
    """A standalone engine (compiled once, cached on disk) or, as fallback, a runtime one."""
    if backend not in ("auto", "standalone", "runtime"):
        raise ValueError(f"backend must be 'auto', 'standalone' or 'runtime', got {backend!r}")
    build.check_step_count(spec)  # before compiling or allocating anything
    if backend == "runtime":
        return RuntimeEngine(spec)
    if backend == "auto" and _NO_COMPILER:
        return RuntimeEngine(spec)
    try:
        eng = standalone_engine(spec)
    except build.BuildError as exc:
        if backend == "standalone":
            raise
        _NO_COMPILER.append(str(exc))
        warnings.warn(
            "C++ standalone build failed (no working C++ compiler?); falling back to Brian2's "
            "runtime mode, which is much slower. Cause: " + str(exc)[-500:],
            RuntimeWarning,
            stacklevel=2,
        )
        return RuntimeEngine(spec)
    return eng

