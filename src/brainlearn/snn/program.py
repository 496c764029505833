"""What the compiled network programs carry beyond Brian2's generated code: phase timings,
and a leaner time-step loop.

Phase timings
-------------
Every program writes ``brainlearn_timing.txt`` into its results directory: the
``CLOCK_MONOTONIC`` time (system-wide, so comparable with the caller's clock) when ``main``
starts, after Brian2's set-up (arrays allocated, static arrays read), when the time-step
loop starts (command-line values read, synapses created, initial values set), when the
loop ends, and after the results are written. With the caller's own times around the
process (:func:`chunk_phases`) a chunk's wall time splits into: writing the inputs,
starting the process, set-up, the time-step loop, writing the results, process exit, and
reading the results. Five ``clock_gettime`` calls per run cost nothing measurable.

The time-step loop
------------------
Brian2's standalone ``Network::run`` (2.9) reads the process CPU clock (``std::clock``, a
system call) after every time step, to stop a run that exceeds ``maximum_run_time``; the
networks here never set that limit, and at about 10 us per step the system call is a
sizeable share of the loop. :func:`patch_network_source` reads the clock once after the
loop instead; nothing else in the loop changes (the measured time of the run, Brian2's
``_last_run_time``, stays what it was).

The loop itself asks a ``std::set`` for every object's clock at every step and rebuilds
that set after every step; :func:`patch_scheduler` looks the clocks up once per run. Brian2's
neuron updates test refractoriness in a way the compiler cannot vectorise;
:func:`patch_neuron_updates` tests it with the same outcome in a form it can (and the
build compiles those code objects with ``-ftree-vectorize``), and :func:`patch_scalar_exp`
keeps the exponentials of their per-step constants instead of computing them at every
step; :func:`patch_pretrace_events` lets a group's spike thresholder fill its
``"pretrace"`` event too (the same test), instead of a second pass over the group;
:func:`patch_resting_group` updates and tests only the inhibitory neurons that are not at
rest (in a presentation most of them receive no input and stay at exactly 0: a fifth of
the inference program's loop). They leave the numbers a run computes unchanged, bit for
bit.

Brian2 also writes every array of the network after a run; :func:`patch_write_arrays`
keeps the files the engines read, :func:`patch_run_duration` lets a run stop after the
presentations it needs, and :func:`patch_unity_build` compiles the code objects in two
translation units instead of about 60 (a build compiles in about a third of the time).
A run's set-up creates all its synapses (half a million in the inference program of a 2-D
task): :func:`patch_synapse_creation` reserves their arrays' room at once instead of
growing them one synapse at a time (same results, byte for byte).

Random numbers
--------------
:func:`patch_random_generator` gives Brian2's generator the bits of xoshiro256++ instead of
the Mersenne twister's, behind Brian2's own recipes for uniform and normal numbers: 15 % of the
inference program's time-step loop. It is the one patch that changes what a
run computes (the same seed, another random stream of the same distributions).

The patches are text edits of the generated C++ (written for Brian2 2.9, the version
``pyproject.toml`` pins) that check their anchor and raise :class:`AnchorMissing` if
Brian2's code has another shape. The ones that only add speed (the clock, the scheduler,
the result files, the neuron updates, the exponentials, the neurons at rest, the synapses'
room, the translation units) and the random generator (a program with Brian2's own generator is as
valid, only slower) are then left out with a warning and the program is built as Brian2
generated it (:func:`compile_patched`); the run-duration patch decides what a run simulates, so a
build without its anchor fails. The patches are part of how a build is made, so a change
here bumps ``brainlearn.snn.build.BUILD_FORMAT`` (the cache key).
"""

from __future__ import annotations

import contextlib
import os
import re
import time
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

from .._proc import PARENT_PID_VARIABLE

__all__ = [
    "TIMING_FILE",
    "PHASES",
    "AnchorMissing",
    "CompilationFailed",
    "chunk_phases",
    "die_with_parent",
    "instrument",
    "mark_loop_end",
    "mark_loop_start",
    "patch_network_source",
    "patch_neuron_updates",
    "patch_run_duration",
    "patch_pretrace_events",
    "patch_random_generator",
    "patch_resting_group",
    "patch_scalar_exp",
    "patch_scheduler",
    "patch_synapse_creation",
    "patch_unity_build",
    "patch_write_arrays",
    "program_environment",
    "read_timing",
    "recording",
]

TIMING_FILE = "brainlearn_timing.txt"


class AnchorMissing(RuntimeError):
    """The generated C++ does not have the shape a patch expects (another Brian2 version)."""


class CompilationFailed(RuntimeError):
    """Compiling the generated project failed (Brian2's ``make`` exited non-zero)."""

#: the phases of one chunk, in order (seconds of wall time each; see the module docstring)
PHASES = (
    "write_inputs",
    "process_start",
    "setup",
    "loop",
    "write_results",
    "process_exit",
    "read_results",
)

_DECLARE = "struct timespec _bl_ts[5]; clock_gettime(CLOCK_MONOTONIC, &_bl_ts[0]);"
_MARK = "clock_gettime(CLOCK_MONOTONIC, &_bl_ts[{k}]);"
_WRITE = (
    "clock_gettime(CLOCK_MONOTONIC, &_bl_ts[4]);\n"
    "{ std::ofstream _bl_f((brian::results_dir + \"" + TIMING_FILE + "\").c_str());\n"
    "  for (int _bl_k = 0; _bl_k < 5; _bl_k++)\n"
    "    _bl_f << _bl_ts[_bl_k].tv_sec << \" \" << _bl_ts[_bl_k].tv_nsec << std::endl; }"
)


#: glibc's ``malloc`` settings for the programs, as the ``GLIBC_TUNABLES`` of their
#: environment (:func:`program_environment`): transparent huge pages for the heap
#: (``hugetlb=1``) and 64 MiB more heap asked for at a time (``top_pad``)
MALLOC_TUNABLES = "glibc.malloc.hugetlb=1:glibc.malloc.top_pad=67108864"


def program_environment(environ=None) -> dict[str, str]:
    """The environment a network program runs in: ``environ`` (default ``os.environ``)
    whose ``GLIBC_TUNABLES`` holds every setting of :data:`MALLOC_TUNABLES` that it does
    not set itself (the caller's own settings, of these or other tunables, are kept as
    they are and come first).

    A program allocates its arrays and creates its synapses at every run: about 29 MB in
    the inference program of xor (1000 samples a run), touched a 4 KiB page at a time,
    6,600 page faults; ``perf stat`` put 18 ms of a 128 ms run in the kernel (10 runs).
    With the heap grown 64 MiB at a time and backed by 2 MiB pages where the kernel allows
    it (transparent huge pages in ``madvise`` or ``always`` mode), about 350 faults are
    left. The program started by hand, its results read back, 20 runs of each taking
    turns on an idle machine: Brian2's own set-up 3.7 -> 1.5 ms, the synapses' creation
    4.3 -> 1.8 ms, the time-step loop 1-2 % faster (fewer TLB misses), 126 -> 117 ms a run
    in all; the same measured through ``SpikingClassifier.predict`` (15 predictions of
    each, alternating): 131 -> 123 µs per sample. It has a tail: a few runs (3 of 30 in one
    measurement, 1 of 40 in another) take 40-55 ms longer, in the kernel; over 40
    alternating predictions (later, with :func:`patch_resting_group`) the median went
    96.8 -> 86.7 µs per sample and the mean 97.3 -> 88.8. The numbers a run computes do not
    change: only where its memory comes from. A glibc older than 2.35 does not know
    ``hugetlb`` and ignores it; with huge pages switched off the heap is still grown in
    larger steps.
    """
    env = dict(os.environ if environ is None else environ)
    own = [t for t in env.get("GLIBC_TUNABLES", "").split(":") if t]
    named = {t.split("=", 1)[0] for t in own}
    ours = [t for t in MALLOC_TUNABLES.split(":") if t and t.split("=", 1)[0] not in named]
    if ours:
        env["GLIBC_TUNABLES"] = ":".join(own + ours)
    return env


_DIE_WITH_PARENT = """\
{   // brainlearn (program.die_with_parent): SIGKILL when the process that started this
    // program dies, asked for here rather than by Python between fork and exec
    const char* _bl_parent = std::getenv("%s");
    if (_bl_parent != NULL)
    {
        const pid_t _bl_pid = (pid_t)std::atol(_bl_parent);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        // the parent died before prctl took effect (a parent other than the one named,
        // but alive, is a wrapper such as perf: the signal then follows the wrapper)
        if (getppid() != _bl_pid && kill(_bl_pid, 0) == -1 && errno == ESRCH)
            return 1;
    }
}"""


def die_with_parent(device) -> None:
    """Make the program ask the kernel for ``SIGKILL`` when its parent dies, first thing in
    ``main``, if its environment names the parent (``run_tied(..., self_tied=True)`` of
    :mod:`brainlearn._proc`). Python then starts it without a ``preexec_fn``, so without
    copying the Python process: the program start falls from about 7 ms to 1 ms. Without
    the variable (a program started by hand) it runs as before."""
    for header in ("<sys/prctl.h>", "<unistd.h>", "<cstdlib>", "<cerrno>", "<csignal>"):
        if header not in device.headers:
            device.headers.append(header)
    device.insert_code("before_start", _DIE_WITH_PARENT % PARENT_PID_VARIABLE)


def instrument(device) -> None:
    """Time ``main``'s start, Brian2's set-up and the results' writing (call before
    :func:`mark_loop_start`)."""
    device.insert_code("before_start", _DECLARE)
    device.insert_code("after_start", _MARK.format(k=1))
    device.insert_code("after_end", _WRITE)


def mark_loop_start(device) -> None:
    """Mark the start of the time-step loop (call just before ``net.run``)."""
    device.insert_code("main", _MARK.format(k=2))


def mark_loop_end(device) -> None:
    """Mark the end of the time-step loop (call just after ``net.run``)."""
    device.insert_code("main", _MARK.format(k=3))


_PER_STEP_CLOCK = (
    "        current = std::clock();\n"
    "        elapsed_realtime = (double)(current - start)/(1 * CLOCKS_PER_SEC);\n"
)
_AFTER_LOOP = "    Network::_globally_running = false;\n"


def patch_network_source(directory: str | Path) -> None:
    """Read the CPU clock once after the time-step loop instead of after every step.

    Raises
    ------
    AnchorMissing
        If the generated ``network.cpp`` does not have the expected shape (another Brian2
        version): the patch must not silently do nothing.
    """
    path = Path(directory) / "network.cpp"
    src = path.read_text()
    if src.count(_PER_STEP_CLOCK) != 1 or src.count(_AFTER_LOOP) != 1:
        raise AnchorMissing(f"{path}: unexpected Network::run (Brian2 version?); not patched")
    src = src.replace(_PER_STEP_CLOCK, "")
    src = src.replace(_AFTER_LOOP, _AFTER_LOOP + _PER_STEP_CLOCK.replace("        ", "    "))
    path.write_text(src)


_LOOP_START = "    while(clock && clock->running() && !Network::_globally_stopped)\n    {\n"
_LOOP_END = "\n    }\n    Network::_globally_running = false;\n"
_OBJECT_TEST = "            if (curclocks.find(obj_clock) != curclocks.end())\n"
_FAST_LOOP = """\
    if (!report_func)
    {
        // brainlearn (program.patch_scheduler): the schedule of the loop below, with
        // each object's clock looked up once per run instead of in a std::set per object
        // and step, and the current clocks kept as flags (next_clocks() rebuilds a
        // std::set, with an allocation per clock, at every step)
        std::vector<Clock*> _bl_clocks(clocks.begin(), clocks.end());
        const size_t _bl_n = _bl_clocks.size();
        std::vector<char> _bl_current(_bl_n + 1, 0);  // the last entry: a clock not in clocks
        for (size_t k = 0; k < _bl_n; k++)
            _bl_current[k] = curclocks.count(_bl_clocks[k]) > 0;
        std::vector<size_t> _bl_index(objects.size());
        for (size_t i = 0; i < objects.size(); i++)
            _bl_index[i] = std::find(_bl_clocks.begin(), _bl_clocks.end(), objects[i].first)
                           - _bl_clocks.begin();
        while(clock && clock->running() && !Network::_globally_stopped)
        {
            t = clock->t[0];
            for (size_t i = 0; i < objects.size(); i++)
                if (_bl_current[_bl_index[i]] && objects[i].second)
                    objects[i].second();
            for (size_t k = 0; k < _bl_n; k++)
                if (_bl_current[k])
                    _bl_clocks[k]->tick();
            // next_clocks(): the earliest clock (the first of equals, in the set's order)
            // and every clock within Clock_epsilon of it
            clock = _bl_clocks[0];
            for (size_t k = 1; k < _bl_n; k++)
                if (_bl_clocks[k]->t[0] < clock->t[0])
                    clock = _bl_clocks[k];
            const double _bl_t = clock->t[0];
            for (size_t k = 0; k < _bl_n; k++)
            {
                const double _bl_s = _bl_clocks[k]->t[0];
                _bl_current[k] = _bl_s == _bl_t || fabs(_bl_s - _bl_t) <= Clock_epsilon;
            }
        }
        curclocks.clear();
        for (size_t k = 0; k < _bl_n; k++)
            if (_bl_current[k])
                curclocks.insert(_bl_clocks[k]);
    }
    else
"""
_INCLUDES = "#include <algorithm>\n#include <vector>\n"


def patch_scheduler(directory: str | Path) -> None:
    """Run the time-step loop without Brian2's per-step ``std::set`` work.

    Brian2's ``Network::run`` (2.9) looks up every object's clock in the ``std::set`` of
    the current clocks at every step, and ``next_clocks`` clears and refills that set
    (a node allocation per clock) after every step: for the training program, with 37
    objects and about 3 us per step, a tenth of its CPU time. The patched loop maps each
    object to its clock's index once per run and keeps the current clocks as flags; it
    picks the next clocks with the same comparisons in the same order (the earliest
    clock, the first of equals in the set's order, and those within ``Clock_epsilon``),
    runs the same objects in the same order and ticks the same clocks, so a run computes
    exactly what it did. A run with a progress report (``report_func``, never asked for
    here) takes Brian2's loop unchanged.

    Raises
    ------
    AnchorMissing
        If ``network.cpp`` does not have the expected loop (another Brian2 version).
    """
    path = Path(directory) / "network.cpp"
    src = path.read_text()
    start = src.find(_LOOP_START)
    end = src.find(_LOOP_END, start)
    if (src.count(_LOOP_START) != 1 or end < 0 or src[start:end].count(_OBJECT_TEST) != 1
            or "#define Clock_epsilon" not in src or '#include "network.h"\n' not in src
            or "_bl_clocks" in src):
        raise AnchorMissing(f"{path}: unexpected Network::run loop (Brian2 version?); "
                            "not patched")
    src = src[:start] + _FAST_LOOP + src[start:]
    src = src.replace('#include "network.h"\n', '#include "network.h"\n' + _INCLUDES, 1)
    path.write_text(src)


_REFRACTORY_LIMIT = re.compile(r"\n(\s*)const int64_t (_lio_\d+) = _timestep\(t_ref, dt\);")
_NOT_REFRACTORY_LOAD = re.compile(
    r"\n\s*char not_refractory = _ptr_array_(\w+)_not_refractory\[_idx\];")
_LOOP_CLOSE = "\n    }\n\n}\n"
_UPDATE_LOOP = "\n    for(int _idx=0; _idx<_N; _idx++)\n    {\n"
#: the neuron updates are compiled with these flags besides the program's
VECTORISE_ARGS = ("-ftree-vectorize",)
#: Brian2's makefile rule for every unit (2.9)
_GENERIC_RULE = "%.o : %.cpp makefile\n\t$(CXX) $(CXXFLAGS) $< -o $@"


def patch_neuron_updates(directory: str | Path) -> int:
    """Let the compiler vectorise the neuron updates of groups with a refractory period;
    returns how many code objects were patched.

    Brian2's update loop (2.9) decides per neuron and step whether it is refractory with
    ``_timestep(t - lastspike, dt) >= _timestep(t_ref, dt)``, a conversion to a 64-bit
    integer that SSE2 has no vector instruction for, and stores the answer as a ``char``
    in the same loop: the loop stays scalar (about half of a prediction's CPU time). The
    patch computes the same answer as ``t - lastspike >= (_timestep(t_ref, dt) - 0.5) *
    dt`` and stores it in a second loop after the update; the update loop is then
    vectorised (two neurons per instruction, ``-ftree-vectorize`` for these files only:
    :data:`VECTORISE_ARGS`). ``#pragma GCC ivdep`` tells the compiler that the loop's
    arrays do not overlap (each is a variable of its own, each iteration touches only its
    neuron's element): with the traces of a plastic network the loop reads and writes
    seven arrays, and GCC gives up on vectorising at more than 10 run-time overlap tests.

    The two tests agree for every ``lastspike`` a run sets: Brian2's clock time of the step
    a neuron spiked (``t = i * dt``, as ``t`` is) or far in the past (-1e4 s, the reset
    of every presentation). Then ``t - lastspike`` is ``k * dt`` up to rounding many orders
    below ``dt``, Brian2's test is ``k >= L`` (``_timestep`` adds ``1e-3 * dt`` before it
    truncates) and so is ``k * dt >= (L - 0.5) * dt``. The element-wise arithmetic of the
    update is the same (no reduction is reordered), so a program computes exactly what it
    did (``tests/test_snn_program.py`` compares patched and unpatched programs bit for bit).

    Raises
    ------
    AnchorMissing
        If a code object tests refractoriness in another shape (another Brian2 version),
        or the makefile has no generic ``%.o`` rule; nothing is then changed.
    """
    directory = Path(directory)
    edits = {}
    for path in sorted((directory / "code_objects").glob("*_stateupdater_codeobject.cpp")):
        src = path.read_text()
        if "_timestep(t - lastspike, dt)" not in src:
            continue  # no refractory period: nothing to change
        limits = _REFRACTORY_LIMIT.findall(src)
        loads = _NOT_REFRACTORY_LOAD.findall(src)
        if len(limits) != 1 or len(loads) != 1:
            raise AnchorMissing(f"{path}: unexpected refractoriness test (Brian2 version?); "
                                "not patched")
        (_, lio), group = limits[0], loads[0]
        test = f"not_refractory = _timestep(t - lastspike, dt) >= {lio};"
        store = f"_ptr_array_{group}_not_refractory[_idx] = not_refractory;"
        lastspike = f"const double lastspike = _ptr_array_{group}_lastspike[_idx];"
        close = src.rfind(_LOOP_CLOSE)
        if (src.count(test) != 1 or src.count(store) != 1 or src.count(lastspike) != 1
                or src.count(_UPDATE_LOOP) != 1 or close < src.find(store)):
            raise AnchorMissing(f"{path}: unexpected refractoriness test (Brian2 version?); "
                                "not patched")
        src = _REFRACTORY_LIMIT.sub(
            lambda m: m.group(0) + f"\n{m.group(1)}// brainlearn (program.patch_neuron_updates)"
            f"\n{m.group(1)}const double _bl_refractory_gap = ({m.group(2)} - 0.5) * dt;",
            src)
        src = _NOT_REFRACTORY_LOAD.sub("", src)
        src = src.replace(_UPDATE_LOOP, "\n    #pragma GCC ivdep" + _UPDATE_LOOP)
        src = src.replace(test, "const bool not_refractory = (t - lastspike) >= "
                                "_bl_refractory_gap;")
        close = src.rfind(_LOOP_CLOSE)
        src = (src[:close] + "\n    }\n    for(int _idx=0; _idx<_N; _idx++)\n"
               f"        _ptr_array_{group}_not_refractory[_idx] = "
               f"(t - _ptr_array_{group}_lastspike[_idx]) >= _bl_refractory_gap;\n\n}}\n"
               + src[close + len(_LOOP_CLOSE):])
        src = re.sub(r"\n\s*" + re.escape(store), "", src)
        edits[path] = src
    mk_path = directory / "makefile"
    mk = mk_path.read_text() if mk_path.is_file() else ""
    if edits and mk.count(_GENERIC_RULE) != 1:
        raise AnchorMissing(f"{mk_path}: unexpected makefile (Brian2 version?); neuron "
                            "updates not patched")
    for path, src in edits.items():
        path.write_text(src)
    if edits:
        # their own rule: the vectorising flags apply to these units only (they stay out
        # of the joined units of patch_unity_build)
        names = " ".join(f"code_objects/{p.stem}.o" for p in edits)
        rule = (f"{names} : %.o : %.cpp makefile\n"
                f"\t$(CXX) $(CXXFLAGS) {' '.join(VECTORISE_ARGS)} $< -o $@\n\n")
        mk_path.write_text(mk.replace(_GENERIC_RULE, rule + _GENERIC_RULE))
    return len(edits)


#: the anonymous namespace that holds a code object's helpers (Brian2 2.9)
_SUPPORT_NAMESPACE = "\nnamespace {\n"
_SCALAR_START = "\n    // scalar code\n"
_SCALAR_END = "\n    const int _N = N;\n"
_COUNT_START = "\n    long _count = 0;\n"
_COND_END = "\n        if(_cond) {\n"
_ADD_CALL = re.compile(r"\.add\(&\w+, (_run_\w+)\);")
#: a condition that draws random numbers cannot be tested once for two events
_RANDOM_CALLS = ("_rand(", "_randn(", "_poisson(")


def patch_pretrace_events(directory: str | Path) -> int:
    """Find the ``"pretrace"`` event of a group in its spike thresholder; returns the
    number of groups patched.

    A group that keeps both presynaptic and postsynaptic traces (the hidden group of a
    training program with STDP on both of its pathways) has a ``"pretrace"`` event whose
    condition is the spike condition (:attr:`~brainlearn.snn.populations.Population.
    pretrace_event`); Brian2 checks it in a thresholder of its own, just before the spike
    thresholder: a second pass over the group at every step (about 6 % of a training
    program's loop). The spike thresholder now also writes the event's space, from the
    same test on the same values, and the event's thresholder does nothing.

    Anchored: the two thresholders test the same condition, letter for letter (with the
    loop invariants Brian2 computes before the loop), and it draws no random numbers; the
    event's thresholder only fills its space; each is scheduled once, and between the
    two only the spike thresholders of other groups run (each reads and writes its own
    group). The event's code (the jumps of the presynaptic traces) runs later in the step
    (``"before_synapses"``) from the same space, so a run computes exactly what it did.

    Raises
    ------
    AnchorMissing
        If a pair of thresholders or the schedule has another shape (another Brian2
        version); nothing is then changed.
    """
    directory = Path(directory)
    edits = {}
    main = directory / "main.cpp"
    calls = _ADD_CALL.findall(main.read_text() if main.is_file() else "")
    for event in sorted((directory / "code_objects").glob("*_pretrace_thresholder_codeobject.cpp")):
        if event.name.startswith("after_run_"):
            continue
        group = event.name[: -len("_pretrace_thresholder_codeobject.cpp")]
        spike = event.with_name(f"{group}_spike_thresholder_codeobject.cpp")
        ev, sp = event.read_text(), spike.read_text() if spike.is_file() else ""
        missing = AnchorMissing(f"{event}: unexpected event thresholder (Brian2 version?); "
                                "pretrace events not patched")
        if any(ev.count(a) != 1 for a in (_SCALAR_START, _COUNT_START, _COND_END)):
            raise missing
        first, start = ev.index(_SCALAR_START), ev.index(_COUNT_START)
        end = ev.index(_COND_END) + len(_COND_END)
        # the test with the loop invariants Brian2 hoists out of it (``_lio_<k>``)
        test = ev[first:end]
        if not first < start < end or any(f in test for f in _RANDOM_CALLS):
            raise missing
        fill = (f"            _ptr_array_{group}__pretracespace[_count++] = _idx;\n"
                f"        }}\n    }}\n    _ptr_array_{group}__pretracespace[N] = _count;\n")
        push = f"            _ptr_array_{group}__spikespace[_count++] = _idx;\n"
        size = f"    _ptr_array_{group}__spikespace[N] = _count;\n"
        if (not ev[end:].startswith(fill) or sp.count(test) != 1
                or sp.count(test + push) != 1 or sp.count(size) != 1
                or not _only_spike_thresholders_between(
                    calls, f"_run_{group}_pretrace_thresholder_codeobject",
                    f"_run_{group}_spike_thresholder_codeobject")):
            raise missing
        edits[event] = (ev[:start] + "\n    // brainlearn (program.patch_pretrace_events): "
                        "the spike thresholder fills this event's space\n"
                        + ev[end + len(fill):])
        edits[spike] = (sp.replace(test + push, test + f"            _array_{group}__"
                                   f"pretracespace[_count] = _idx;  // brainlearn "
                                   f"(program.patch_pretrace_events)\n" + push)
                        .replace(size, size + f"    _array_{group}__pretracespace[N] = "
                                 "_count;\n"))
    for path, src in edits.items():
        path.write_text(src)
    return len(edits) // 2


_EXP_CALL = re.compile(r"(?<![\w.])exp\(")
_EXP_MEMO = """\
    // brainlearn (program.patch_scalar_exp): exp of the step's constants, kept while they are
    static double _bl_exp_arg[{n}];
    static double _bl_exp_val[{n}];
    static bool _bl_exp_set[{n}];
    static inline double _bl_exp(const int k, const double x)
    {{
        if (!_bl_exp_set[k] || x != _bl_exp_arg[k])
        {{
            _bl_exp_arg[k] = x;
            _bl_exp_val[k] = exp(x);
            _bl_exp_set[k] = true;
        }}
        return _bl_exp_val[k];
    }}
"""


def patch_scalar_exp(directory: str | Path) -> int:
    """Keep the exponentials of the neuron updates' per-step constants while their
    arguments stay the same; returns the number of ``exp`` calls so kept.

    Brian2 hoists what does not change across neurons out of the update loop (its loop
    invariants, ``_lio_*``), but computes them again at every step: with exact integration
    of the hidden and inhibitory groups that is 19 calls of ``exp`` per step, whose
    arguments (``dt`` over a time constant, the learning flag) change only between runs
    or presentations. Each call in a neuron update's scalar code becomes
    ``_bl_exp(k, x)``: the stored ``exp(x)`` if the call's last argument was the same
    ``x``, else ``exp(x)`` computed and stored. The result is ``exp(x)`` of the same
    ``x`` either way, so the numbers are the same bit for bit (tested with the other
    patches). Only the fit gains: the inference program runs all its copies in one group,
    so its per-step constants are already shared.

    Raises
    ------
    AnchorMissing
        If a neuron update with ``exp`` in it has no scalar section or support namespace
        of the expected shape (another Brian2 version); nothing is then changed.
    """
    directory = Path(directory)
    edits = {}
    for path in sorted((directory / "code_objects").glob("*_stateupdater_codeobject.cpp")):
        src = path.read_text()
        start, end = src.find(_SCALAR_START), src.find(_SCALAR_END)
        if start < 0 or end < start:
            if _EXP_CALL.search(src):
                raise AnchorMissing(f"{path}: no scalar section (Brian2 version?); "
                                    "exponentials not kept")
            continue
        scalar = src[start:end]
        calls = len(_EXP_CALL.findall(scalar))
        if not calls:
            continue
        if src.count(_SUPPORT_NAMESPACE) != 1 or src.find(_SUPPORT_NAMESPACE) > start:
            raise AnchorMissing(f"{path}: unexpected support code (Brian2 version?); "
                                "exponentials not kept")
        counter = iter(range(calls))
        scalar = _EXP_CALL.sub(lambda m, c=counter: f"_bl_exp({next(c)}, ", scalar)
        src = src[:start] + scalar + src[end:]
        src = src.replace(_SUPPORT_NAMESPACE,
                          _SUPPORT_NAMESPACE + _EXP_MEMO.format(n=calls), 1)
        edits[path] = (src, calls)
    for path, (src, _) in edits.items():
        path.write_text(src)
    return sum(n for _, n in edits.values())


_CREATE_LOOP = "for (size_t _idx=0; _idx<_numsources; _idx++) {\n"
_PUSH_PRE = re.compile(r"(_dynamic_array_\w+__synaptic_pre)\.push_back\(_real_sources\);")
_RESERVE = ("// brainlearn (program.patch_synapse_creation): room for all new synapses at once\n"
            "{pre}.reserve(_new_num_synapses);\n{post}.reserve(_new_num_synapses);\n")
_QUEUE_FILL = """\
        for (int i=0; i<n_synapses; i++)
            synapses[sources[i] - source_start].push_back(i + openmp_padding);
"""
_QUEUE_RESERVE = """\
        {   // brainlearn (program.patch_synapse_creation): each source's room at once
            std::vector<int> _bl_n(source_end - source_start, 0);
            for (int i=0; i<n_synapses; i++)
                _bl_n[sources[i] - source_start]++;
            for (size_t k=0; k<_bl_n.size(); k++)
                synapses[k].reserve(_bl_n[k]);
        }
"""


def patch_synapse_creation(directory: str | Path) -> int:
    """Make room for a program's synapses at once when it creates them; returns the number
    of projections so patched.

    A program creates its synapses at the start of every run: the inference program of xor
    500,000 (10 copies, four fifths of them inhibitory -> hidden), about 10 ms of its
    set-up. Brian2 appends them one by one to the arrays of their pre- and postsynaptic
    indices, and then, preparing each projection's spike queue, appends each synapse to
    its source neuron's list, so these arrays grow by repeated reallocation. Here the
    arrays of indices get their final size reserved before the loop (``_new_num_synapses``,
    which Brian2 computes before it), and the spike queue counts each source's synapses
    first and reserves their lists. Same elements in the same order: the numbers are the
    same bit for bit. Measured on that program (40 runs of each build, taking turns):
    set-up 11.1 -> 9.3 ms per run.

    Raises
    ------
    AnchorMissing
        If a creation loop or the spike queue's fill loop is not of the expected shape
        (another Brian2 version); nothing is then changed.
    """
    directory = Path(directory)
    edits = {}
    for path in sorted((directory / "code_objects").glob(
            "*_synapses_create_array_codeobject.cpp")):
        src = path.read_text()
        pushes = _PUSH_PRE.findall(src)
        if src.count(_CREATE_LOOP) != 1 or len(pushes) != 1:
            raise AnchorMissing(f"{path}: no synapse creation loop of the expected shape "
                                "(Brian2 version?); synapses created one by one")
        pre = pushes[0]
        post = pre[: -len("_pre")] + "_post"
        if f"{post}.push_back(_real_targets);" not in src:
            raise AnchorMissing(f"{path}: no postsynaptic index array {post}")
        edits[path] = src.replace(_CREATE_LOOP, _RESERVE.format(pre=pre, post=post)
                                  + _CREATE_LOOP, 1)
    queue = directory / "brianlib" / "spikequeue.h"
    if not edits and not queue.exists():
        return 0  # a program without synapses
    src = queue.read_text() if queue.exists() else ""
    if src.count(_QUEUE_FILL) != 1:
        raise AnchorMissing(f"{queue}: no fill loop of the expected shape (Brian2 version?); "
                            "spike queues filled one by one")
    edits[queue] = src.replace(_QUEUE_FILL, _QUEUE_RESERVE + _QUEUE_FILL, 1)
    for path, src in edits.items():
        path.write_text(src)
    return len(edits) - 1


_OBJECTS_INCLUDE = '#include "objects.h"\n'
_REST_DECLARATIONS = """\
#include <algorithm>
namespace brian {{
// brainlearn (program.patch_resting_group): the {g} neurons not at rest, and their number
// (-1: not yet listed)
extern int32_t _bl_rest_{g}_list[];
extern char _bl_rest_{g}_on[];
extern int32_t _bl_rest_{g}_n;
void _bl_rest_{g}_list_all();
}}
"""
_REST_DEFINITIONS = """\
namespace brian {{
int32_t _bl_rest_{g}_list[{n}];
char _bl_rest_{g}_on[{n}];
int32_t _bl_rest_{g}_n = -1;
void _bl_rest_{g}_list_all()
{{
    // a neuron is at rest where every variable its update writes is 0 and it is not
    // refractory; the list keeps the others, in the order of their indices
    int32_t n = 0;
    for (int32_t _idx = 0; _idx < {n}; _idx++)
    {{
        const char on = {awake};
        _bl_rest_{g}_on[_idx] = on;
        if (on)
            _bl_rest_{g}_list[n++] = _idx;
    }}
    _bl_rest_{g}_n = n;
}}
}}
"""
_REST_LOOP = """\
    // brainlearn (program.patch_resting_group): only the neurons not at rest
    if (_bl_rest_{g}_n < 0)
        _bl_rest_{g}_list_all();
    const int32_t _bl_n = _bl_rest_{g}_n;
    for(int32_t _bl_k=0; _bl_k<_bl_n; _bl_k++)
    {{
        const int _idx = _bl_rest_{g}_list[_bl_k];
"""
_VECTOR_LOOP = ("    #pragma GCC ivdep\n    for(int _idx=0; _idx<_N; _idx++)\n    {\n"
                "        // vector code\n")
_THRESHOLD_LOOP = "    for(size_t _idx=0; _idx<N; _idx++)\n    {\n"
_GROUP_SIZE = re.compile(r"\n\s*const int64_t N = (\d+);\n")
_POST_WRITE = "{array}[_postsynaptic_idx] = {var}_post;\n"


def patch_resting_group(directory: str | Path, group: str, boundaries: Sequence[str]) -> int:
    """Update and test only the neurons of ``group`` that are not at rest; returns the
    number of code objects edited.

    Every neuron of a group is updated and tested against its threshold at every step.
    The inhibitory group of the winner-take-all (:class:`~brainlearn.snn.populations.
    Inhibitory`) is 200 of the 452 neurons of a 2-D task's network, yet in a presentation
    only the partners of the few hidden neurons that fire receive any input: the others
    stay at exactly 0 (its equations are linear with no constant term, so 0 maps to 0, bit
    for bit, and ``v > v_th`` with ``v_th >= 0`` is false there, whatever else the
    threshold asks). The group keeps a list of the neurons not at rest -- some variable
    its update writes is not 0, or it is refractory -- and its update (with the
    refractoriness flags) and spike thresholder visit only those. A neuron joins the list
    when a synaptic pathway writes a variable its update reads or writes (the only such
    writes outside the group's own code objects, checked; a pathway's write to another
    variable, such as the count of active hidden neurons of k-winners-take-all, wakes
    nothing: the update does not see it and the threshold is false at rest), and the
    list is made anew from the state after each of the group's own presentation-start
    operations ``boundaries`` (the reset, which also puts ``lastspike`` far in the past,
    so a neuron left out is not refractory and its flag stays as it was) and before its
    first update (a program makes one run, :func:`patch_run_duration`, so nothing else
    sets the state in between). The thresholder sorts the step's spikes, few, into the
    order of their indices, Brian2's order. A run computes exactly what it did
    (``tests/test_snn_program.py`` compares programs with and without it, bit for bit).

    Call this only for a group whose rest is a fixed point of its update and below its
    threshold (:attr:`~brainlearn.snn.populations.Population.rests_at_zero`), after
    :func:`patch_neuron_updates`.

    Raises
    ------
    AnchorMissing
        If the group's update, thresholder, or a presentation-start operation has another
        shape (another Brian2 version, or a group without the patch of its update), they
        draw random numbers, or other code writes the group's variables in another way
        than a synaptic pathway onto it; nothing is then changed.
    """
    directory = Path(directory)
    objects = directory / "code_objects"
    g = group
    update = objects / f"{g}_stateupdater_codeobject.cpp"
    threshold = objects / f"{g}_spike_thresholder_codeobject.cpp"
    own = {update.name, threshold.name, f"{g}_spike_resetter_codeobject.cpp",
           f"after_run_{g}_spike_thresholder_codeobject.cpp",
           *(f"{b}_codeobject.cpp" for b in boundaries)}

    def missing(path, what):
        return AnchorMissing(f"{path}: {what} (Brian2 version?); the neurons of {g} at rest "
                             "are updated as the others")

    up = update.read_text() if update.is_file() else ""
    th = threshold.read_text() if threshold.is_file() else ""
    flags = (f"    for(int _idx=0; _idx<_N; _idx++)\n        _ptr_array_{g}_not_refractory[_idx] = "
             f"(t - _ptr_array_{g}_lastspike[_idx]) >= _bl_refractory_gap;\n")
    sizes = _GROUP_SIZE.findall(up)
    if (len(sizes) != 1 or up.count(_VECTOR_LOOP) != 1 or up.count(flags) != 1
            or up.count(_OBJECTS_INCLUDE) != 1 or any(f in up for f in _RANDOM_CALLS)):
        raise missing(update, "no neuron update of the expected shape")
    written = sorted(set(re.findall(rf"\n\s*_ptr_array_{g}_(\w+)\[_idx\] = \1;", up)))
    # what the update reads or writes: a pathway's write to any of it wakes the neuron
    state = set(re.findall(rf"_ptr_array_{g}_(\w+)\[_idx\]", up))
    writes = set(re.findall(rf"_ptr_array_{g}_(\w+)\[_idx\]\s*=[^=]", up))
    if not written or writes != {*written, "not_refractory"}:
        raise missing(update, "not every variable the update writes is stored alike")
    spikes = f"    _ptr_array_{g}__spikespace[N] = _count;\n"
    if (th.count(_THRESHOLD_LOOP) != 1 or th.count(spikes) != 1 or "pretracespace" in th
            or th.count(_OBJECTS_INCLUDE) != 1 or any(f in th for f in _RANDOM_CALLS)):
        raise missing(threshold, "no spike thresholder of the expected shape")
    declarations = _OBJECTS_INCLUDE + _REST_DECLARATIONS.format(g=g)
    n = sizes[0]
    awake = " || ".join([f"_array_{g}_{v}[_idx] != 0" for v in written]
                        + [f"!_array_{g}_not_refractory[_idx]"])
    edits = {}
    up = up.replace(_OBJECTS_INCLUDE, declarations + _REST_DEFINITIONS.format(
        g=g, n=n, awake=awake), 1)
    edits[update] = (up.replace(_VECTOR_LOOP, _REST_LOOP.format(g=g), 1)
                     .replace(flags, f"    for(int32_t _bl_k=0; _bl_k<_bl_n; _bl_k++)\n    {{\n"
                              f"        const int _idx = _bl_rest_{g}_list[_bl_k];\n"
                              f"        _ptr_array_{g}_not_refractory[_idx] = (t - "
                              f"_ptr_array_{g}_lastspike[_idx]) >= _bl_refractory_gap;\n"
                              "    }\n", 1))
    edits[threshold] = (th.replace(_OBJECTS_INCLUDE, declarations, 1)
                        .replace(_THRESHOLD_LOOP, _REST_LOOP.format(g=g).replace(
                            "const int _idx", "const size_t _idx"), 1)
                        .replace(spikes, f"    std::sort(_ptr_array_{g}__spikespace, "
                                 f"_ptr_array_{g}__spikespace + _count);\n" + spikes, 1))
    for b in boundaries:
        path = objects / f"{b}_codeobject.cpp"
        src = path.read_text() if path.is_file() else ""
        start = src.find(f"void _run_{b}_codeobject()\n{{\n")
        end = src.find("\n}\n", start)
        if start < 0 or end < 0 or src.count(_OBJECTS_INCLUDE) != 1:
            raise missing(path, "no presentation-start operation of the expected shape")
        edits[path] = (src[:end].replace(_OBJECTS_INCLUDE, declarations, 1)
                       + f"\n    _bl_rest_{g}_list_all();  // brainlearn "
                       "(program.patch_resting_group)" + src[end:])
    # every other write to what the update sees: a synaptic pathway's, onto one neuron
    names = sorted(state, key=len, reverse=True)
    write = re.compile(rf"_ptr_array_{g}_(" + "|".join(map(re.escape, names))
                       + r")\[([^\]]*)\]\s*[-+*/]?=(?!=)")
    for path in sorted(objects.glob("*.cpp")):
        if path.name in own or path.name.endswith("_synapses_create_array_codeobject.cpp"):
            continue
        src = path.read_text()
        hits = write.findall(src)
        if not hits:
            continue
        lines = {_POST_WRITE.format(array=f"_ptr_array_{g}_{v}", var=v) for v, _ in hits}
        if (any(i != "_postsynaptic_idx" for _, i in hits)
                or sum(src.count(line) for line in lines) != len(hits)
                or src.count(_OBJECTS_INCLUDE) != 1):
            raise missing(path, f"another write to the variables of {g}")
        src = src.replace(_OBJECTS_INCLUDE, declarations, 1)
        for line in lines:
            src = src.replace(line, line + (
                f"            if (_bl_rest_{g}_n >= 0 && !_bl_rest_{g}_on[_postsynaptic_idx])"
                "  // brainlearn (program.patch_resting_group)\n"
                f"            {{\n                _bl_rest_{g}_on[_postsynaptic_idx] = 1;\n"
                f"                _bl_rest_{g}_list[_bl_rest_{g}_n++] = _postsynaptic_idx;\n"
                "            }\n"))
        edits[path] = src
    for path, src in edits.items():
        path.write_text(src)
    return len(edits)


#: Brian2's random generator (2.9, ``objects.h``): its engine, and its uniform number made of
#: two 32-bit outputs
_MT_ENGINE = "        std::mt19937 gen;\n"
_MT_UNIFORM = """\
            const long a = gen() >> 5;
            const long b = gen() >> 6;
            return (a * 67108864.0 + b) / 9007199254740992.0;
"""
_GENERATOR_CLASS = "class RandomGenerator {\n"
_XOSHIRO = """\
// brainlearn (program.patch_random_generator): xoshiro256++ (Blackman & Vigna 2021),
// seeded through splitmix64, in place of std::mt19937
struct _bl_xoshiro256pp {
    uint64_t s[4];
    _bl_xoshiro256pp() { seed(5489u); }
    static inline uint64_t rotl(const uint64_t x, const int k) {
        return (x << k) | (x >> (64 - k));
    }
    void seed(uint64_t x) {
        for (int i = 0; i < 4; i++) {
            uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
            s[i] = z ^ (z >> 31);
        }
    }
    inline uint64_t operator()() {
        const uint64_t result = rotl(s[0] + s[3], 23) + s[0];
        const uint64_t t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = rotl(s[3], 45);
        return result;
    }
};

"""
_XOSHIRO_UNIFORM = """\
            // brainlearn (program.patch_random_generator): 53 bits of one 64-bit output
            return (double)(int64_t)(gen() >> 11) * (1.0 / 9007199254740992.0);
"""


def patch_random_generator(directory: str | Path) -> int:
    """Draw a program's random numbers from xoshiro256++ instead of the Mersenne twister;
    returns 1 when ``objects.h`` was patched (0 if it was already).

    Brian2's standalone generator (2.9) makes a uniform number in [0, 1) of 53 bits from two
    32-bit outputs of ``std::mt19937`` and normal numbers from pairs of uniform ones by the
    polar method (Marsaglia & Bray 1964; its second number kept for the next call). The
    patch keeps both recipes and changes the source of the bits: one 64-bit output of
    xoshiro256++ (Blackman & Vigna 2021, "Scrambled linear pseudorandom number
    generators", ACM TOMS 47:36) per uniform number, its top 53 bits; a seed sets its
    256-bit state through splitmix64, as its authors advise. The inference program of xor
    draws 2 million normal numbers a run (200 efferent neurons, 10,000 steps), and the
    twister's share of them was 15 % of its time-step loop: 109 -> 93 ms (15 runs of each
    build, taking turns, idle machine).

    Unlike the other patches this one changes the numbers a run computes: the same seed
    gives another random stream (of the same distributions). So a build whose
    ``objects.h`` does not have the expected shape warns like the others and runs
    Brian2's generator; its runs are then as valid, but not the same runs.

    Raises
    ------
    AnchorMissing
        If ``objects.h`` has no generator of the expected shape (another Brian2 version);
        nothing is then changed.
    """
    path = Path(directory) / "objects.h"
    src = path.read_text() if path.is_file() else ""
    if "        _bl_xoshiro256pp gen;\n" in src:
        return 0  # patched already
    if (src.count(_GENERATOR_CLASS) != 1 or src.count(_MT_ENGINE) != 1
            or src.count(_MT_UNIFORM) != 1):
        raise AnchorMissing(f"{path}: no random generator of the expected shape (Brian2 "
                            "version?); Brian2's Mersenne twister kept, so a seed gives "
                            "other spikes than in builds with xoshiro256++")
    src = src.replace(_GENERATOR_CLASS, _XOSHIRO + _GENERATOR_CLASS, 1)
    src = src.replace(_MT_ENGINE, "        _bl_xoshiro256pp gen;\n", 1)
    src = src.replace(_MT_UNIFORM, _XOSHIRO_UNIFORM, 1)
    path.write_text(src)
    return 1


def _only_spike_thresholders_between(calls: list[str], first: str, last: str) -> bool:
    """Whether ``first`` and ``last`` are each scheduled once, ``first`` before ``last``,
    with only spike thresholders between them."""
    if calls.count(first) != 1 or calls.count(last) != 1:
        return False
    i, j = calls.index(first), calls.index(last)
    return i < j and all(c.endswith("_spike_thresholder_codeobject") for c in calls[i + 1:j])


#: the translation units the code objects are compiled in (``make -j2`` builds them side
#: by side)
UNITY_UNITS = 2
UNITY_SOURCE = "brainlearn_unity_{k}.cpp"
_SRCS_LINE = re.compile(r"^SRCS = (.*)$", re.M)
_FUNCTION_START = re.compile(r"^(void \w+\(\)\n\{)", re.M)
#: a code object patched by :func:`patch_neuron_updates` keeps its own unit and flags
_OWN_UNIT_MARK = "brainlearn (program.patch_neuron_updates)"


def patch_unity_build(directory: str | Path) -> int:
    """Compile the code objects in :data:`UNITY_UNITS` translation units instead of one
    each; returns the number of code objects joined.

    A network program has about 60 code objects. Compiled one unit each, every unit
    parses the same headers (``objects.h``, the standard library) and most of a build's
    compile time is that: 58 units took 10.2 s one after the other with a precompiled
    header, the same code as one unit 1.3 s (measured here, -O1). Each code object defines
    its helpers (``_clip``, ``_rand``, ``_timedarray``, ...) in an anonymous namespace,
    which cannot be repeated in one unit: each object's namespace gets a name of its own
    (``_bl_u<k>``) and each of its functions (``void name()``, the only top-level
    definitions Brian2 2.9 writes there) a ``using namespace _bl_u<k>;``, so every name
    means what it meant in its own unit. A function's code is compiled as before; the
    numbers a program computes are the same (``tests/test_snn_program.py`` runs a network
    built both ways, bit for bit). The code objects :func:`patch_neuron_updates` gave
    other flags keep their own units.

    Raises
    ------
    AnchorMissing
        If the makefile has no single ``SRCS =`` line naming the code objects, or a code
        object's support code or functions have another shape (another Brian2 version);
        nothing is then changed.
    """
    directory = Path(directory)
    path = directory / "makefile"
    mk = path.read_text() if path.is_file() else ""
    lines = _SRCS_LINE.findall(mk)
    if len(lines) != 1:
        raise AnchorMissing(f"{path}: no single SRCS line (Brian2 version?); one unit per "
                            "code object")
    sources = lines[0].split()
    joined: list[tuple[str, str]] = []
    for name in sources:
        if not (name.startswith("code_objects/") and name.endswith(".cpp")):
            continue
        src = (directory / name).read_text()
        if _OWN_UNIT_MARK in src:
            continue
        if src.count(_SUPPORT_NAMESPACE) != 1 or not _FUNCTION_START.search(src):
            raise AnchorMissing(f"{directory / name}: unexpected support code (Brian2 "
                                "version?); one unit per code object")
        joined.append((name, src))
    if not joined:
        raise AnchorMissing(f"{path}: no code object in SRCS (Brian2 version?); one unit "
                            "per code object")
    units: list[list[str]] = [[] for _ in range(min(UNITY_UNITS, len(joined)))]
    sizes = [0] * len(units)
    for k, (name, src) in enumerate(joined):
        ns = f"_bl_u{k}"
        src = src.replace(_SUPPORT_NAMESPACE, f"\nnamespace {ns} {{\n", 1)
        src = _FUNCTION_START.sub(lambda m, ns=ns: f"{m.group(1)}\n    using namespace {ns};",
                                  src)
        u = sizes.index(min(sizes))  # the smaller unit so far: units of about equal size
        units[u].append(f"// ---- {name} (brainlearn: program.patch_unity_build)\n{src}")
        sizes[u] += len(src)
    names = [UNITY_SOURCE.format(k=u) for u in range(len(units))]
    for name, parts in zip(names, units, strict=True):
        (directory / name).write_text("\n".join(parts))
    gone = {name for name, _ in joined}
    kept = [s for s in sources if s not in gone]
    path.write_text(_SRCS_LINE.sub(lambda m: "SRCS = " + " ".join(kept + names), mk, count=1))
    return len(joined)


def read_timing(results_dir: str | Path) -> list[float] | None:
    """The five ``CLOCK_MONOTONIC`` times (s) a program wrote, or None if it wrote none."""
    path = Path(results_dir) / TIMING_FILE
    if not path.exists():
        return None
    rows = [line.split() for line in path.read_text().splitlines() if line.strip()]
    return [int(s) + int(ns) * 1e-9 for s, ns in rows]


def now() -> float:
    """The caller's side of the same clock."""
    return time.clock_gettime(time.CLOCK_MONOTONIC)


def chunk_phases(t_begin: float, t_spawn: float, program: list[float] | None, t_exit: float,
                 t_end: float) -> dict[str, float]:
    """Seconds per phase of one chunk (:data:`PHASES`).

    ``t_begin``: the caller starts writing inputs; ``t_spawn``: it starts the process;
    ``program``: the program's five times (:func:`read_timing`); ``t_exit``: the process
    has ended; ``t_end``: the results are read.
    """
    if program is None:  # a program without timings: the process as one phase
        return {"write_inputs": t_spawn - t_begin, "process": t_exit - t_spawn,
                "read_results": t_end - t_exit}
    p0, p1, p2, p3, p4 = program
    return {
        "write_inputs": t_spawn - t_begin,
        "process_start": p0 - t_spawn,
        "setup": p2 - p0,
        "loop": p3 - p2,
        "write_results": p4 - p3,
        "process_exit": t_exit - p4,
        "read_results": t_end - t_exit,
    }



_RUN_CALL = re.compile(r"(\w+)\.run\(([0-9.eE+-]+), NULL, ([0-9.eE+-]+)\);")


def patch_run_duration(directory: str | Path, n_expr: str, presentation_s: float,
                       dt_s: float) -> None:
    """Run ``n * presentation + dt`` instead of the compiled duration, ``n`` read from the
    C++ expression ``n_expr`` (a variable set on the command line): a run of fewer
    presentations than compiled stops early instead of simulating padding.

    Raises
    ------
    AnchorMissing
        If ``main.cpp`` does not hold exactly one ``run`` call of the expected shape.
    """
    path = Path(directory) / "main.cpp"
    src = path.read_text()
    calls = _RUN_CALL.findall(src)
    if len(calls) != 1:
        raise AnchorMissing(f"{path}: expected one run() call, found {len(calls)}; not patched")
    src = _RUN_CALL.sub(
        lambda m: f"{m.group(1)}.run((double)({n_expr}) * {presentation_s!r} + {dt_s!r}, "
        f"NULL, {m.group(3)});",
        src,
    )
    path.write_text(src)


_WRITE_BLOCK = re.compile(
    r'    ofstream outfile_(\w+);\n'
    r'    outfile_\1\.open\(results_dir \+ "(\w+)", ios::binary \| ios::out\);\n'
    r'.*?std::cout << "Error writing output file for \1\." << endl;\n    }\n',
    re.S,
)


def patch_write_arrays(directory: str | Path, keep: set[str] | list[str]) -> int:
    """Write only the result files in ``keep`` at the end of a run; returns how many of the
    program's array files are no longer written.

    Brian2 writes every array of the network after a run (for a batched program tens of
    megabytes of synapse indices); the engines read a few monitors and weights.

    Raises
    ------
    AnchorMissing
        If ``_write_arrays`` does not have the expected shape or lacks a file of ``keep``.
    """
    path = Path(directory) / "objects.cpp"
    src = path.read_text()
    start = src.find("void _write_arrays()")
    end = src.find("\n}\n", start)
    if start < 0 or end < 0:
        raise AnchorMissing(f"{path}: no _write_arrays (Brian2 version?); not patched")
    body = src[start:end]
    found = {m.group(2) for m in _WRITE_BLOCK.finditer(body)}
    if body.count("ofstream outfile_") != len(found) + 1 or not set(keep) <= found:
        raise AnchorMissing(f"{path}: unexpected _write_arrays (Brian2 version?); not patched; "
                           f"missing: {sorted(set(keep) - found)}")
    body = _WRITE_BLOCK.sub(lambda m: m.group(0) if m.group(2) in keep else "", body)
    path.write_text(src[:start] + body + src[end:])
    return len(found - set(keep))


def compile_patched(device, directory: str | Path, keep: set[str] | list[str],
                    resting: Mapping[str, Sequence[str]] | None = None) -> list[str]:
    """Generate the project of ``device``, patch it (:func:`patch_network_source`,
    :func:`patch_scheduler`, :func:`patch_write_arrays` keeping the files ``keep``,
    :func:`patch_neuron_updates`, :func:`patch_scalar_exp`, :func:`patch_pretrace_events`,
    :func:`patch_resting_group` for each group of ``resting``, ``{group: its
    presentation-start operations}``, :func:`patch_synapse_creation`,
    :func:`patch_random_generator`, :func:`patch_unity_build`) and compile it with Brian2's
    own ``make``.

    A speed-up whose anchor is missing (:class:`AnchorMissing`) is left out with a warning
    and named in the list returned (empty when every patch applied): the program then runs
    as Brian2 generated it, only slower; without :func:`patch_random_generator` it also
    draws Brian2's random stream, other spikes for the same seed (its warning says so).

    Raises
    ------
    CompilationFailed
        If ``make`` exits non-zero (Brian2 raises a plain ``RuntimeError`` for it).
    """
    from brian2.codegen.cpp_prefs import get_compiler_and_args

    unpatched = []
    for patch in (lambda: patch_network_source(directory),
                  lambda: patch_scheduler(directory),
                  lambda: patch_write_arrays(directory, keep),
                  lambda: patch_neuron_updates(directory),
                  lambda: patch_scalar_exp(directory),
                  lambda: patch_pretrace_events(directory),
                  *(lambda g=g, b=b: patch_resting_group(directory, g, b)
                    for g, b in (resting or {}).items()),
                  lambda: patch_synapse_creation(directory),
                  lambda: patch_random_generator(directory),
                  lambda: patch_unity_build(directory)):
        try:
            patch()
        except AnchorMissing as exc:
            warnings.warn(f"{exc}; built without this speed-up", RuntimeWarning, stacklevel=2)
            unpatched.append(str(exc))
    compiler, _ = get_compiler_and_args()
    try:
        device.compile_source(str(directory), compiler, debug=False, clean=True)
    except RuntimeError as exc:  # compile_source raises it only when make exits non-zero
        raise CompilationFailed(str(exc)) from exc
    return unpatched


_RECORDERS: list[list[dict[str, float]]] = []


@contextlib.contextmanager
def recording():
    """Collect the phases (:func:`chunk_phases`) of every chunk any engine runs inside the
    ``with`` block, in the order the chunks end (runs side by side, ``n_jobs``, may end in
    any order): ``with recording() as chunks: model.fit(X, y)``."""
    chunks: list[dict[str, float]] = []
    _RECORDERS.append(chunks)
    try:
        yield chunks
    finally:
        _RECORDERS.remove(chunks)


def report(phases: dict[str, float]) -> None:
    """Hand the phases of one chunk to every active :func:`recording`."""
    for chunks in _RECORDERS:
        chunks.append(phases)
