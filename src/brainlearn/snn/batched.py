"""Batched inference: many frozen copies of the trained network in one compiled program.

Prediction has no plasticity and no teacher, so the samples of a prediction are
independent: ``B`` copies of the network (:mod:`brainlearn.snn.graph`: ``copies=B``, every
projection block-diagonal; ``plastic=False``: no rule code, no reward) run side by side in
one compiled program, each copy fed its own samples and started from the same learned
state. Sample ``s`` of a run is presented by copy ``s % B`` as its presentation ``s // B``;
a run takes as many presentations as its samples need (at most the compiled chunk ``K``;
the program stops early, :mod:`brainlearn.snn.program`), so a prediction of ``m`` samples
costs ``ceil(m / B)`` presentations of the ``B`` copies, and only the last one has silent
copies (padding).

Runs at once (``n_jobs``): a run is one process on one core, and a step of ``B`` copies is
too little work to share between threads (Brian2's OpenMP code was 2.3x slower on this
network with one thread and 2.7x with two, ``benchmarks/bench_engine_options.py``). With
``n_jobs > 1`` the samples are instead split into runs of nearly equal numbers of
presentations (at most ``K`` each; as many runs as it takes, rounded up to a multiple of
``n_jobs``, and no more than there are presentations), ``n_jobs`` of which run side by side,
each with its own seed: where that split differs from ``n_jobs=1``'s, the counts are another
draw of the same distribution, not those of ``n_jobs=1`` sample by sample. ``n_jobs=1``
keeps the split above (runs of ``B K`` samples in order, the last one short).

Everything a copy computes -- equations, integration methods, the per-presentation reset,
the spike counts read per presentation, the random phase of each afferent at each
presentation, the efferent noise -- is the code of the training network with learning off.
Random numbers are drawn in a different order (many copies per time step), so the spike
counts equal the sequential path's exactly only where no random number is involved
(afferents that fire at every step or never, no noise) and otherwise in distribution
(``tests/test_snn_batched.py``).
"""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .._base import is_int
from .engines import ChunkInputs, NetworkState, standalone_engine
from .graph import POPULATIONS, NetworkSpec
from .names import PopulationName

__all__ = ["BatchedEngine", "default_shape", "inference_spec", "split_runs"]

#: the default shape of an inference program: up to ``MAX_COPIES`` copies side by side,
#: fewer where a copy has many synapses (the program creates its synapses at every run, so
#: set-up time grows with copies x synapses: at most about ``SYNAPSE_BUDGET`` synapses),
#: and presentations per copy for about ``CAPACITY`` samples per run. Measured on xor
#: (50 600 synapses per copy): 10 copies predict faster than 40 (set-up 4-8x shorter, the
#: time-step loop no slower).
MAX_COPIES = 10
SYNAPSE_BUDGET = 520_000
CAPACITY = 1000


def default_shape(spec: NetworkSpec) -> tuple[int, int]:
    """``(copies, presentations)`` of the inference program of ``spec``'s network."""
    p = spec.net
    per_copy = (spec.n_afferent * p.n_hidden + p.n_hidden + p.n_hidden * (p.n_hidden - 1)
                + p.n_hidden * spec.n_efferent + 2 * p.n_per_class**2)
    copies = int(min(MAX_COPIES, max(1, SYNAPSE_BUDGET // per_copy)))
    return copies, -(-CAPACITY // copies)


def inference_spec(spec: NetworkSpec, copies: int | None = None,
                   presentations: int | None = None) -> NetworkSpec:
    """The inference program of the network of ``spec`` (any chunk, copies or plasticity):
    ``copies`` frozen copies, ``presentations`` per copy and run (default:
    :func:`default_shape`)."""
    c, k = default_shape(spec)
    copies = c if copies is None else int(copies)
    presentations = k if presentations is None else int(presentations)
    if copies < 1 or presentations < 1:
        raise ValueError(f"copies and presentations must be >= 1, got {copies}, "
                         f"{presentations}")
    # without plasticity the rules leave no code and the teacher-or-reward choice
    # (``supervised``) none either: one inference program serves every rule
    return dataclasses.replace(spec, chunk=presentations, copies=copies, plastic=False,
                               supervised=True)


def split_runs(n_samples: int, copies: int, presentations: int,
               n_jobs: int = 1) -> list[tuple[int, int]]:
    """The runs of a prediction of ``n_samples`` samples, as ``(start, stop)`` sample ranges
    (module docstring): with ``n_jobs=1`` runs of ``copies * presentations`` samples, the
    last one short; with ``n_jobs > 1`` runs of nearly equal numbers of presentations, none
    longer than ``presentations``, their number rounded up to a multiple of ``n_jobs``
    (at least ``n_jobs``) but no more than the presentations of the ``copies`` to share."""
    if not is_int(n_jobs) or n_jobs < 1:
        raise ValueError(f"n_jobs must be an int >= 1 here (resolve None and -1 with "
                         f"joblib.effective_n_jobs), got {n_jobs!r}")
    B, K, m = int(copies), int(presentations), int(n_samples)
    if m <= 0:
        return []
    capacity = B * K
    if n_jobs <= 1:
        return [(lo, min(m, lo + capacity)) for lo in range(0, m, capacity)]
    n_pres = -(-m // B)  # presentations of the B copies in all
    n_runs = -(-m // capacity)
    n_runs = min(n_pres, -(-max(n_runs, n_jobs) // n_jobs) * n_jobs)
    # presentations per run: as equal as possible, the longer runs first
    per, extra = divmod(n_pres, n_runs)
    bounds = np.cumsum([0] + [per + (r < extra) for r in range(n_runs)]) * B
    return [(int(lo), int(min(m, hi))) for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]


class BatchedEngine:
    """Predicts with the compiled inference program of a network (see the module docstring).

    Parameters
    ----------
    spec : NetworkSpec
        The network (its chunk, copies and plasticity are replaced by the inference shape).
    copies, presentations : int, optional
        Shape of the inference program (default: :func:`default_shape`).
    """

    name = "standalone-batched"

    def __init__(self, spec: NetworkSpec, copies: int | None = None,
                 presentations: int | None = None):
        self.spec = inference_spec(spec, copies, presentations)
        self.engine = standalone_engine(self.spec)

    @property
    def capacity(self) -> int:
        """Samples per run of the program."""
        return self.spec.copies * self.spec.chunk

    def counts(self, rates: np.ndarray, state: NetworkState, seed: int,
               n_jobs: int = 1) -> dict[PopulationName, np.ndarray]:
        """Spike counts per sample and population, ``{pop: (n_samples, n_pop)}``.

        Parameters
        ----------
        rates : ndarray (n_samples, n_afferent)
            Afferent rates in Hz, one row per sample.
        state : NetworkState
            The learned state (only weights and thresholds matter: no plasticity).
        seed : int
            Seeds the program's random numbers (one seed per run derived from it).
        n_jobs : int
            Runs of the program at once (:func:`split_runs`; module docstring).
        """
        spec = self.spec
        B, n_aff = spec.copies, spec.n_afferent
        rates = np.asarray(rates, float)
        if rates.ndim != 2 or rates.shape[1] != n_aff:
            raise ValueError(f"rates must have shape (n, {n_aff}), got {rates.shape}")
        runs = split_runs(len(rates), B, spec.chunk, n_jobs)
        seeds = np.random.SeedSequence(int(seed) % (2**63)).generate_state(max(len(runs), 1))

        def run(r: int) -> dict[PopulationName, np.ndarray]:
            lo, hi = runs[r]
            m = hi - lo
            n_pres = -(-m // B)
            # sample s -> presentation s // B of copy s % B; the padding copies are silent
            grid = np.zeros((n_pres * B, n_aff))
            grid[:m] = rates[lo:hi]
            res = self.engine.run(ChunkInputs.make(grid.reshape(n_pres, B * n_aff)), state,
                                  int(seeds[r]) % (2**31))
            # (n_pres, B * n_pop), copy-major columns -> one row per sample
            return {pop: res.counts[pop].reshape(n_pres * B, -1)[:m] for pop in POPULATIONS}

        if n_jobs > 1 and len(runs) > 1:
            # each run is a process of its own; the threads only wait for them
            with ThreadPoolExecutor(min(n_jobs, len(runs)),
                                    thread_name_prefix="brainlearn-predict") as pool:
                results = list(pool.map(run, range(len(runs))))
        else:
            results = [run(r) for r in range(len(runs))]
        parts: dict[PopulationName, list[np.ndarray]] = {
            pop: [res[pop] for res in results] for pop in POPULATIONS}
        sizes = spec.population_sizes
        return {pop: np.concatenate(parts[pop]) if parts[pop] else np.zeros((0, sizes[pop]))
                for pop in POPULATIONS}
