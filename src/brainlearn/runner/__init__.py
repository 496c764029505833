"""brainlearn.runner: declarative experiments, resumable results, statistics.

Pipeline (what ``brainlearn run`` does)::

    specs = [load_spec(path)]                  # spec.py: validated TOML (models checked too)
    runs = resolve_runs(specs)                 # config.py: one RunConfig per run, id = hash
    run_sweep(runs, out, jobs=2)               # sweep.py (+ executors, progress): missing runs
    write_reports(out)                         # report.py, stats.py: summary.csv, stats.csv, .md
    brainlearn.figures.build.build_figures(out)  # every figure from the saved records

Each run fits a model (models.py) and computes the analyses it asks for (execute.py, from
the table in analyses.py; what a model can do is checked against capabilities.py). Records
are validated on read and damaged ones set aside (storage.py).

A record (``results/runs/<run-id>.json``, a :class:`.records.RunRecord`) holds: ``schema``
and ``checksum`` (of its whole content, checked on read), ``config`` (the
resolved configuration, whose hash is the id), ``task``, ``model`` (the label),
``registry_model``, ``family``, ``seed``, ``n_train``/``n_test`` (requested) and
``n_train_actual``/``n_test_actual``, ``metrics`` (test and train accuracy),
``timings`` (fit, predict, per sample, per analysis), ``ops_per_sample``, ``history``
(the estimator's per-checkpoint curves), ``analyses`` (one payload per requested
analysis, or ``{"skipped": reason}``), ``errors`` (failed analyses; the run is then
redone by the next sweep), ``environment`` (versions, git commit) and ``created``.
"""

from .._readme import update_readme
from .analyses import ANALYSES
from .config import RunConfig
from .report import write_reports
from .spec import ExperimentSpec, SpecError, load_spec, resolve_runs
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
