"""How long the rest of a sweep will take, and how its progress is shown."""

from __future__ import annotations

import math
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import replace

from .config import RunConfig

__all__ = ["STATUS_EVERY_S", "Progress", "Projection", "fmt_s", "timing_label"]

#: without a terminal (no progress bar), a status line at most this often
STATUS_EVERY_S = 60.0


def fmt_s(s: float | None) -> str:
    if s is None or not math.isfinite(s):
        return "?"
    s = int(round(s))
    return f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s"


def timing_label(label: str, tuned: bool) -> str:
    """The key a run's timing is kept under: its label, marked when the run was tuned
    (a tuned run costs its trials too)."""
    return f"{label} [tuned]" if tuned else label


class Projection:
    """Estimated seconds of the runs still to do, from the durations of finished ones
    (a run of the same model, task and size; else of the same model, scaled by size)."""

    def __init__(self, parallel: int):
        self.parallel = parallel
        self.by_key: dict[tuple, list[float]] = defaultdict(list)
        self.by_label: dict[str, list[tuple[int, float]]] = defaultdict(list)
        self.all: list[float] = []

    def add(self, cfg: RunConfig, seconds: float) -> None:
        self.add_timing(timing_label(cfg.label, cfg.tune is not None), cfg.task, cfg.n_train,
                        seconds)

    def add_timing(self, label: str, task: str, n_train: int, seconds: float) -> None:
        self.by_key[(label, task, n_train)].append(seconds)
        self.by_label[label].append((n_train, seconds))
        self.all.append(seconds)

    def estimate(self, cfg: RunConfig) -> float | None:
        """Median durations (robust to the first run of a program, which compiles it). A
        tuned run without tuned timings: the untuned run's time for each trial and the
        refit (a trial fits on less data; an upper estimate)."""
        label = timing_label(cfg.label, cfg.tune is not None)
        same = self.by_key.get((label, cfg.task, cfg.n_train))
        if same:
            return statistics.median(same)
        if cfg.tune is not None and label not in self.by_label:
            plain = self.estimate(replace(cfg, tune=None))
            return None if plain is None else plain * (1 + int(cfg.tune["trials"]))
        lab = self.by_label.get(label)
        if lab:  # scale by training-set size (cost grows about linearly with it)
            return statistics.median(s * max(cfg.n_train, 1) / max(n, 1) for n, s in lab)
        if self.all:
            return statistics.median(self.all)
        return None

    def remaining(self, cfgs) -> float | None:
        if not self.all:
            return None
        return sum(self.estimate(c) or 0.0 for c in cfgs) / self.parallel


class Progress:
    """A tqdm bar on a terminal (or when asked), else a status line every
    :data:`STATUS_EVERY_S` seconds; :meth:`say` prints a line without breaking the bar."""

    def __init__(self, total: int, stream=None, bar: bool | None = None):
        self.stream = stream if stream is not None else sys.stderr
        self.total = total
        self.finished = 0
        self.start = self.last_note = time.monotonic()
        tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.bar = None
        if (tty if bar is None else bar) and total:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, unit="run", file=self.stream, dynamic_ncols=True,
                            desc="runs", smoothing=0.1)

    def say(self, msg: str) -> None:
        if self.bar is not None:
            self.bar.write(msg, file=self.stream)
        else:
            print(msg, file=self.stream, flush=True)

    def advance(self, n: int = 1, note: str = "", remaining_s: float | None = None) -> None:
        """``n`` more runs finished; ``note`` names the last one."""
        self.finished += n
        if self.bar is not None:
            self.bar.set_postfix_str(f"{note} projected left {fmt_s(remaining_s)}",
                                     refresh=False)
            self.bar.update(n)
        elif (time.monotonic() - self.last_note >= STATUS_EVERY_S
              and self.finished < self.total):
            self.last_note = time.monotonic()
            self.say(f"brainlearn: {self.finished}/{self.total} runs in "
                     f"{fmt_s(self.last_note - self.start)}, projected remaining "
                     f"{fmt_s(remaining_s)}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
