"""brainlearn.runner: declarative experiments, resumable results, statistics.

Pipeline (what ``brainlearn run`` does)::

    specs = [load_spec("experiments/default.toml")]   # spec.py: validated TOML
    runs = resolve_runs(specs)                         # one RunConfig per run, id = config hash
    run_sweep(runs, out, jobs=2)                       # sweep.py: only the missing runs
    write_reports(out)                                 # report.py: summary.csv, stats.csv, .md
    brainlearn.figures.build.build_figures(out)        # every figure from the saved records

A record (``results/runs/<run-id>.json``, see :mod:`.execute`) holds: ``config`` (the
resolved configuration, whose hash is the id), ``task``, ``model`` (the label),
``registry_model``, ``family``, ``seed``, ``n_train``/``n_test`` (requested) and
``n_train_actual``/``n_test_actual``, ``metrics`` (test and train accuracy),
``timings`` (fit, predict, per sample, per analysis), ``ops_per_sample``, ``history``
(the estimator's per-checkpoint curves), ``analyses`` (one payload per requested
analysis, or ``{"skipped": reason}``), ``errors`` (failed analyses; the run is then
redone by the next sweep), ``environment`` (versions, git commit) and ``created``.
"""

from .report import write_reports
from .spec import ANALYSES, ExperimentSpec, RunConfig, SpecError, load_spec, resolve_runs
from .stats import update_readme
from .sweep import SweepReport, run_sweep

__all__ = [
    "ANALYSES",
    "ExperimentSpec",
    "RunConfig",
    "SpecError",
    "SweepReport",
    "load_spec",
    "resolve_runs",
    "run_sweep",
    "update_readme",
    "write_reports",
]
