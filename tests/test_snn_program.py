"""What the compiled programs carry beyond Brian2's code (:mod:`brainlearn.snn.program`):
the patches of the generated C++ (on small sources of Brian2's shape, and on a real build),
the phase timings, and a short chunk that stops after its own presentations with the same
result as the padded run."""

from __future__ import annotations

import os
import shutil
import subprocess

import numpy as np
import pytest

from brainlearn.snn import program

NETWORK_CPP = """\
#include "network.h"
#include<stdlib.h>
#define Clock_epsilon 1e-14
    while(clock && clock->running() && !Network::_globally_stopped)
    {
        t = clock->t[0];

        for(size_t i=0; i<objects.size(); i++)
        {
            Clock *obj_clock = objects[i].first;
            if (curclocks.find(obj_clock) != curclocks.end())
            {
                codeobj_func func = objects[i].second;
                if (func)  // code objects can be NULL in cases where we store just the clock
                    func();
            }
        }
        clock = next_clocks();

        current = std::clock();
        elapsed_realtime = (double)(current - start)/(1 * CLOCKS_PER_SEC);


    }
    Network::_globally_running = false;

    _last_run_time = elapsed_realtime;
"""

#: a neuron update with a refractory period, as Brian2 2.9 generates it (shortened)
STATEUPDATER_CPP = """\
void _run_g_stateupdater_codeobject()
{
    const double t = _ptr_array_step_clock_t[0];
    const int64_t _lio_1 = _timestep(t_ref, dt);
    const double _lio_2 = exp(1.0f*(- dt)/tau_e);


    const int _N = N;

    for(int _idx=0; _idx<_N; _idx++)
    {
        // vector code
        const size_t _vectorisation_idx = _idx;

        double ge = _ptr_array_g_ge[_idx];
        const double lastspike = _ptr_array_g_lastspike[_idx];
        char not_refractory = _ptr_array_g_not_refractory[_idx];
        double v = _ptr_array_g_v[_idx];
        not_refractory = _timestep(t - lastspike, dt) >= _lio_1;
        const double _ge = _lio_2 * ge;
        double _v;
        if(!not_refractory)
            _v = v;
        else
            _v = ge + v;
        ge = _ge;
        if(not_refractory)
            v = _v;
        _ptr_array_g_ge[_idx] = ge;
        _ptr_array_g_not_refractory[_idx] = not_refractory;
        _ptr_array_g_v[_idx] = v;

    }

}


"""


def _block(name, file):
    return (
        f"    ofstream outfile_{name};\n"
        f'    outfile_{name}.open(results_dir + "{file}", ios::binary | ios::out);\n'
        f"    if(outfile_{name}.is_open())\n"
        "    {\n"
        f"        outfile_{name}.write(reinterpret_cast<char*>({name}), 8);\n"
        f"        outfile_{name}.close();\n"
        "    } else\n"
        "    {\n"
        f'        std::cout << "Error writing output file for {name}." << endl;\n'
        "    }\n"
    )


OBJECTS_CPP = (
    "void _write_arrays()\n{\n    using namespace brian;\n\n"
    + _block("_array_a", "_array_a_1")
    + _block("_dynamic_array_b", "_dynamic_array_b_2")
    + _block("_array_c", "_array_c_3")
    + '    ofstream outfile_last_run_info;\n'
    '    outfile_last_run_info.open(results_dir + "last_run_info.txt", ios::out);\n'
    "}\n"
)


def test_the_per_step_clock_moves_after_the_loop(tmp_path):
    (tmp_path / "network.cpp").write_text(NETWORK_CPP)
    program.patch_network_source(tmp_path)
    src = (tmp_path / "network.cpp").read_text()
    loop, after = src.split("Network::_globally_running = false;")
    assert "std::clock()" not in loop and "elapsed_realtime" not in loop
    assert after.index("std::clock()") < after.index("_last_run_time = elapsed_realtime")
    with pytest.raises(RuntimeError, match="unexpected Network::run"):
        program.patch_network_source(tmp_path)  # already patched: the anchor is gone


def test_the_scheduler_looks_up_clocks_once_per_run(tmp_path):
    (tmp_path / "network.cpp").write_text(NETWORK_CPP)
    program.patch_network_source(tmp_path)
    program.patch_scheduler(tmp_path)
    src = (tmp_path / "network.cpp").read_text()
    fast, brian = src.split("    else\n    while(clock", 1)
    assert "if (!report_func)" in fast and "curclocks.find" not in fast
    assert "std::find(_bl_clocks.begin()" in fast and "Clock_epsilon" in fast
    assert "curclocks.find(obj_clock)" in brian  # Brian2's loop, kept for a progress report
    assert src.startswith('#include "network.h"\n#include <algorithm>\n#include <vector>\n')
    with pytest.raises(program.AnchorMissing, match="unexpected Network::run loop"):
        program.patch_scheduler(tmp_path)  # already patched: two loops


def test_the_refractoriness_test_moves_out_of_the_neuron_update(tmp_path):
    (tmp_path / "code_objects").mkdir()
    path = tmp_path / "code_objects" / "g_stateupdater_codeobject.cpp"
    path.write_text(STATEUPDATER_CPP)
    other = tmp_path / "code_objects" / "h_stateupdater_codeobject.cpp"
    other.write_text("void _run_h() { x = 1; }\n")  # no refractory period: left alone
    (tmp_path / "makefile").write_text(MAKEFILE)
    assert program.patch_neuron_updates(tmp_path) == 1
    src = path.read_text()
    update, store = src.split("    }\n    for(int _idx=0; _idx<_N; _idx++)\n")
    assert "_timestep(t - lastspike" not in src and "char not_refractory" not in src
    assert "const double _bl_refractory_gap = (_lio_1 - 0.5) * dt;" in update
    assert "const bool not_refractory = (t - lastspike) >= _bl_refractory_gap;" in update
    assert "_ptr_array_g_not_refractory" not in update
    assert "    #pragma GCC ivdep\n    for(int _idx=0; _idx<_N; _idx++)\n    {\n" in update
    assert store.strip() == ("_ptr_array_g_not_refractory[_idx] = (t - _ptr_array_g_lastspike"
                             "[_idx]) >= _bl_refractory_gap;\n\n}").strip()
    assert other.read_text() == "void _run_h() { x = 1; }\n"
    make = (tmp_path / "makefile").read_text()
    assert ("code_objects/g_stateupdater_codeobject.o : %.o : %.cpp makefile\n"
            "\t$(CXX) $(CXXFLAGS) -ftree-vectorize $< -o $@\n") in make
    assert make.endswith(GENERIC_RULE)
    # the shape changed (here: the test already rewritten): nothing is written
    path.write_text(STATEUPDATER_CPP.replace("_timestep(t_ref, dt)", "t_ref / dt"))
    with pytest.raises(program.AnchorMissing, match="refractoriness"):
        program.patch_neuron_updates(tmp_path)
    assert "_bl_refractory_gap" not in path.read_text()


@pytest.mark.parametrize("k_ref", [0, 1, 4, 7])
def test_the_rewritten_refractoriness_test_agrees_with_brian2s(k_ref):
    """``_timestep(t - lastspike, dt) >= _timestep(t_ref, dt)`` and the patch's
    ``t - lastspike >= (_timestep(t_ref, dt) - 0.5) * dt`` on clock times as Brian2 makes
    them (``t = i * dt``), for the spike times of a run and the reset of a presentation."""
    def timestep(t, dt):
        return np.trunc((t + 1e-3 * dt) / dt).astype(np.int64)

    for dt in (0.5e-3, 0.1e-3, 0.25e-3, 1e-4 / 3):
        t_ref = k_ref * dt + 0.3 * dt * (k_ref > 3)  # also a t_ref between two steps
        limit = timestep(np.float64(t_ref), dt)
        steps = np.arange(0, 200_000, 37)
        t = steps * dt
        for back in range(0, 9):
            lastspike = np.maximum(steps - back, 0) * dt
            brian = timestep(t - lastspike, dt) >= limit
            np.testing.assert_array_equal(t - lastspike >= (limit - 0.5) * dt, brian)
        reset = np.full_like(t, -10000.0)
        assert (t - reset >= (limit - 0.5) * dt).all() and (timestep(t - reset, dt) >= limit).all()


def test_only_the_kept_result_files_are_written(tmp_path):
    (tmp_path / "objects.cpp").write_text(OBJECTS_CPP)
    assert program.patch_write_arrays(tmp_path, {"_array_c_3"}) == 2
    src = (tmp_path / "objects.cpp").read_text()
    assert '"_array_c_3"' in src and "_array_a_1" not in src and "_dynamic_array_b" not in src
    assert "last_run_info.txt" in src
    (tmp_path / "objects.cpp").write_text(OBJECTS_CPP)
    with pytest.raises(RuntimeError, match="missing: \\['nothere'\\]"):
        program.patch_write_arrays(tmp_path, {"nothere"})


def test_the_run_duration_is_read_from_a_variable(tmp_path):
    (tmp_path / "main.cpp").write_text("  x;\n        magicnetwork.run(1.2505, NULL, 10.0);\n")
    program.patch_run_duration(tmp_path, "brian::_array_control_n[0]", 0.05, 0.0005)
    src = (tmp_path / "main.cpp").read_text()
    assert "magicnetwork.run((double)(brian::_array_control_n[0]) * 0.05 + 0.0005, NULL, 10.0);" \
        in src
    with pytest.raises(RuntimeError, match="expected one run"):
        program.patch_run_duration(tmp_path, "n", 0.05, 0.0005)


def test_chunk_phases_split_the_wall_time_and_recordings_collect_them(tmp_path):
    (tmp_path / program.TIMING_FILE).write_text("10 0\n10 500000000\n11 0\n13 0\n13 250000000\n")
    stamps = program.read_timing(tmp_path)
    assert stamps == [10.0, 10.5, 11.0, 13.0, 13.25]
    phases = program.chunk_phases(9.5, 9.9, stamps, 13.5, 13.75)
    assert list(phases) == list(program.PHASES)
    assert phases == pytest.approx({"write_inputs": 0.4, "process_start": 0.1, "setup": 1.0,
                                    "loop": 2.0, "write_results": 0.25, "process_exit": 0.25,
                                    "read_results": 0.25})
    assert sum(phases.values()) == pytest.approx(13.75 - 9.5)
    assert program.read_timing(tmp_path / "none") is None
    with program.recording() as outer:
        program.report({"loop": 1.0})
        with program.recording() as inner:
            program.report({"loop": 2.0})
    program.report({"loop": 3.0})  # nobody records
    assert outer == [{"loop": 1.0}, {"loop": 2.0}] and inner == [{"loop": 2.0}]


@pytest.mark.slow
@pytest.mark.usefixtures("numpy_runtime")
def test_a_short_chunk_stops_early_with_the_result_of_the_padded_run():
    """The compiled program runs only the presentations of a short chunk; the runtime engine
    simulates the padded rest (silent, no learning): counts and learned state agree."""
    pytest.importorskip("brian2")
    from brainlearn.snn.engines import ChunkInputs, NetworkState, RuntimeEngine, StandaloneEngine
    from brainlearn.snn.graph import NetworkSpec
    from brainlearn.snn.plasticity import STDP, OjaHebbian
    from brainlearn.snn.populations import NetworkParams

    net = NetworkParams(dt_ms=0.5, presentation_ms=20.0, n_per_feature=3, n_hidden=3,
                        n_per_class=2, noise_mv=0.0)
    spec = NetworkSpec(n_features=2, chunk=6, net=net, hidden_rule=STDP(eta_pot=0.05,
                       eta_dep=0.01), readout_rule=OjaHebbian(eta=0.2), supervised=True)
    rng = np.random.default_rng(4)
    m = 4
    inputs = ChunkInputs.make((rng.random((m, spec.n_afferent)) < 0.4) * 4000.0,
                              [0, 1, 1, 0], 1.0, 1.0, 1.0)
    state = NetworkState(w_in=rng.uniform(0.2, 0.6, (spec.n_afferent, 3)),
                         w_out=rng.uniform(0.3, 0.8, (3, spec.n_efferent)),
                         theta_volt=np.zeros(3), rbar=np.zeros(spec.n_efferent))
    eng = StandaloneEngine(spec)
    with program.recording() as chunks:
        short = eng.run(inputs, state, seed=3)
    padded = RuntimeEngine(spec).run(inputs, state, seed=3)
    for pop in short.counts:
        assert short.counts[pop].shape[0] == m
        np.testing.assert_array_equal(short.counts[pop], padded.counts[pop], err_msg=pop)
    for name in ("w_in", "w_out", "theta_volt"):
        np.testing.assert_allclose(getattr(short.state, name), getattr(padded.state, name),
                                   rtol=1e-9, atol=1e-12, err_msg=name)
        assert np.abs(getattr(short.state, name) - getattr(state, name)).max() > 1e-4, name
    # the run reported its phases, and they add up to a positive loop
    assert len(chunks) == 1 and list(chunks[0]) == list(program.PHASES)
    assert chunks[0]["loop"] > 0


class _Device:
    """Brian2's standalone device as compile_patched uses it: compile_source runs make."""

    def __init__(self, make_exit=0):
        self.make_exit, self.compiled = make_exit, []

    def compile_source(self, directory, compiler, debug, clean):
        self.compiled.append(directory)
        if self.make_exit:  # Brian2's own message and exception type for a failed make
            raise RuntimeError(f"Project compilation failed (error code: {self.make_exit}).")


GENERIC_RULE = "%.o : %.cpp makefile\n\t$(CXX) $(CXXFLAGS) $< -o $@\n"
MAKEFILE = """\
SRCS = code_objects/a_codeobject.cpp code_objects/b_codeobject.cpp main.cpp objects.cpp
OBJS = ${SRCS:.cpp=.o}
%.o : %.cpp makefile
\t$(CXX) $(CXXFLAGS) $< -o $@
"""

#: a code object as Brian2 2.9 writes it: helpers in an anonymous namespace, then functions
CODE_OBJECT = """\
#include "code_objects/{name}_codeobject.h"
#include "objects.h"

////// SUPPORT CODE ///////
namespace {{
    static inline double _clip(const double v, const double a, const double b)
    {{ return v < a ? a : (v > b ? b : v); }}
}}

////// HASH DEFINES ///////

void _run_{name}_codeobject()
{{
    using namespace brian;
    x_{name} = _clip(x_{name}, 0.0, 1.0);
}}
"""


def _brian2_generator() -> str:
    """Brian2's random generator class, as its ``objects.h`` template writes it."""
    from pathlib import Path

    brian2 = pytest.importorskip("brian2")
    template = Path(brian2.__file__).parent / "devices" / "cpp_standalone" / "templates"
    text = (template / "objects.cpp").read_text()
    start = text.index("class RandomGenerator {")
    return text[start:text.index("};\n", text.index("double randn()")) + 3]


def _objects_h() -> str:
    return ("#include <cmath>\n#include <cstdint>\n#include <random>\nnamespace brian {\n"
            + _brian2_generator() + "}\n")


def _project(path, network=NETWORK_CPP):
    """A generated project's files, as far as the patches read them."""
    (path / "network.cpp").write_text(network)
    (path / "objects.cpp").write_text(OBJECTS_CPP)
    (path / "objects.h").write_text(_objects_h())
    (path / "makefile").write_text(MAKEFILE)
    (path / "code_objects").mkdir(exist_ok=True)
    for name in ("a", "b"):
        (path / "code_objects" / f"{name}_codeobject.cpp").write_text(
            CODE_OBJECT.format(name=name))


#: a spike or event thresholder as Brian2 2.9 writes it (the main code of the hidden group's;
#: ``sp``: Brian2's trailing space after ``else``)
THRESHOLDER = """\
void _run_hidden_{event}_thresholder_codeobject()
{{
    using namespace brian;
    // scalar code
    const double v_th = _ptr_array_hidden_v_th[0];
    const double _lio_1 = {invariant} * v_th;

    long _count = 0;
    for(size_t _idx=0; _idx<N; _idx++)
    {{
        const size_t _vectorisation_idx = _idx;
        const char not_refractory = _ptr_array_hidden_not_refractory[_idx];
        const double v = _ptr_array_hidden_v[_idx];
        char _cond;
        if(!not_refractory)
            _cond = (v > {threshold}) && false;
        else{sp}
            _cond = (v > {threshold}) && true;

        if(_cond) {{
            _ptr_array_hidden__{event}space[_count++] = _idx;{extra}
        }}
    }}
    _ptr_array_hidden__{event}space[N] = _count;

}}
"""
_SPIKE_EXTRA = """
            _ptr_array_hidden_not_refractory[_idx] = false;
            _ptr_array_hidden_lastspike[_idx] = _ptr_array_step_clock_t[0];"""
SCHEDULE = """\
        net.add(&step_clock, _run_hidden_stateupdater_codeobject);
        net.add(&step_clock, _run_hidden_pretrace_thresholder_codeobject);
        net.add(&step_clock, _run_afferent_spike_thresholder_codeobject);
        net.add(&step_clock, _run_hidden_spike_thresholder_codeobject);
        net.add(&step_clock, _run_hidden_pretrace_resetter_codeobject);
"""


def _thresholders(path, pretrace_threshold="v_th", schedule=SCHEDULE, invariant="2.0"):
    (path / "code_objects").mkdir(exist_ok=True)
    (path / "main.cpp").write_text(schedule)
    files = {event: path / "code_objects" / f"hidden_{event}_thresholder_codeobject.cpp"
             for event in ("spike", "pretrace")}
    files["spike"].write_text(THRESHOLDER.format(event="spike", threshold="v_th",
                                                 extra=_SPIKE_EXTRA, sp=" ", invariant="2.0"))
    files["pretrace"].write_text(THRESHOLDER.format(event="pretrace",
                                                    threshold=pretrace_threshold, extra="",
                                                    sp=" ", invariant=invariant))
    # Brian2's after-run object of the event (it clears the space): left as it is
    files["after"] = path / "code_objects" / "after_run_hidden_pretrace_thresholder_codeobject.cpp"
    files["after"].write_text("void _after_run_hidden_pretrace_thresholder_codeobject()\n{\n"
                              "    _ptr_array_hidden__pretracespace[N] = 0;\n}\n")
    return files


def test_the_spike_thresholder_fills_the_pretrace_event(tmp_path):
    files = _thresholders(tmp_path)
    after = files["after"].read_text()
    assert program.patch_pretrace_events(tmp_path) == 1
    assert files["after"].read_text() == after
    spike, event = files["spike"].read_text(), files["pretrace"].read_text()
    # the spike thresholder writes both spaces from the one test ...
    assert ("            _array_hidden__pretracespace[_count] = _idx;"
            in spike.split("if(_cond) {")[1].split("_ptr_array_hidden__spikespace[_count++]")[0])
    assert "_array_hidden__pretracespace[N] = _count;" in spike
    assert spike.count("_cond = (v > v_th)") == 2  # the test itself unchanged
    # ... and the event's own thresholder no longer loops over the group
    assert "for(" not in event and "_pretracespace" not in event
    assert event.startswith("void _run_hidden_pretrace_thresholder_codeobject()")
    # a program without the event: nothing to do
    other = tmp_path / "other"
    (other / "code_objects").mkdir(parents=True)
    (other / "main.cpp").write_text(SCHEDULE)
    assert program.patch_pretrace_events(other) == 0


@pytest.mark.parametrize("case", ["another condition", "another loop invariant",
                                  "a random condition", "another object between",
                                  "the event after the spike", "scheduled twice"])
def test_the_pretrace_patch_checks_its_anchors(tmp_path, case):
    schedule = SCHEDULE
    threshold, invariant = "v_th", "2.0"
    if case == "another condition":
        threshold = "(v_th + theta)"
    elif case == "another loop invariant":  # the loops read alike, their _lio_1 differs
        invariant = "3.0"
    elif case == "a random condition":  # two tests drew two numbers
        threshold = "_rand(_vectorisation_idx)"
    elif case == "scheduled twice":
        schedule = SCHEDULE + SCHEDULE
    elif case == "another object between":
        schedule = SCHEDULE.replace("_run_afferent_spike_thresholder_codeobject",
                                    "_run_hidden_b1_codeobject")
    else:
        lines = SCHEDULE.splitlines(keepends=True)
        lines[1], lines[3] = lines[3], lines[1]
        schedule = "".join(lines)
    files = _thresholders(tmp_path, threshold, schedule, invariant)
    if case == "a random condition":
        files["spike"].write_text(files["spike"].read_text().replace(
            "(v > v_th)", f"(v > {threshold})"))
    before = {k: f.read_text() for k, f in files.items()}
    with pytest.raises(program.AnchorMissing, match="pretrace events not patched"):
        program.patch_pretrace_events(tmp_path)
    assert {k: f.read_text() for k, f in files.items()} == before


def test_the_code_objects_compile_in_joined_units(tmp_path):
    _project(tmp_path)
    assert program.patch_unity_build(tmp_path) == 2
    make = (tmp_path / "makefile").read_text()
    units = [f"brainlearn_unity_{k}.cpp" for k in range(2)]
    assert make.startswith("SRCS = main.cpp objects.cpp " + " ".join(units) + "\n")
    assert make.endswith(GENERIC_RULE)  # the rest of the makefile stays
    text = "".join((tmp_path / u).read_text() for u in units)
    # each object's helpers in a namespace of its own, which its functions use
    for k, name in enumerate("ab"):
        ns = f"_bl_u{k}"
        assert f"namespace {ns} {{" in text
        assert f"void _run_{name}_codeobject()\n{{\n    using namespace {ns};" in text
    assert "namespace {" not in text
    # it compiles as C++ (both units: the same helper names, no clash)
    if shutil.which("g++"):
        (tmp_path / "objects.h").write_text(
            "namespace brian { extern double x_a, x_b; }\n")
        for name in "ab":
            (tmp_path / "code_objects" / f"{name}_codeobject.h").write_text(
                f"void _run_{name}_codeobject();\n")
        joined = tmp_path / "joined.cpp"
        joined.write_text("".join(f'#include "{u}"\n' for u in units))
        out = subprocess.run(["g++", "-c", "-I.", "joined.cpp", "-o", "joined.o"],
                             cwd=tmp_path, capture_output=True, text=True)
        assert out.returncode == 0, out.stderr


def test_the_joined_units_leave_out_the_vectorised_updates_and_check_their_anchors(tmp_path):
    _project(tmp_path)
    a = tmp_path / "code_objects" / "a_codeobject.cpp"
    a.write_text(a.read_text() + "// brainlearn (program.patch_neuron_updates)\n")
    assert program.patch_unity_build(tmp_path) == 1
    make = (tmp_path / "makefile").read_text()
    assert make.startswith("SRCS = code_objects/a_codeobject.cpp main.cpp objects.cpp "
                           "brainlearn_unity_0.cpp\n")
    # another Brian2: helpers outside an anonymous namespace; or no SRCS line
    _project(tmp_path)
    (tmp_path / "code_objects" / "b_codeobject.cpp").write_text("void _run_b() {}\n")
    with pytest.raises(program.AnchorMissing, match="one unit per code object"):
        program.patch_unity_build(tmp_path)
    assert (tmp_path / "makefile").read_text() == MAKEFILE  # nothing changed
    _project(tmp_path)
    (tmp_path / "makefile").write_text("PROGRAM = main\n")
    with pytest.raises(program.AnchorMissing, match="SRCS"):
        program.patch_unity_build(tmp_path)


UPDATE = """\
#include "objects.h"
namespace {
    static inline double _clip(const double v, const double a, const double b)
    { return v < a ? a : v; }
}

void _run_g_stateupdater_codeobject()
{
    using namespace brian;
    // scalar code
    const size_t _vectorisation_idx = -1;
    const double dt = _ptr_array_clock_dt[0];
    const double _lio_1 = exp(1.0f*(- dt)/tau);
    const double _lio_2 = tau * exp(exp(dt));
    const double _lio_3 = _brian_exp(dt) + expm1(dt);

    const int _N = N;
    for(int _idx=0; _idx<_N; _idx++)
    {
        v[_idx] = exp(v[_idx]) * _lio_1;
    }
}
"""


def test_the_per_step_exponentials_are_kept_while_their_arguments_stay(tmp_path):
    (tmp_path / "code_objects").mkdir()
    path = tmp_path / "code_objects" / "g_stateupdater_codeobject.cpp"
    path.write_text(UPDATE)
    (tmp_path / "code_objects" / "h_stateupdater_codeobject.cpp").write_text(
        UPDATE.replace("exp(", "sqrt("))  # nothing to keep: left alone
    assert program.patch_scalar_exp(tmp_path) == 3
    src = path.read_text()
    assert "const double _lio_1 = _bl_exp(0, 1.0f*(- dt)/tau);" in src
    assert "const double _lio_2 = tau * _bl_exp(1, _bl_exp(2, dt));" in src
    assert "_brian_exp(dt) + expm1(dt)" in src  # other functions untouched
    assert "v[_idx] = exp(v[_idx]) * _lio_1;" in src  # the per-neuron code untouched
    assert src.count("static double _bl_exp_arg[3];") == 1
    assert src.index("static inline double _bl_exp(") < src.index("_run_g_stateupdater")
    assert "_bl_exp" not in (tmp_path / "code_objects" / "h_stateupdater_codeobject.cpp"
                             ).read_text()
    # the memo computes exp of the argument it is given, each call site on its own
    if shutil.which("g++"):
        (tmp_path / "memo.cpp").write_text(
            "#include <cmath>\n#include <cstdio>\nnamespace {\n"
            + program._EXP_MEMO.format(n=2) + "}\nint main() {\n"
            "  double xs[] = {-0.1, -0.1, 0.3, -0.1, -0.0, 0.0};\n"
            "  for (double x : xs) if (_bl_exp(0, x) != exp(x) || _bl_exp(1, -x) != exp(-x))"
            " return 1;\n  return 0;\n}\n")
        out = subprocess.run(["g++", "-O1", "-ffast-math", "-fno-finite-math-only",
                              "memo.cpp", "-o", "memo"], cwd=tmp_path, capture_output=True,
                             text=True)
        assert out.returncode == 0, out.stderr
        assert subprocess.run([str(tmp_path / "memo")]).returncode == 0
    # another shape of neuron update with exp in it: nothing changed
    path.write_text(UPDATE.replace("    // scalar code\n", ""))
    with pytest.raises(program.AnchorMissing, match="scalar section"):
        program.patch_scalar_exp(tmp_path)


#: a synapse creation code object and the spike queue's fill loop as Brian2 2.9 writes them
CREATE_ARRAY = """\
void _run_{name}_synapses_create_array_codeobject()
{{
const size_t _old_num_synapses = _ptr_array_{name}_N[0];
const size_t _new_num_synapses = _old_num_synapses + _numsources;
for (size_t _idx=0; _idx<_numsources; _idx++) {{
    const int32_t _real_sources = sources;
    const int32_t _real_targets = targets;
    _dynamic_array_{name}__synaptic_pre.push_back(_real_sources);
    _dynamic_array_{name}__synaptic_post.push_back(_real_targets);
}}
}}
"""


def test_synapses_are_created_with_their_room_reserved(tmp_path):
    """:func:`program.patch_synapse_creation` on Brian2's own spike queue: the reserve
    comes before each creation loop and before the queue's fill loop, and the patched fill
    gives the same lists (a stand-in compiled here); the bit-for-bit run of a whole network
    is in ``test_the_scheduler_update_and_unit_patches_leave_a_run_bit_for_bit``."""
    from pathlib import Path

    brian2 = pytest.importorskip("brian2")

    objs = tmp_path / "code_objects"
    objs.mkdir()
    for name in ("a_b", "b_c"):
        (objs / f"{name}_synapses_create_array_codeobject.cpp").write_text(
            CREATE_ARRAY.format(name=name))
    (tmp_path / "brianlib").mkdir()
    # Brian2's own spike queue, which every build copies to brianlib/spikequeue.h
    queue_src = (Path(brian2.__file__).parent / "synapses" / "cspikequeue.cpp").read_text()
    (tmp_path / "brianlib" / "spikequeue.h").write_text(queue_src)
    assert program.patch_synapse_creation(tmp_path) == 2
    src = (objs / "a_b_synapses_create_array_codeobject.cpp").read_text()
    assert src.index("_dynamic_array_a_b__synaptic_pre.reserve(_new_num_synapses);") \
        < src.index("for (size_t _idx=0;")
    assert "_dynamic_array_a_b__synaptic_post.reserve(_new_num_synapses);" in src
    queue = (tmp_path / "brianlib" / "spikequeue.h").read_text()
    assert queue.index("synapses[k].reserve(_bl_n[k]);") < queue.index(
        program._QUEUE_FILL)
    # the patched queue fills the same lists (compiled against a stand-in of its use)
    if shutil.which("g++"):
        (tmp_path / "q.cpp").write_text(
            "#include <cstdint>\n#include <vector>\nusing namespace std;\n"
            "struct Q { vector<vector<int32_t>> synapses; int source_start = 2, "
            "source_end = 6, openmp_padding = 0;\n"
            "void fill(int32_t *sources, int n_synapses) {\n"
            "synapses.clear(); synapses.resize(source_end - source_start);\n"
            + program._QUEUE_RESERVE + program._QUEUE_FILL + "}};\n"
            "int main() { int32_t s[] = {2, 5, 5, 3, 2, 5}; Q q; q.fill(s, 6);\n"
            "  vector<vector<int32_t>> want = {{0, 4}, {3}, {}, {1, 2, 5}};\n"
            "  return q.synapses == want ? 0 : 1; }\n")
        out = subprocess.run(["g++", "-O1", "q.cpp", "-o", "q"], cwd=tmp_path,
                             capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        assert subprocess.run([str(tmp_path / "q")]).returncode == 0
    # another shape of spike queue, or none: nothing changed
    (objs / "a_b_synapses_create_array_codeobject.cpp").write_text(
        CREATE_ARRAY.format(name="a_b"))
    (tmp_path / "brianlib" / "spikequeue.h").write_text("// another queue\n")
    with pytest.raises(program.AnchorMissing, match="fill loop"):
        program.patch_synapse_creation(tmp_path)
    assert "reserve" not in (objs / "a_b_synapses_create_array_codeobject.cpp").read_text()
    (tmp_path / "brianlib" / "spikequeue.h").unlink()
    with pytest.raises(program.AnchorMissing, match="fill loop"):
        program.patch_synapse_creation(tmp_path)
    for p in objs.iterdir():
        p.unlink()
    assert program.patch_synapse_creation(tmp_path) == 0  # no synapses, no queue


_M64 = 2**64 - 1


def _splitmix64(x: int, n: int) -> list[int]:
    """NumPy-free twin of splitmix64 (Steele, Lea & Flood 2014): its first ``n`` outputs."""
    out = []
    for _ in range(n):
        x = (x + 0x9E3779B97F4A7C15) & _M64
        z = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
        out.append(z ^ (z >> 31))
    return out


def _xoshiro256pp(s: list[int]):
    """Twin of xoshiro256++ (Blackman & Vigna): its outputs from state ``s``."""
    s = list(s)

    def rotl(x, k):
        return ((x << k) | (x >> (64 - k))) & _M64

    while True:
        result = (rotl((s[0] + s[3]) & _M64, 23) + s[0]) & _M64
        t = (s[1] << 17) & _M64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        yield result


def _twin_uniform_and_normal(seed: int, n: int) -> tuple[list[float], list[float]]:
    """``n`` uniform numbers, then ``n`` normal ones (Brian2's polar method, the second
    number of a pair kept for the next call), of the patched generator seeded ``seed``."""
    import math

    bits = _xoshiro256pp(_splitmix64(seed, 4))

    def uniform():
        return (next(bits) >> 11) / 9007199254740992.0

    uniforms = [uniform() for _ in range(n)]
    normals: list[float] = []
    while len(normals) < n:
        while True:
            x1, x2 = 2.0 * uniform() - 1.0, 2.0 * uniform() - 1.0
            r2 = x1 * x1 + x2 * x2
            if 0.0 < r2 < 1.0:
                break
        f = math.sqrt(-2.0 * math.log(r2) / r2)
        normals += [f * x2, f * x1]
    return uniforms, normals[:n]


_GENERATOR_DRIVER = """\
#include <cstdio>
#include "objects.h"
int main(int argc, char** argv) {
    brian::_bl_xoshiro256pp x;
    x.s[0] = 1; x.s[1] = 2; x.s[2] = 3; x.s[3] = 4;
    for (int i = 0; i < 10; i++) std::printf("%llu\\n", (unsigned long long)x());
    brian::_bl_xoshiro256pp y;
    y.seed(0);
    for (int i = 0; i < 4; i++) std::printf("%llu\\n", (unsigned long long)y.s[i]);
    brian::RandomGenerator g;
    g.seed(12345ul);
    for (int i = 0; i < 1000; i++) std::printf("%.17g\\n", g.rand());
    for (int i = 0; i < 1000; i++) std::printf("%.17g\\n", g.randn());
    std::FILE* f = std::fopen("draws.bin", "wb");
    for (int i = 0; i < 200000; i++) { double u = g.rand(), z = g.randn();
        std::fwrite(&u, 8, 1, f); std::fwrite(&z, 8, 1, f); }
    std::fclose(f);
    return 0;
}
"""


def test_the_random_generator_is_xoshiro256pp_behind_brian2s_recipes(tmp_path):
    """:func:`program.patch_random_generator` on Brian2's own generator class: the engine
    gives the reference outputs of xoshiro256++ and of its splitmix64 seeding, the uniform
    and normal numbers are those of a twin written here, bit for bit, and 200,000 of each
    have the distributions they should (Kolmogorov-Smirnov; the seed is fixed, so the
    test is deterministic)."""
    from scipy import stats

    (tmp_path / "objects.h").write_text(_objects_h())
    assert program.patch_random_generator(tmp_path) == 1
    src = (tmp_path / "objects.h").read_text()
    assert "std::mt19937 gen;" not in src and "_bl_xoshiro256pp gen;" in src
    assert "sqrt(-2.0*log(r2)/r2)" in src  # Brian2's polar method kept
    assert program.patch_random_generator(tmp_path) == 0  # once only
    assert (tmp_path / "objects.h").read_text() == src
    if not shutil.which("g++"):
        pytest.skip("no C++ compiler")
    (tmp_path / "g.cpp").write_text(_GENERATOR_DRIVER)
    out = subprocess.run(["g++", "-O1", "g.cpp", "-o", "g"], cwd=tmp_path,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    lines = subprocess.run([str(tmp_path / "g")], cwd=tmp_path, capture_output=True,
                           text=True, check=True).stdout.split()
    # the reference implementation's outputs from state (1, 2, 3, 4), and splitmix64's
    # from 0 (https://prng.di.unimi.it/)
    assert [int(v) for v in lines[:10]] == [
        41943041, 58720359, 3588806011781223, 3591011842654386, 9228616714210784205,
        9973669472204895162, 14011001112246962877, 12406186145184390807,
        15849039046786891736, 10450023813501588000]
    assert [int(v) for v in lines[10:14]] == [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4,
                                              0x06C45D188009454F, 0xF88BB8A8724C81EC]
    assert _splitmix64(0, 4) == [int(v) for v in lines[10:14]]
    uniforms, normals = _twin_uniform_and_normal(12345, 1000)
    assert [float(v) for v in lines[14:1014]] == uniforms
    assert [float(v) for v in lines[1014:2014]] == normals
    draws = np.fromfile(tmp_path / "draws.bin").reshape(-1, 2)
    u, z = draws[:, 0], draws[:, 1]
    assert u.min() >= 0.0 and u.max() < 1.0
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    assert stats.kstest(z, "norm").pvalue > 1e-3
    assert abs(z.mean()) < 0.01 and abs(z.std() - 1.0) < 0.01
    # a generator of another shape: nothing changed
    (tmp_path / "objects.h").write_text(_objects_h().replace("std::mt19937 gen;",
                                                             "std::mt19937_64 gen;"))
    with pytest.raises(program.AnchorMissing, match="random generator"):
        program.patch_random_generator(tmp_path)
    assert "xoshiro" not in (tmp_path / "objects.h").read_text()


#: a group's own code objects and a synaptic pathway onto it, as Brian2 2.9 writes them
#: (shortened; the update as :func:`program.patch_neuron_updates` leaves it)
_INCLUDES = '#include "code_objects/{name}_codeobject.h"\n#include "objects.h"\n\n'
_RESET = """\
void _run_g_b3_codeobject()
{
    using namespace brian;
    const int64_t N = 4;
    for(int _idx=0; _idx<_N; _idx++)
    {
        _ptr_array_g_ge[_idx] = 0.0;
        _ptr_array_g_lastspike[_idx] = _lio_1;
    }

}
"""
_PATHWAY = """\
void _run_h_g_pre_codeobject()
{
    using namespace brian;
    for(int _spiking_synapse_idx=0; _spiking_synapse_idx<_num_spiking; _spiking_synapse_idx++)
    {
            const int32_t _postsynaptic_idx = _ptr_array_h_g__synaptic_post[_idx];
            double ge_post = _ptr_array_g_ge[_postsynaptic_idx];
            ge_post += w;
            _ptr_array_g_ge[_postsynaptic_idx] = ge_post;
    }
}
"""
#: a pathway onto a variable the group's update neither reads nor writes (the tally of
#: k-winners-take-all)
_TALLY = _PATHWAY.replace("h_g_pre", "h_tally_pre").replace("ge_post", "n_active_post").replace(
    "_ptr_array_g_ge", "_ptr_array_g_n_active").replace(" += w;", " += 1;")


def _resting_group(path):
    """The update, spike thresholder, reset and one pathway onto a group ``g``."""
    objects = path / "code_objects"
    objects.mkdir(exist_ok=True)
    (path / "makefile").write_text(MAKEFILE)
    files = {k: objects / f"{n}_codeobject.cpp" for k, n in (
        ("update", "g_stateupdater"), ("threshold", "g_spike_thresholder"),
        ("reset", "g_b3"), ("pathway", "h_g_pre"), ("tally", "h_tally_pre"), ("other", "a"))}
    files["update"].write_text(_INCLUDES.format(name="g_stateupdater") + STATEUPDATER_CPP
                               .replace("    const double t =", "    const int64_t N = 4;\n"
                                        "    const double t =", 1))
    program.patch_neuron_updates(path)
    files["threshold"].write_text(_INCLUDES.format(name="g_spike_thresholder") + THRESHOLDER
                                  .format(event="spike", threshold="v_th", extra=_SPIKE_EXTRA,
                                          sp=" ", invariant="2.0").replace("hidden", "g"))
    files["reset"].write_text(_INCLUDES.format(name="g_b3") + _RESET)
    files["pathway"].write_text(_INCLUDES.format(name="h_g_pre") + _PATHWAY)
    files["tally"].write_text(_INCLUDES.format(name="h_tally_pre") + _TALLY)
    files["other"].write_text(CODE_OBJECT.format(name="a"))
    return files


def test_a_group_at_rest_is_updated_and_tested_only_where_it_is_not(tmp_path):
    files = _resting_group(tmp_path)
    before = {k: f.read_text() for k, f in files.items()}
    assert program.patch_resting_group(tmp_path, "g", ["g_b3"]) == 4
    after = {k: f.read_text() for k, f in files.items()}
    # a write the update does not see wakes nothing
    assert after["other"] == before["other"] and after["tally"] == before["tally"]
    update = after["update"]
    # the list is defined once, with the rest test over what the update writes
    assert "int32_t _bl_rest_g_list[4];" in update and "int32_t _bl_rest_g_n = -1;" in update
    assert ("const char on = _array_g_ge[_idx] != 0 || _array_g_v[_idx] != 0 || "
            "!_array_g_not_refractory[_idx];") in update
    # the update and its refractoriness flags visit the list, and list it first if need be
    assert "for(int _idx=0; _idx<_N; _idx++)" not in update
    assert update.count("const int _idx = _bl_rest_g_list[_bl_k];") == 2
    assert update.count("if (_bl_rest_g_n < 0)\n        _bl_rest_g_list_all();") == 1
    threshold = after["threshold"]
    assert "for(size_t _idx=0; _idx<N; _idx++)" not in threshold
    assert "const size_t _idx = _bl_rest_g_list[_bl_k];" in threshold
    assert ("std::sort(_ptr_array_g__spikespace, _ptr_array_g__spikespace + _count);\n"
            "    _ptr_array_g__spikespace[N] = _count;") in threshold
    # the reset lists the group anew after its own code, and the pathway adds its target
    assert after["reset"].rstrip().endswith(
        "    }\n\n    _bl_rest_g_list_all();  // brainlearn (program.patch_resting_group)\n}")
    assert ("_ptr_array_g_ge[_postsynaptic_idx] = ge_post;\n            if (_bl_rest_g_n >= 0 "
            "&& !_bl_rest_g_on[_postsynaptic_idx])") in after["pathway"]
    assert "_bl_rest_g_list[_bl_rest_g_n++] = _postsynaptic_idx;" in after["pathway"]
    for k in ("threshold", "reset", "pathway"):
        assert "extern int32_t _bl_rest_g_n;" in after[k] and "#include <algorithm>" in after[k]
        assert "int32_t _bl_rest_g_n = -1;" not in after[k]


@pytest.mark.parametrize("case", ["other write", "compound write", "random update",
                                  "pretrace", "no reset", "plain update", "odd store"])
def test_the_resting_group_patch_checks_its_anchors(tmp_path, case):
    files = _resting_group(tmp_path)
    boundaries = ["g_b3"]
    if case == "other write":  # a write to the group that is not a pathway's, onto one neuron
        files["other"].write_text(CODE_OBJECT.format(name="a").replace(
            "x_a = _clip", "_ptr_array_g_v[0] = 1.0;\n    x_a = _clip"))
    elif case == "compound write":
        files["other"].write_text(CODE_OBJECT.format(name="a").replace(
            "x_a = _clip", "_ptr_array_g_ge[_postsynaptic_idx] += 1.0;\n    x_a = _clip"))
    elif case == "random update":
        files["update"].write_text(files["update"].read_text().replace(
            "_v = ge + v;", "_v = ge + v + _randn(_vectorisation_idx);"))
    elif case == "pretrace":
        files["threshold"].write_text(files["threshold"].read_text().replace(
            "_count++] = _idx;", "_count++] = _idx;\n_array_g__pretracespace[_count] = _idx;"))
    elif case == "no reset":
        boundaries = ["g_b9"]
    elif case == "odd store":  # a variable the rest test would not see
        files["update"].write_text(files["update"].read_text().replace(
            "_ptr_array_g_v[_idx] = v;", "_ptr_array_g_v[_idx] = v;\n"
            "        _ptr_array_g_w[_idx] = 2 * v;"))
    else:  # Brian2's own update loop, not the vectorisable one
        files["update"].write_text(_INCLUDES.format(name="g_stateupdater") + STATEUPDATER_CPP)
    before = {k: f.read_text() for k, f in files.items()}
    with pytest.raises(program.AnchorMissing, match="at rest are updated as the others"):
        program.patch_resting_group(tmp_path, "g", boundaries)
    assert {k: f.read_text() for k, f in files.items()} == before


def test_a_missing_anchor_builds_unpatched_with_a_warning(tmp_path):
    """Another Brian2's C++: the speed-ups are left out, the program is still compiled."""
    # compile_patched imports brian2, which sends warnings to its logger from then on: do
    # it before pytest.warns, else the test depends on whether an earlier one imported it
    pytest.importorskip("brian2")
    _project(tmp_path, network="void Network::run() { /* another shape */ }\n")
    device = _Device()
    with pytest.warns(RuntimeWarning, match="built without this speed-up") as caught:
        notes = program.compile_patched(device, tmp_path, {"_array_c_3"})
    # the per-step clock and the scheduler: both patches of Network::run
    assert len(caught) == 2 and len(notes) == 2 and all("Network::run" in n for n in notes)
    assert device.compiled == [str(tmp_path)]
    assert "_array_a_1" not in (tmp_path / "objects.cpp").read_text()  # the other applied
    assert "brainlearn_unity_0.cpp" in (tmp_path / "makefile").read_text()
    (tmp_path / "objects.cpp").write_text("// no _write_arrays at all\n")
    (tmp_path / "makefile").write_text("PROGRAM = main\n")
    with pytest.warns(RuntimeWarning):
        assert len(program.compile_patched(_Device(), tmp_path, {"_array_c_3"})) == 4


def test_a_failed_make_is_a_compilation_failure_by_type(tmp_path):
    _project(tmp_path)
    with pytest.raises(program.CompilationFailed, match="error code: 2"):
        program.compile_patched(_Device(make_exit=2), tmp_path, {"_array_c_3"})


def test_brian2_is_pinned_to_the_minor_version_the_patches_were_written_for():
    import importlib.metadata
    import tomllib
    from pathlib import Path

    from packaging.requirements import Requirement

    root = Path(__file__).resolve().parent.parent
    deps = tomllib.loads((root / "pyproject.toml").read_text())["project"]["dependencies"]
    (req,) = [Requirement(d) for d in deps if Requirement(d).name == "brian2"]
    installed = importlib.metadata.version("brian2")
    assert installed in req.specifier
    major, minor = (int(x) for x in installed.split(".")[:2])
    assert f"{major}.{minor + 1}.0" not in req.specifier


_UNPATCHED_BUILD = """\
import sys
from brainlearn.snn import build, program

def switched_off(directory, *args):
    raise program.AnchorMissing("switched off by the test")

program.patch_scheduler = program.patch_neuron_updates = switched_off
program.patch_scalar_exp = program.patch_pretrace_events = switched_off
program.patch_synapse_creation = program.patch_resting_group = switched_off
sys.exit(build._main(sys.argv[1:]))
"""


def _built_with(script, spec, tmp_path, unpatched):
    """The engine of ``spec`` built by the build command run under ``script`` (which
    switches patches off) in ``tmp_path / "plain"``; its map lists ``unpatched`` patches
    left out."""
    import json
    import sys

    from brainlearn.snn import build
    from brainlearn.snn.engines import StandaloneEngine

    plain_dir = tmp_path / "plain"
    plain_dir.mkdir()
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(json.dumps(spec.describe()))
    proc = subprocess.run([sys.executable, "-c", script, "build", str(spec_file),
                           str(plain_dir)], env=build._python_env(), capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert len(json.loads((plain_dir / build.MAP).read_text())["unpatched"]) == unpatched
    build.write_manifest(plain_dir)
    plain = StandaloneEngine(spec)
    plain.build_dir, plain.mapping = plain_dir, build.read_map(plain_dir)
    return plain


def _assert_units_hold_the_code_objects_unchanged(directory):
    """Every code object the makefile no longer names is in a joined unit, its text the
    same but for its support namespace's name and one ``using`` line per function."""
    import re

    make = (directory / "makefile").read_text()
    units = re.findall(r"brainlearn_unity_\d+\.cpp", make)
    assert units, "no joined unit"
    text = "".join((directory / u).read_text() for u in units)
    # each object's functions use its own namespace, a namespace no other object has
    parts = re.split(r"// ---- \S+ \(brainlearn: program.patch_unity_build\)\n", text)[1:]
    names = []
    for part in parts:
        own = re.findall(r"\nnamespace (_bl_u\d+) \{\n", part)
        used = set(re.findall(r"\n    using namespace (_bl_u\d+);", part))
        assert len(own) == 1 and used == set(own), (own, used)
        names += own
    assert len(names) == len(set(names)) == len(parts) > 20
    text = re.sub(r"\n    using namespace _bl_u\d+;", "", text)
    text = re.sub(r"\nnamespace _bl_u\d+ \{\n", "\nnamespace {\n", text)
    joined = [p for p in (directory / "code_objects").glob("*.cpp")
              if f"code_objects/{p.name}" not in make]
    assert len(joined) > 20
    for p in joined:
        assert p.read_text() in text, p.name


_TUNABLES = program.MALLOC_TUNABLES


def test_the_programs_run_with_glibcs_heap_settings_unless_the_caller_has_its_own(monkeypatch):
    monkeypatch.delenv("GLIBC_TUNABLES", raising=False)
    monkeypatch.setenv("BRAINLEARN_SOMETHING", "kept")
    env = program.program_environment()
    assert env["GLIBC_TUNABLES"] == _TUNABLES and env["BRAINLEARN_SOMETHING"] == "kept"
    assert "glibc.malloc.hugetlb=1" in _TUNABLES and "glibc.malloc.top_pad=" in _TUNABLES
    assert program.program_environment({"PATH": "/bin"}) == {"PATH": "/bin",
                                                              "GLIBC_TUNABLES": _TUNABLES}
    # the caller's own settings are kept, first; ours are added where it has none
    own = {"GLIBC_TUNABLES": "glibc.cpu.hwcaps=-AVX512F"}
    assert program.program_environment(own)["GLIBC_TUNABLES"] == (
        "glibc.cpu.hwcaps=-AVX512F:" + _TUNABLES)
    own = {"GLIBC_TUNABLES": "glibc.malloc.top_pad=0"}
    assert program.program_environment(own)["GLIBC_TUNABLES"] == (
        "glibc.malloc.top_pad=0:glibc.malloc.hugetlb=1")
    assert program.program_environment({"GLIBC_TUNABLES": ""})["GLIBC_TUNABLES"] == _TUNABLES
    mine = {"GLIBC_TUNABLES": "glibc.malloc.hugetlb=0:glibc.malloc.top_pad=4096"}
    assert program.program_environment(mine) == mine
    monkeypatch.setattr(program, "MALLOC_TUNABLES", "")
    assert "GLIBC_TUNABLES" not in program.program_environment({"PATH": "/bin"})
    assert "GLIBC_TUNABLES" not in os.environ  # nothing set in this process


@pytest.mark.slow
def test_the_scheduler_update_and_unit_patches_leave_a_run_bit_for_bit(tmp_path, monkeypatch):
    """The same network built with and without :func:`program.patch_scheduler`,
    :func:`program.patch_neuron_updates`, :func:`program.patch_scalar_exp`,
    :func:`program.patch_pretrace_events`, :func:`program.patch_synapse_creation` and
    :func:`program.patch_resting_group` (Brian2's loop, neuron updates, their per-step
    exponentials, the hidden group's event thresholder, the room reserved for the synapses,
    the inhibitory neurons at rest): a chunk with learning, a teacher, noise, refractory
    periods and k-winners-take-all (whose tally synapses write to the inhibitory group) ends
    with the same spike counts and learned state, bit for bit. Both builds join their code
    objects (:func:`program.patch_unity_build`); that patch changes no line of any code
    object but the names of their support namespaces, checked here on Brian2's real code
    objects (each object compiled in a unit of its own, as Brian2 does, gave the same run
    bit for bit too: measured when the patch came, its 60 units cost this test 25 s). The
    patched program run without glibc's heap settings (:func:`program.program_environment`)
    gives the same run again."""
    pytest.importorskip("brian2")

    from brainlearn.snn.engines import ChunkInputs, NetworkState, StandaloneEngine
    from brainlearn.snn.graph import NetworkSpec
    from brainlearn.snn.names import PopulationName
    from brainlearn.snn.plasticity import STDP
    from brainlearn.snn.populations import NetworkParams

    monkeypatch.setenv("BRAINLEARN_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("GLIBC_TUNABLES", raising=False)  # the heap settings are ours
    net = NetworkParams(dt_ms=0.5, presentation_ms=20.0, n_per_feature=4, n_hidden=6,
                        n_per_class=2, noise_mv=3.0, refractory_ms=2.0, w_ie_mv=0.0,
                        k_winners=2)
    spec = NetworkSpec(n_features=2, chunk=8, net=net, hidden_rule=STDP(eta_pot=0.05),
                       readout_rule=STDP(eta_pot=0.05), supervised=True)
    patched = StandaloneEngine(spec)
    plain = _built_with(_UNPATCHED_BUILD, spec, tmp_path, unpatched=6)
    plain_dir = plain.build_dir
    assert "_bl_clocks" in (patched.build_dir / "network.cpp").read_text()
    assert "_bl_clocks" not in (plain_dir / "network.cpp").read_text()
    updates = sorted((patched.build_dir / "code_objects").glob("*_stateupdater_codeobject.cpp"))
    assert sum("_bl_refractory_gap" in p.read_text() for p in updates) == 3  # hidden, inh., eff.
    assert sum(p.read_text().count("_bl_exp(") for p in updates) > 0
    assert sum("_bl_rest_inhibitory_list_all" in p.read_text() for p in updates) == 1
    events = patched.build_dir / "code_objects" / "hidden_pretrace_thresholder_codeobject.cpp"
    assert "program.patch_pretrace_events" in events.read_text()
    assert "program.patch_synapse_creation" in (patched.build_dir / "brianlib"
                                                / "spikequeue.h").read_text()
    # Brian2's rendered objects.h took the generator patch, on both sides
    for d in (patched.build_dir, plain_dir):
        assert "_bl_xoshiro256pp gen;" in (d / "objects.h").read_text()
    _assert_units_hold_the_code_objects_unchanged(plain_dir)
    _assert_units_hold_the_code_objects_unchanged(patched.build_dir)

    rng = np.random.default_rng(7)
    m = spec.chunk
    inputs = ChunkInputs.make(rng.uniform(0.0, 600.0, (m, spec.n_afferent)),
                              rng.integers(0, 2, m), 1.0, 1.0, 1.0)
    state = NetworkState(w_in=rng.uniform(0.3, 0.9, (spec.n_afferent, 6)),
                         w_out=rng.uniform(0.2, 0.8, (6, spec.n_efferent)),
                         theta_volt=np.zeros(6), rbar=np.zeros(spec.n_efferent))
    from brainlearn import _proc

    envs = []
    run_tied = _proc.run_tied

    def watched(args, **kwargs):
        envs.append(kwargs.get("env"))
        return run_tied(args, **kwargs)

    monkeypatch.setattr(_proc, "run_tied", watched)
    for seed in (1, 2):
        a, b = patched.run(inputs, state, seed), plain.run(inputs, state, seed)
        # and without glibc's heap settings (program.program_environment): the same run
        monkeypatch.setattr(program, "MALLOC_TUNABLES", "")
        c = patched.run(inputs, state, seed)
        monkeypatch.setattr(program, "MALLOC_TUNABLES", _TUNABLES)
        for other in (b, c):
            for pop in a.counts:
                np.testing.assert_array_equal(a.counts[pop], other.counts[pop],
                                              err_msg=str(pop))
            for name in ("w_in", "w_out", "theta_volt"):
                np.testing.assert_array_equal(getattr(a.state, name),
                                              getattr(other.state, name), err_msg=name)
    assert [(e or {}).get("GLIBC_TUNABLES") for e in envs] == [_TUNABLES, _TUNABLES, None] * 2
    # the run was not trivial: neurons spiked (and were refractory) again, weights moved
    assert a.counts[PopulationName.HIDDEN].max() >= 3
    assert np.abs(a.state.w_in - state.w_in).max() > 1e-3
    assert np.abs(a.state.w_out - state.w_out).max() > 1e-3


_WITHOUT_RESTING = """\
import sys
from brainlearn.snn import build, program

def switched_off(directory, *args):
    raise program.AnchorMissing("switched off by the test")

program.patch_resting_group = switched_off
sys.exit(build._main(sys.argv[1:]))
"""


@pytest.mark.slow
def test_skipping_the_inhibitory_neurons_at_rest_leaves_a_prediction_bit_for_bit(
        tmp_path, monkeypatch):
    """A batched inference program (three frozen copies, winner-take-all with its
    inhibition on) built with and without :func:`program.patch_resting_group` gives the
    same spike counts of every group, bit for bit, over presentations in which some
    inhibitory neurons fire and others stay at rest (with a reset below rest, so a neuron
    refractory at a presentation's start is not at rest)."""
    pytest.importorskip("brian2")

    from brainlearn.snn.batched import inference_spec
    from brainlearn.snn.engines import ChunkInputs, NetworkState, StandaloneEngine
    from brainlearn.snn.graph import NetworkSpec
    from brainlearn.snn.names import PopulationName
    from brainlearn.snn.plasticity import STDP
    from brainlearn.snn.populations import NetworkParams

    monkeypatch.setenv("BRAINLEARN_CACHE", str(tmp_path / "cache"))
    net = NetworkParams(dt_ms=0.5, presentation_ms=20.0, n_per_feature=4, n_hidden=8,
                        n_per_class=2, noise_mv=3.0, refractory_ms=2.0, v_reset_mv=-2.0)
    spec = inference_spec(NetworkSpec(n_features=2, chunk=4, net=net,
                                      hidden_rule=STDP(), readout_rule=STDP(),
                                      supervised=True),
                          copies=3, presentations=5)
    patched = StandaloneEngine(spec)
    assert "_bl_rest_inhibitory_list_all" in (
        patched.build_dir / "code_objects" / "inhibitory_stateupdater_codeobject.cpp"
    ).read_text()
    plain = _built_with(_WITHOUT_RESTING, spec, tmp_path, unpatched=1)

    rng = np.random.default_rng(3)
    m = spec.chunk
    rates = rng.uniform(0.0, 400.0, (m, spec.copies * spec.n_afferent))
    state = NetworkState(w_in=rng.uniform(0.2, 1.0, (spec.n_afferent, 8)),
                         w_out=rng.uniform(0.2, 0.8, (8, spec.n_efferent)),
                         theta_volt=np.zeros(8), rbar=np.zeros(spec.n_efferent))
    for seed in (1, 2):
        a = patched.run(ChunkInputs.make(rates), state, seed)
        b = plain.run(ChunkInputs.make(rates), state, seed)
        for pop in a.counts:
            np.testing.assert_array_equal(a.counts[pop], b.counts[pop], err_msg=str(pop))
    # in a presentation some inhibitory neurons fired (and silenced hidden ones), others
    # stayed at rest
    fired = a.counts[PopulationName.INHIBITORY] > 0
    assert 0.1 < fired.mean() < 0.9
