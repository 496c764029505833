"""What the current results show, in three to six sentences generated from the saved
results: the block at the top of the README (``<!-- answer:start -->``).

:func:`headline_markdown` takes the summary rows of each experiment (``{name: rows}``, the
first one being the main comparison) and compares, task by task at each task's largest
training size and over the seeds run, the best model of each family with the best backprop
MLP: spiking networks with local plastic synapses (family ``snn``), the same kind of
network trained by backprop (``snn-backprop``) and non-spiking local learners (``local``).
Controls (a learner with one part switched off: :data:`.contributions.CONTROLS` and every
``*-frozen`` model) are left out of "best"; tasks whose labels are independent of the input
(``seed-random``) are left out of the comparisons, since every model is at chance there.
"Best" is the highest mean test accuracy over seeds per task -- a description of the
results, not a selection for further use (the tuned experiment selects on validation
scores: :mod:`.tuned`).

Nothing here is typed by hand: every number and name comes from the rows, and an
experiment without rows gives no sentence.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

import numpy as np

from .contributions import CONTROLS
from .records import SummaryRow

__all__ = ["CLOSE", "best_by_family", "headline_markdown", "headline_sentences",
           "largest_size_rows", "seeds_phrase"]

#: a difference of mean test accuracy this small or smaller counts as "level with"
CLOSE = 0.01

#: tasks left out of the comparisons: their labels do not depend on the input
CHANCE_TASKS = ("seed-random",)

_FAMILY_WORDS = {
    "snn": "the best spiking network with local plastic synapses",
    "snn-backprop": "the same kind of spiking network trained by backprop through time",
    "local": "the best non-spiking local learner",
}


def _is_control(model: str) -> bool:
    return model in CONTROLS or model.endswith("-frozen") or model == "snn-random"


def largest_size_rows(rows: Iterable[SummaryRow]) -> list[SummaryRow]:
    """The rows of each task's largest training size that have a test accuracy."""
    rows = list(rows)
    head: dict[str, int] = {}
    for r in rows:
        head[r.task] = max(head.get(r.task, 0), int(r.n_train))
    return [r for r in rows if int(r.n_train) == head[r.task] and r.test_accuracy is not None]


def best_by_family(rows: Iterable[SummaryRow]) -> dict[str, dict[str, tuple[str, float, int]]]:
    """Per task, per family: ``(model, mean test accuracy, seeds)`` of the model with the
    highest mean over seeds at the task's largest training size (controls left out)."""
    cells: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for r in largest_size_rows(rows):
        if not _is_control(r.model):
            cells[(r.task, r.family, r.model)].append(float(r.test_accuracy))
    out: dict[str, dict[str, tuple[str, float, int]]] = defaultdict(dict)
    for (task, fam, model), accs in sorted(cells.items()):
        mean = float(np.mean(accs))
        have = out[task].get(fam)
        if have is None or mean > have[1]:
            out[task][fam] = (model, mean, len(accs))
    return dict(out)


def _tasks_phrase(tasks: list[str]) -> str:
    if len(tasks) <= 1:
        return "".join(tasks)
    return ", ".join(tasks[:-1]) + " and " + tasks[-1]


def _family_sentence(best, tasks: list[str], fam: str, first: bool, where: str) -> str | None:
    pairs = [(t, best[t][fam], best[t]["mlp"]) for t in tasks
             if fam in best[t] and "mlp" in best[t]]
    if not pairs:
        return None
    level = [t for t, f, m in pairs if f[1] >= m[1] - CLOSE]
    behind = sorted(((m[1] - f[1], t, f, m) for t, f, m in pairs if f[1] < m[1] - CLOSE),
                    reverse=True)
    who = _FAMILY_WORDS[fam]
    models = sorted({f[0] for _, f, _ in pairs})
    named = f" ({', '.join(models)})" if len(models) <= 3 else ""
    head = (f"{where}, {who}{named}" if first else f"{who[0].upper()}{who[1:]}{named}")
    if not behind:
        return (f"{head} is level with the best backprop MLP (within {CLOSE:g} in mean test "
                f"accuracy) on all {len(pairs)} tasks.")
    gap, t, f, m = behind[0]
    if not level:
        return (f"{head} is behind the best backprop MLP on all {len(pairs)} tasks, most on "
                f"{t} ({f[1]:.3f} against {m[1]:.3f} for {m[0]}).")
    rest = [b[1] for b in behind]
    if len(rest) == 1:
        return (f"{head} is level with the best backprop MLP (within {CLOSE:g}) on "
                f"{len(level)} of {len(pairs)} tasks and behind on {t} ({f[1]:.3f} against "
                f"{m[1]:.3f} for {m[0]}).")
    return (f"{head} is level with the best backprop MLP (within {CLOSE:g}) on {len(level)} "
            f"of {len(pairs)} tasks ({_tasks_phrase(level)}) and behind on "
            f"{_tasks_phrase(rest)}, most on {t} ({f[1]:.3f} against {m[1]:.3f} for {m[0]}).")


def seeds_phrase(rows: list[SummaryRow]) -> str:
    """"5 seeds" (or "3-5 seeds" when the cells differ) for a sentence."""
    per_cell: dict[tuple[str, str], set[int]] = defaultdict(set)
    for r in rows:
        per_cell[(r.task, r.model)].add(int(r.seed))
    n = sorted({len(s) for s in per_cell.values()})
    return (f"{n[0]} seeds" if len(n) == 1 else f"{n[0]}-{n[-1]} seeds") if n else "no seeds"


def headline_sentences(rows_by_experiment: Mapping[str, Iterable[SummaryRow]],
                       limit: int = 6) -> list[str]:
    """The sentences (at most ``limit``): for the first experiment one per family compared
    with the backprop MLP; for each further experiment one naming its tasks' best spiking
    local-rule model against the best MLP."""
    out: list[str] = []
    for k, (name, rows) in enumerate(rows_by_experiment.items()):
        rows = largest_size_rows(rows)
        if not rows:
            continue
        best = best_by_family(rows)
        tasks = [t for t in dict.fromkeys(r.task for r in rows)
                 if t not in CHANCE_TASKS and t in best]
        if not tasks:
            continue
        where = (f"On the {len(tasks)} learnable tasks of the {name} experiment "
                 f"({seeds_phrase(rows)})")
        if k == 0:
            first = True
            for fam in ("snn", "snn-backprop", "local"):
                s = _family_sentence(best, tasks, fam, first, where)
                if s:
                    out.append(s)
                    first = False
            chance = [r.test_accuracy for r in rows if r.task in CHANCE_TASKS]
            if chance:
                out.append(f"On labels independent of the input every model stays at chance "
                           f"(mean test accuracies {min(_means(rows, CHANCE_TASKS)):.2f}-"
                           f"{max(_means(rows, CHANCE_TASKS)):.2f}), as it should.")
            continue
        from ..tasks import task_info

        def classes(t: str) -> int:
            try:
                return task_info(t).n_classes
            except (KeyError, ValueError):
                return 0

        parts = []
        # the tasks with the most classes first, at most three
        for t in sorted(tasks, key=lambda t: (-classes(t), t))[:3]:
            if "snn" in best[t] and "mlp" in best[t]:
                f, m = best[t]["snn"], best[t]["mlp"]
                parts.append(f"{t} {f[1]:.3f} ({f[0]}) against {m[1]:.3f} ({m[0]})")
        if parts:
            out.append(f"In the {name} experiment ({seeds_phrase(rows)}) the best spiking network "
                       f"with local plastic synapses against the best MLP: "
                       f"{'; '.join(parts)}.")
    return out[:limit]


def _means(rows: list[SummaryRow], tasks) -> list[float]:
    cells: dict[tuple[str, str], list[float]] = defaultdict(list)
    for r in rows:
        if r.task in tasks:
            cells[(r.task, r.model)].append(float(r.test_accuracy))
    return [float(np.mean(v)) for v in cells.values()]


def headline_markdown(rows_by_experiment: Mapping[str, Iterable[SummaryRow]]) -> str:
    """The README's answer block: the sentences of :func:`headline_sentences` as one
    paragraph, with where they come from; empty when there are no results."""
    rows_by_experiment = {k: list(v) for k, v in rows_by_experiment.items()}
    sentences = headline_sentences(rows_by_experiment)
    if not sentences:
        return ""
    names = ", ".join(f"{k}" for k, v in rows_by_experiment.items() if v)
    return (" ".join(sentences) + f"\n\n*Generated from the saved results ({names}) by "
            "`brainlearn.runner.headline`; level with = within "
            f"{CLOSE:g} in mean test accuracy over seeds, best = highest mean per task, "
            "controls left out.*")
