"""How a batched prediction's samples are split into runs of the inference program
(:func:`brainlearn.snn.batched.split_runs`): ``n_jobs=1`` keeps the split of the recorded
results; ``n_jobs > 1`` shares the presentations evenly among at least ``n_jobs`` runs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from brainlearn.snn.batched import split_runs


def _covers(runs, m):
    assert [lo for lo, _ in runs[1:]] == [hi for _, hi in runs[:-1]]  # contiguous
    assert (runs[0][0], runs[-1][1]) == (0, m)
    assert all(hi > lo for lo, hi in runs)


def test_one_job_keeps_full_runs_in_order():
    assert split_runs(2500, 10, 100) == [(0, 1000), (1000, 2000), (2000, 2500)]
    assert split_runs(0, 10, 100, n_jobs=4) == []
    # two jobs: the presentations shared evenly; never more runs than presentations
    assert split_runs(1000, 10, 100, n_jobs=2) == [(0, 500), (500, 1000)]
    assert split_runs(1001, 10, 100, n_jobs=2) == [(0, 510), (510, 1001)]
    assert split_runs(2500, 10, 100, n_jobs=2) == [(0, 630), (630, 1260), (1260, 1880),
                                                   (1880, 2500)]
    assert split_runs(15, 10, 100, n_jobs=8) == [(0, 10), (10, 15)]


@given(m=st.integers(1, 5000), copies=st.integers(1, 12), pres=st.integers(1, 120),
       jobs=st.integers(1, 6))
def test_runs_cover_the_samples_within_the_programs_capacity(m, copies, pres, jobs):
    runs = split_runs(m, copies, pres, jobs)
    _covers(runs, m)
    capacity = copies * pres
    assert all(hi - lo <= capacity for lo, hi in runs)
    # every run starts a presentation of all copies (sample s -> copy s % copies)
    assert all(lo % copies == 0 for lo, _ in runs)
    if jobs == 1:
        assert all(hi - lo == capacity for lo, hi in runs[:-1])
        assert len(runs) == -(-m // capacity)
    else:
        n_pres = -(-m // copies)
        per_run = [-(-(hi - lo) // copies) for lo, hi in runs]
        assert max(per_run) - min(per_run) <= 1
        assert len(runs) >= min(jobs, n_pres)
        # as many rounds of jobs as the capacity asks for: a multiple of jobs unless
        # there are fewer presentations than that
        assert len(runs) % jobs == 0 or len(runs) == n_pres


def test_the_number_of_jobs_is_resolved_before_the_split():
    for bad in (0, -1, None, 1.5):
        with pytest.raises(ValueError, match="n_jobs"):
            split_runs(10, 2, 5, bad)
