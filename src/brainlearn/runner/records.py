"""The two kinds of result rows: :class:`RunRecord` (one finished run, saved as
``results/runs/<run-id>.json``) and :class:`SummaryRow` (its line of ``summary.csv``).

Both own their round trip: ``RunRecord.from_dict(d).to_dict() == d`` for every valid
record, and ``SummaryRow.from_csv(row).csv_fields()`` gives back the strings of the CSV.

Validation on read
------------------
:func:`record_problems` lists what is wrong with a record read from disk (empty when it
is valid): its fields and their types, accuracies in [0, 1], timings and counts finite and
not negative, its configuration hashing to its ``run_id`` and agreeing with its task, seed,
sizes, model label and family, and its schema version:

- schema 2 (written since records carry a checksum): ``checksum`` must be the SHA-256 of
  the record's canonical JSON without the checksum itself (:func:`content_checksum`), so a
  record whose metrics, labels or schema were edited by hand is refused even though its
  configuration still hashes to its name;
- schema 1 (the records written before): accepted without a checksum (one may not be
  present), under every other check above.

The record is saved with its checksum by :func:`.storage.write_record` (:meth:`RunRecord.sealed`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .energy import energy_per_sample_pj

__all__ = [
    "SCHEMA",
    "SUMMARY_COLUMNS",
    "SUPPORTED_SCHEMAS",
    "InvalidRecord",
    "RunRecord",
    "SummaryRow",
    "content_checksum",
    "record_problems",
]

#: the schema version of the records written now (2: with a checksum)
SCHEMA = 2
#: the schema versions read: 1 (no checksum) and 2
SUPPORTED_SCHEMAS = (1, 2)


class InvalidRecord(ValueError):
    """A run record that does not pass :func:`record_problems`; ``problems`` lists why."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems[:3]) + ("; ..." if len(problems) > 3 else ""))


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _is_amount(v: Any) -> bool:
    """A finite number not below 0 (a time, a count of operations)."""
    return _is_number(v) and v >= 0


def _is_count(v: Any, minimum: int = 0) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= minimum


def _is_str(v: Any) -> bool:
    return isinstance(v, str) and bool(v)


def _amounts(v: Any, nullable: bool = False) -> bool:
    """A dict of amounts (None allowed with ``nullable``)."""
    return isinstance(v, dict) and all(
        (x is None and nullable) or _is_amount(x) for x in v.values())


def _timings_ok(v: Any) -> bool:
    if not isinstance(v, dict):
        return False
    inner = v.get("analyses_s", {})
    return (_amounts({k: x for k, x in v.items() if k != "analyses_s"})
            and _amounts(inner))


def _metrics_ok(v: Any) -> bool:
    return isinstance(v, dict) and (
        "train_accuracy_samples" not in v or _is_count(v["train_accuracy_samples"], 1))


#: the fields of a record: name -> (required, check)
_FIELDS: dict[str, tuple[bool, Any]] = {
    "schema": (True, lambda v: _is_count(v) and v in SUPPORTED_SCHEMAS),
    "run_id": (True, _is_str),
    "config": (True, lambda v: isinstance(v, dict)),
    "task": (True, _is_str),
    "model": (True, _is_str),
    "family": (True, lambda v: isinstance(v, str)),
    "seed": (True, _is_count),
    "n_train": (True, lambda v: _is_count(v, 1)),
    "n_test": (True, lambda v: _is_count(v, 1)),
    "metrics": (True, _metrics_ok),
    "analyses": (True, lambda v: isinstance(v, dict)),
    "errors": (True, lambda v: isinstance(v, dict)),
    "registry_model": (False, _is_str),
    "n_train_actual": (False, lambda v: _is_count(v, 1)),
    "n_test_actual": (False, lambda v: _is_count(v, 1)),
    "n_features": (False, lambda v: _is_count(v, 1)),
    "history": (False, lambda v: isinstance(v, dict)),
    "budget": (False, lambda v: _amounts(v, nullable=True)),
    "ops_per_sample": (False, lambda v: _amounts(v, nullable=True)),
    "timings": (False, _timings_ok),
    "environment": (False, lambda v: isinstance(v, dict)),
    "created": (False, lambda v: isinstance(v, str)),
    "worker": (False, lambda v: isinstance(v, dict)),
    "checksum": (False, lambda v: isinstance(v, str)),
    "tuning": (False, lambda v: _tuning_ok(v)),
    "warnings": (False, lambda v: _warnings_ok(v)),
}


def _warnings_ok(v: Any) -> bool:
    """The ``warnings`` a run raised (:class:`.execute.WarningCounter`); ``during`` (the
    step of the run) is absent from the records written before it was kept."""
    return isinstance(v, list) and bool(v) and all(
        isinstance(w, dict) and set(w) - {"during"} == {"category", "message", "count"}
        and _is_str(w["category"]) and isinstance(w["message"], str)
        and _is_count(w["count"], 1) and _is_str(w.get("during", "-")) for w in v)


#: the steps of a run, in order, that its warnings name (``during``); an analysis's
#: warnings name the analysis, between the training predictions and the record
STEPS = ("setup", "tune", "fit", "predict test", "predict train", "record")

#: a number in a warning's message: not part of a word (a hash such as ``184b82f7``), sign
#: and exponent included
WARNING_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?![\w.])")


def warning_text(w: Mapping[str, Any]) -> str:
    """One entry of a record's ``warnings`` as a line: category, step, message, count."""
    times = f" ({w['count']} times)" if w["count"] > 1 else ""
    return f"{w['category']} ({w.get('during', '?')}): {w['message']}{times}"


def warning_kind(message: str) -> str:
    """What a warning's message says, without its numbers: the message up to its first
    colon, each number (:data:`WARNING_NUMBER`) as ``#`` (a summary counts the warnings of
    one kind together)."""
    return WARNING_NUMBER.sub("#", message.split(": ")[0])


def _tuning_ok(v: Any) -> bool:
    """The ``tuning`` of a tuned run (:class:`~.tune.TuningResult`)."""
    return (isinstance(v, dict) and _is_count(v.get("trials"), 1)
            and _is_count(v.get("completed"), 1) and _is_count(v.get("failed"))
            and _is_number(v.get("validation_score"))
            and 0.0 <= v["validation_score"] <= 1.0
            and isinstance(v.get("best_overrides"), dict) and _is_amount(v.get("wall_s")))


def content_checksum(d: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of a record's canonical JSON (sorted keys, no spaces), the
    ``checksum`` field itself left out."""
    body = {k: v for k, v in d.items() if k != "checksum"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), allow_nan=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def record_problems(d: Any, run_id: str | None = None) -> list[str]:
    """What is wrong with the plain-data form of a run record (empty when it is valid);
    see the module docstring. ``run_id`` is the file's name, when it has one."""
    if not isinstance(d, dict):
        return [f"not a JSON object but {type(d).__name__}"]
    problems = [f"unknown field {k!r}" for k in d if k not in _FIELDS]
    problems += [f"missing field {k!r}" for k, (req, _) in _FIELDS.items()
                 if req and k not in d]
    problems += [f"field {k!r} has a wrong type or value: {d[k]!r:.60}"
                 for k, (_, ok) in _FIELDS.items() if k in d and not ok(d[k])]
    if problems:
        return problems
    if d["schema"] >= 2:
        if "checksum" not in d:
            problems.append(f"a schema {d['schema']} record must carry a checksum")
        elif d["checksum"] != content_checksum(d):
            problems.append("its content does not match its checksum (edited after it was "
                            "written?)")
    elif "checksum" in d:
        problems.append("a schema 1 record has no checksum (its schema was edited?)")
    if run_id is not None and d["run_id"] != run_id:
        problems.append(f"run_id {d['run_id']!r} is not the file's name {run_id!r}")
    for key in ("test_accuracy", "train_accuracy"):
        v = d["metrics"].get(key)
        if v is None and key == "train_accuracy":
            continue
        if not _is_number(v) or not 0.0 <= v <= 1.0:
            problems.append(f"metrics.{key} must be a number in [0, 1], got {v!r:.60}")
    from .config import RunConfig

    try:
        cfg = RunConfig.from_dict(d["config"])
        cfg_id = cfg.run_id
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        problems.append(f"config is not a run configuration ({type(exc).__name__}: {exc})")
    else:
        if cfg_id != d["run_id"]:
            problems.append(f"config hashes to {cfg_id}, not to its run_id {d['run_id']}")
        if (cfg.task, cfg.seed, cfg.n_train, cfg.n_test) != (
                d["task"], d["seed"], d["n_train"], d["n_test"]):
            problems.append("task, seed or sizes differ from those of its config")
        if (cfg.label, cfg.family, cfg.model) != (
                d["model"], d["family"], d.get("registry_model", cfg.model)):
            problems.append("model label, family or registry model differ from those of "
                            "its config")
    return problems


@dataclass
class RunRecord:
    """One finished run: what was run (``config`` and the fields copied from it), what it
    measured (``metrics``, ``history``, ``budget``, ``ops_per_sample``, ``timings``), the
    analysis payloads (``analyses``, failures in ``errors``), the warnings it raised
    (``warnings``) and where it ran.

    Optional fields are None when a record lacks them (:meth:`to_dict` leaves them out).
    """

    run_id: str
    config: dict[str, Any]
    task: str
    model: str
    family: str
    seed: int
    n_train: int
    n_test: int
    metrics: dict[str, Any]
    analyses: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    schema: int = SCHEMA
    registry_model: str | None = None
    n_train_actual: int | None = None
    n_test_actual: int | None = None
    n_features: int | None = None
    history: dict[str, list] | None = None
    budget: dict[str, float | None] | None = None
    ops_per_sample: dict[str, float | None] | None = None
    timings: dict[str, Any] | None = None
    environment: dict[str, Any] | None = None
    created: str | None = None
    worker: dict[str, Any] | None = None
    checksum: str | None = None
    #: a tuned run's search: trials, the chosen values, the validation score, wall time
    tuning: dict[str, Any] | None = None
    #: the warnings the run raised: ``{"category", "message", "count", "during"}`` each
    warnings: list[dict[str, Any]] | None = None

    # ------------------------------------------------------------------ round trip

    @classmethod
    def from_dict(cls, d: Any, run_id: str | None = None) -> RunRecord:
        """The record of plain data read from disk; :class:`InvalidRecord` when it does
        not pass :func:`record_problems` (``run_id``: the file's name)."""
        problems = record_problems(d, run_id)
        if problems:
            raise InvalidRecord(problems)
        return cls(**d)

    @classmethod
    def from_json(cls, data: bytes | str, run_id: str | None = None) -> RunRecord:
        """:meth:`from_dict` of JSON text; undecodable text is an :class:`InvalidRecord`."""
        try:
            d = json.loads(data.decode("utf-8") if isinstance(data, bytes) else data)
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            raise InvalidRecord([f"not JSON text: {exc}"]) from None
        return cls.from_dict(d, run_id)

    def to_dict(self) -> dict[str, Any]:
        """The plain data saved on disk (optional fields that are None left out)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                if getattr(self, f.name) is not None}

    def sealed(self) -> RunRecord:
        """This record at the current :data:`SCHEMA` with its checksum (as it is saved)."""
        rec = dataclasses.replace(self, schema=SCHEMA, checksum=None)
        rec.checksum = content_checksum(rec.to_dict())
        return rec

    # ------------------------------------------------------------------ reading

    @property
    def test_accuracy(self) -> float:
        return self.metrics["test_accuracy"]

    @property
    def train_accuracy(self) -> float | None:
        return self.metrics.get("train_accuracy")

    @property
    def complete(self) -> bool:
        """Whether every analysis succeeded (an incomplete run is redone)."""
        return not self.errors

    def training_budget(self) -> dict[str, float | None]:
        """``{"presentations", "epochs"}`` of the fit: the ``budget`` field when it has
        presentations, else the last ``samples_seen`` of the training history (None when
        neither)."""
        b = self.budget
        if isinstance(b, dict) and b.get("presentations") is not None:
            return {"presentations": float(b["presentations"]), "epochs": b.get("epochs")}
        seen = (self.history or {}).get("samples_seen") or []
        if not seen:
            return {"presentations": None, "epochs": None}
        n = self.n_train_actual or self.n_train
        pres = float(seen[-1])
        return {"presentations": pres, "epochs": pres / float(n) if n else None}

    def payload(self, name: str) -> dict | None:
        """The analysis payload ``name``, or None when it is absent or was skipped."""
        p = self.analyses.get(name)
        if not isinstance(p, dict) or "skipped" in p:
            return None
        return p


# ---------------------------------------------------------------------- summary rows

#: the columns of summary.csv, in order (the fields of :class:`SummaryRow`)
SUMMARY_COLUMNS = [
    "run_id", "task", "model", "registry_model", "family", "seed", "n_train", "n_test",
    "n_train_actual", "n_test_actual", "test_accuracy", "train_accuracy",
    "fit_s", "predict_s", "fit_per_sample_us", "predict_per_sample_us",
    "macs_per_sample", "synaptic_events_per_sample", "spikes_per_sample",
    "energy_per_sample_nj", "presentations", "epochs", "complete", "git_commit", "params",
    "validation_score", "tune_trials", "tune_s",
]


def _scale(v, factor):
    return None if v is None else float(v) * factor


@dataclass(frozen=True)
class SummaryRow:
    """One tidy row of ``summary.csv``: a run's identity, accuracies, cost and budget."""

    run_id: str
    task: str
    model: str
    registry_model: str
    family: str
    seed: int
    n_train: int
    n_test: int
    n_train_actual: int | None
    n_test_actual: int | None
    test_accuracy: float
    train_accuracy: float | None = None
    fit_s: float | None = None
    predict_s: float | None = None
    fit_per_sample_us: float | None = None
    predict_per_sample_us: float | None = None
    macs_per_sample: float | None = None
    synaptic_events_per_sample: float | None = None
    spikes_per_sample: float | None = None
    energy_per_sample_nj: float | None = None
    presentations: float | None = None
    epochs: float | None = None
    complete: bool = True
    git_commit: str | None = None
    params: str = "{}"
    #: a tuned run's best validation score (None: the run was not tuned)
    validation_score: float | None = None
    #: a tuned run's number of trials (None: registry defaults or a spec's overrides)
    tune_trials: int | None = None
    #: a tuned run's seconds in its trials (the refit excluded)
    tune_s: float | None = None

    _INTS: ClassVar[frozenset] = frozenset(
        {"seed", "n_train", "n_test", "n_train_actual", "n_test_actual", "tune_trials"})
    _FLOATS: ClassVar[frozenset] = frozenset(
        {"test_accuracy", "train_accuracy", "fit_s", "predict_s", "fit_per_sample_us",
         "predict_per_sample_us", "macs_per_sample", "synaptic_events_per_sample",
         "spikes_per_sample", "energy_per_sample_nj", "presentations", "epochs",
         "validation_score", "tune_s"})

    @classmethod
    def from_record(cls, r: RunRecord) -> SummaryRow:
        budget = r.training_budget()
        t = r.timings or {}
        ops = r.ops_per_sample or {}
        energy = energy_per_sample_pj(r.family, ops)
        return cls(
            run_id=r.run_id, task=r.task, model=r.model,
            registry_model=r.registry_model or r.model, family=r.family, seed=r.seed,
            n_train=r.n_train, n_test=r.n_test,
            n_train_actual=r.n_train_actual if r.n_train_actual is not None else r.n_train,
            n_test_actual=r.n_test_actual if r.n_test_actual is not None else r.n_test,
            test_accuracy=r.test_accuracy, train_accuracy=r.train_accuracy,
            fit_s=t.get("fit_s"), predict_s=t.get("predict_s"),
            fit_per_sample_us=_scale(t.get("fit_per_sample_s"), 1e6),
            predict_per_sample_us=_scale(t.get("predict_per_sample_s"), 1e6),
            macs_per_sample=ops.get("macs"),
            synaptic_events_per_sample=ops.get("synaptic_events"),
            spikes_per_sample=ops.get("spikes"),
            energy_per_sample_nj=_scale(energy, 1e-3),
            presentations=budget["presentations"], epochs=budget["epochs"],
            complete=r.complete, git_commit=(r.environment or {}).get("git_commit"),
            params=json.dumps(r.config.get("params", {}), sort_keys=True),
            validation_score=(r.tuning or {}).get("validation_score"),
            tune_trials=(r.tuning or {}).get("trials"),
            tune_s=(r.tuning or {}).get("wall_s"),
        )

    def csv_fields(self) -> dict[str, Any]:
        """The row for :class:`csv.DictWriter` (None written as an empty cell)."""
        return {k: ("" if (v := getattr(self, k)) is None else v) for k in SUMMARY_COLUMNS}

    @classmethod
    def from_csv(cls, row: Mapping[str, str]) -> SummaryRow:
        """A row read by :class:`csv.DictReader` with its numbers parsed back."""
        parsed: dict[str, Any] = {}
        for k in SUMMARY_COLUMNS:
            v = row.get(k) or ""  # columns added later are absent from older files
            if k in cls._INTS:
                parsed[k] = int(v) if v != "" else None
            elif k in cls._FLOATS:
                parsed[k] = float(v) if v != "" else None
            elif k == "complete":
                parsed[k] = v == "True"
            elif k == "git_commit":
                parsed[k] = v or None
            else:
                parsed[k] = v or ("{}" if k == "params" else v)
        return cls(**parsed)

    def metric(self, name: str) -> float | None:
        """The value of a metric column by name (``"test_accuracy"``, ...)."""
        if name not in self._FLOATS:
            raise KeyError(f"{name!r} is not a numeric column of summary.csv")
        return getattr(self, name)
