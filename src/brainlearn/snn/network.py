"""The Brian2 network, its one-time C++ standalone build with an on-disk cache, and runs.

Design
------
Brian2 charges per time step and per ``run()`` call, and a C++ standalone build takes
seconds to compile. So the network is compiled **once per shape** and reused:

- A *chunk* of ``K`` presentations is one run of the compiled program. Inputs, labels and
  per-presentation flags (``learn``, ``teach``) are ``TimedArray`` values with one row per
  presentation; data of any size is cut into chunks, the last one padded with silent,
  unlabelled, non-learning presentations whose outputs are dropped.
- Everything that changes between runs -- the ``TimedArray`` values, the plastic weights,
  the adaptive thresholds, the reward baseline and the random seed -- is set on the
  program's command line (``name=file``), which is what ``device.run(run_args=...)`` does
  in Brian2 >= 2.6; results are binary files in a per-run results directory.
- The build happens in a child Python process (so the caller's Brian2 device state is never
  touched), under a file lock, into a cache directory keyed by a hash of everything that
  is compiled in (network shape, rule objects, chunk size, dt, Brian2 version and the
  source of this package's network code). A JSON file beside the build records, for every
  variable that is set or read, its file name and dtype, so a fresh process can run the
  program without Brian2 having built it in that process.
- At the start of each presentation (``t = k * T``) ``run_regularly`` operations, ordered
  explicitly, finish the previous presentation (reward, end-of-presentation plasticity) and
  reset the state for the next; ``StateMonitor`` s with ``dt = T`` read the per-presentation
  spike counts just before the reset. The program therefore runs ``K * T + dt``.

A runtime-mode engine runs the same network in-process (one ``Network`` per chunk); it is
the fallback when no C++ compiler works (chosen automatically, with a warning) and the
engine of :func:`record_spikes`-style runs that need spike monitors.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .plasticity import PlasticityRule, make_rule, shared_declarations
from .populations import NetworkParams

__all__ = [
    "NetworkSpec",
    "StandaloneEngine",
    "RuntimeEngine",
    "build_network",
    "cache_root",
    "get_engine",
]

PLASTIC = ("afferent_interneuron", "interneuron_efferent")
POPULATIONS = ("afferent", "interneuron", "inhibitory", "efferent")


@dataclass(frozen=True)
class NetworkSpec:
    """Everything compiled into one network program."""

    n_features: int
    chunk: int
    net: NetworkParams
    hidden_rule: PlasticityRule
    readout_rule: PlasticityRule
    supervised: bool

    @property
    def n_afferent(self) -> int:
        return self.n_features * self.net.n_per_feature

    @property
    def n_efferent(self) -> int:
        return 2 * self.net.n_per_class

    def describe(self) -> dict[str, Any]:
        return {
            "n_features": self.n_features,
            "chunk": self.chunk,
            "net": dataclasses.asdict(self.net),
            "hidden_rule": self.hidden_rule.describe(),
            "readout_rule": self.readout_rule.describe(),
            "supervised": self.supervised,
        }

    @classmethod
    def from_description(cls, d: dict[str, Any]) -> NetworkSpec:
        return cls(
            n_features=d["n_features"],
            chunk=d["chunk"],
            net=NetworkParams(**d["net"]),
            hidden_rule=make_rule(d["hidden_rule"]["name"], d["hidden_rule"]["params"]),
            readout_rule=make_rule(d["readout_rule"]["name"], d["readout_rule"]["params"]),
            supervised=d["supervised"],
        )

    def structure(self) -> dict[str, Any]:
        """What is compiled in: shapes, time step, presentation length, the rules' code."""
        return {
            "n_features": self.n_features,
            "chunk": self.chunk,
            "net": {k: getattr(self.net, k) for k in STRUCTURAL},
            "hidden_rule": self.hidden_rule.name,
            "readout_rule": self.readout_rule.name,
            "supervised": self.supervised,
        }

    def key(self) -> str:
        """Hash of everything compiled in, plus Brian2's version and this code's source."""
        import brian2

        h = hashlib.sha256()
        h.update(json.dumps(self.structure(), sort_keys=True).encode())
        h.update(brian2.__version__.encode())
        h.update(sys.version.encode())
        here = Path(__file__).parent
        for name in ("network.py", "plasticity.py"):
            h.update((here / name).read_bytes())
        return h.hexdigest()[:20]


# ------------------------------------------------------------------------------ network
STRUCTURAL = ("dt_ms", "presentation_ms", "n_per_feature", "n_hidden", "n_per_class")


def runtime_parameters(spec: NetworkSpec) -> dict[str, dict[str, Any]]:
    """Every constant that is *not* compiled in: object name -> {variable: value}.

    They are shared variables of the groups and synapses, set on the command line of the
    compiled program, so other values (a parameter sweep) reuse the same build.
    """
    from brian2 import ms, mV

    p = spec.net

    def lif(**extra):
        return {
            "tau_m": p.tau_m_ms * ms,
            "tau_e": p.tau_e_ms * ms,
            "tau_i": p.tau_i_ms * ms,
            "v_th": p.v_th_mv * mV,
            "v_reset": p.v_reset_mv * mV,
            "t_ref": p.refractory_ms * ms,
            **extra,
        }

    return {
        "afferent": {"poisson_on": 1.0 if p.poisson_input else 0.0},
        "interneuron": lif(
            tau_theta=p.tau_theta_ms * ms,
            theta_plus=p.theta_plus_mv * mV,
            theta_max=p.theta_max_mv * mV,
        ),
        "inhibitory": lif(),
        "efferent": lif(
            teacher=p.teacher_mv * mV,
            suppress=p.suppress_mv * mV,
            sigma=p.noise_mv * mV,
            **spec.readout_rule.post_parameters(),
        ),
        "afferent_interneuron": {
            **spec.hidden_rule.parameters(),
            "w_unit": p.w_in_mv / (spec.n_features * p.sigma_scale) * mV,
        },
        "interneuron_efferent": {**spec.readout_rule.parameters(), "w_unit": p.w_out_mv * mV},
        "interneuron_inhibitory": {"w_ei": p.w_ei_mv * mV},
        "inhibitory_interneuron": {"w_ie": p.w_ie_mv * mV},
        "efferent_efferent": {"w_lat": p.w_lat_mv * mV},
    }


def build_network(
    spec: NetworkSpec,
    inputs: dict[str, np.ndarray] | None = None,
    state: dict[str, np.ndarray] | None = None,
    *,
    spike_monitors: bool = False,
):
    """Create the Brian2 objects of the network for one chunk.

    Parameters
    ----------
    spec : NetworkSpec
    inputs : dict, optional
        ``TimedArray`` values (``rates`` (K+1, n_afferent) in Hz, ``label``, ``learn_hidden``,
        ``learn_readout``, ``teach``, each (K+1,)); zeros when omitted (standalone build).
    state : dict, optional
        Initial values of ``afferent_interneuron.w`` and ``interneuron_efferent.w`` (flat,
        pre-major), ``interneuron.theta`` (mV, dimensionless number) and ``efferent.Rbar``.
    spike_monitors : bool
        Add ``SpikeMonitor`` s on every population (runtime mode only).

    Returns
    -------
    net : brian2.Network
    handles : dict
        Name -> Brian2 object (groups, synapses, timed arrays, monitors).
    """
    import brian2 as b2
    from brian2 import Hz, TimedArray, ms, volt

    p = spec.net
    K = spec.chunk
    T = p.presentation_ms * ms
    dt = p.dt_ms * ms
    n_aff, n_hid, n_eff = spec.n_afferent, p.n_hidden, spec.n_efferent
    inputs = inputs or {}
    zeros = np.zeros(K + 1)

    rates_ta = TimedArray(
        np.asarray(inputs.get("rates", np.zeros((K + 1, n_aff))), dtype=float) * Hz,
        dt=T,
        name="rates_ta",
    )
    label_ta = TimedArray(np.asarray(inputs.get("label", zeros - 1), float), dt=T, name="label_ta")
    learn_h_ta = TimedArray(
        np.asarray(inputs.get("learn_hidden", zeros), float), dt=T, name="learn_hidden_ta"
    )
    learn_r_ta = TimedArray(
        np.asarray(inputs.get("learn_readout", zeros), float), dt=T, name="learn_readout_ta"
    )
    teach_ta = TimedArray(np.asarray(inputs.get("teach", zeros), float), dt=T, name="teach_ta")

    P = runtime_parameters(spec)
    timed = {
        "rates_ta": rates_ta,
        "label_ta": label_ta,
        "learn_hidden_ta": learn_h_ta,
        "learn_readout_ta": learn_r_ta,
        "teach_ta": teach_ta,
        "half_T": 0.5 * T,
    }

    # --- populations -------------------------------------------------------------------
    afferent = b2.NeuronGroup(
        n_aff,
        """
        dphase/dt = rates_ta(t, i) : 1
        count : 1
        learn : 1
        """
        + shared_declarations(P["afferent"]),
        threshold=(
            "poisson_on * int(rand() < rates_ta(t, i) * dt) + (1 - poisson_on) * int(phase > 1) > 0"
        ),
        reset="count += 1\nphase = phase - int(phase > 1)",
        method="euler",
        name="afferent",
        namespace=dict(timed),
        dt=dt,
    )
    lif = """
        dv/dt = (-v + ge - gi {extra}) / tau_m {noise}: volt (unless refractory)
        dge/dt = -ge / tau_e : volt
        dgi/dt = -gi / tau_i : volt
        count : 1
        learn : 1
        """
    interneuron = b2.NeuronGroup(
        n_hid,
        lif.format(extra="", noise="")
        + """
        dtheta/dt = -learn * theta / tau_theta : volt
        """
        + shared_declarations(P["interneuron"]),
        threshold="v > v_th + theta",
        reset="""
        v = v_reset
        count += 1
        theta = clip(theta + learn * theta_plus, 0 * mV, theta_max)
        """,
        refractory="t_ref",
        method="exact",
        name="interneuron",
        namespace=dict(timed),
        dt=dt,
    )
    inhibitory = b2.NeuronGroup(
        n_hid,
        lif.format(extra="", noise="") + shared_declarations(P["inhibitory"]),
        threshold="v > v_th",
        reset="v = v_reset; count += 1",
        refractory="t_ref",
        method="exact",
        name="inhibitory",
        namespace=dict(timed),
        dt=dt,
    )
    readout = spec.readout_rule
    eff_eqs = (
        lif.format(extra="+ I_teach", noise="+ sigma * sqrt(2 / tau_m) * xi")
        + """
        I_teach = teach * (int(cls == label) * teacher - int(cls != label) * suppress) : volt
        cls : 1 (constant)
        label : 1
        teach : 1
        n_same : 1
        n_other : 1
        """
        + readout.post_eqs
        + shared_declarations(P["efferent"])
    )
    efferent = b2.NeuronGroup(
        n_eff,
        eff_eqs,
        threshold="v > v_th",
        reset="v = v_reset; count += 1",
        refractory="t_ref",
        method="euler",
        name="efferent",
        namespace=dict(timed),
        dt=dt,
    )
    efferent.cls = np.repeat([0.0, 1.0], spec.net.n_per_class)

    # --- synapses --------------------------------------------------------------------
    def all_to_all(n_pre, n_post):
        return np.repeat(np.arange(n_pre), n_post), np.tile(np.arange(n_post), n_pre)

    hid_rule = spec.hidden_rule
    s_in = b2.Synapses(
        afferent,
        interneuron,
        model=hid_rule.synapse_eqs + shared_declarations(P["afferent_interneuron"]),
        on_pre="ge_post += w * w_unit\n" + hid_rule.on_pre,
        on_post=hid_rule.on_post or None,
        name="afferent_interneuron",
        namespace={},
        dt=dt,
    )
    pre, post = all_to_all(n_aff, n_hid)
    s_in.connect(i=pre, j=post)
    s_ei = b2.Synapses(
        interneuron,
        inhibitory,
        model=shared_declarations(P["interneuron_inhibitory"]),
        on_pre="ge_post += w_ei",
        name="interneuron_inhibitory",
        namespace={},
        dt=dt,
    )
    s_ei.connect(j="i")
    s_ie = b2.Synapses(
        inhibitory,
        interneuron,
        model=shared_declarations(P["inhibitory_interneuron"]),
        on_pre="gi_post += w_ie",
        name="inhibitory_interneuron",
        namespace={},
        dt=dt,
    )
    s_ie.connect(condition="i != j")
    s_out = b2.Synapses(
        interneuron,
        efferent,
        model=readout.synapse_eqs + shared_declarations(P["interneuron_efferent"]),
        on_pre="ge_post += w * w_unit\n" + readout.on_pre,
        on_post=readout.on_post or None,
        name="interneuron_efferent",
        namespace={},
        dt=dt,
    )
    pre, post = all_to_all(n_hid, n_eff)
    s_out.connect(i=pre, j=post)

    # mutual inhibition between the efferent groups of the two classes (w_lat = 0: none)
    s_lat = b2.Synapses(
        efferent,
        efferent,
        model=shared_declarations(P["efferent_efferent"]),
        on_pre="gi_post += w_lat",
        name="efferent_efferent",
        namespace={},
        dt=dt,
    )
    cls_of = np.repeat(np.arange(2), spec.net.n_per_class)
    pre, post = np.nonzero(cls_of[:, None] != cls_of[None, :])
    s_lat.connect(i=pre, j=post)

    objects = [afferent, interneuron, inhibitory, efferent, s_in, s_ei, s_ie, s_out, s_lat]
    handles: dict[str, Any] = {o.name: o for o in objects}
    for obj_name, values in P.items():
        for name, value in values.items():
            setattr(handles[obj_name], name, value)

    if readout.needs_reward:
        tally = b2.Synapses(
            efferent,
            efferent,
            on_pre="""
            n_same_post += int(cls_pre == cls_post)
            n_other_post += int(cls_pre != cls_post)
            """,
            name="efferent_tally",
            namespace={},
            dt=dt,
        )
        tally.connect()
        objects.append(tally)
        handles["efferent_tally"] = tally

    # --- initial values ------------------------------------------------------------------
    state = state or {}
    if "afferent_interneuron.w" in state:
        s_in.w = state["afferent_interneuron.w"]
    if "interneuron_efferent.w" in state:
        s_out.w = state["interneuron_efferent.w"]
    if "interneuron.theta" in state:
        interneuron.theta = state["interneuron.theta"] * volt
    if "efferent.Rbar" in state and readout.needs_reward:
        efferent.Rbar = state["efferent.Rbar"]

    # --- presentation boundaries ----------------------------------------------------------
    def boundary(obj, code, order):
        if code and code.strip():
            op = obj.run_regularly(
                code, dt=T, when="start", order=order, name=f"{obj.name}_b{order}"
            )
            objects.append(op)

    # 0: the efferent group finishes the presentation (reward); 1: end-of-presentation
    # plasticity; 2: reward baseline; 3: reset state and read the next presentation's flags
    boundary(efferent, readout.post_end_code, 0)
    boundary(s_in, hid_rule.end_code, 1)
    boundary(s_out, readout.end_code, 1)
    boundary(efferent, readout.post_after_code, 2)
    boundary(s_in, hid_rule.reset_code, 3)
    boundary(s_out, readout.reset_code, 3)
    boundary(afferent, "count = 0\nphase = rand()\nlearn = learn_hidden_ta(t + half_T)", 3)
    reset_lif = "v = 0*mV\nge = 0*mV\ngi = 0*mV\ncount = 0\n"
    boundary(interneuron, reset_lif + "learn = learn_hidden_ta(t + half_T)", 3)
    boundary(inhibitory, reset_lif + "learn = 0", 3)
    boundary(
        efferent,
        reset_lif
        + """
        n_same = 0
        n_other = 0
        learn = learn_readout_ta(t + half_T)
        label = label_ta(t + half_T)
        teach = teach_ta(t + half_T)
        """,
        3,
    )

    # --- per-presentation spike counts, read just before the reset -------------------------
    for g in (afferent, interneuron, inhibitory, efferent):
        mon = b2.StateMonitor(
            g, "count", record=True, dt=T, when="start", order=-10, name=f"count_{g.name}"
        )
        objects.append(mon)
        handles[mon.name] = mon
    if spike_monitors:
        for g in (afferent, interneuron, inhibitory, efferent):
            mon = b2.SpikeMonitor(g, name=f"spikes_{g.name}")
            objects.append(mon)
            handles[mon.name] = mon

    handles.update(
        {
            "rates_ta": rates_ta,
            "label_ta": label_ta,
            "learn_hidden_ta": learn_h_ta,
            "learn_readout_ta": learn_r_ta,
            "teach_ta": teach_ta,
        }
    )
    net = b2.Network(*objects, name="brainlearn_snn")
    return net, handles


def run_duration_ms(spec: NetworkSpec) -> float:
    return spec.chunk * spec.net.presentation_ms + spec.net.dt_ms


# -------------------------------------------------------------------------- cache paths
def cache_root() -> Path:
    """Directory of compiled programs: ``$BRAINLEARN_CACHE`` or ``~/.cache/brainlearn``."""
    root = os.environ.get("BRAINLEARN_CACHE")
    base = Path(root) if root else Path.home() / ".cache" / "brainlearn"
    return base / "snn"


@contextlib.contextmanager
def _file_lock(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


# ------------------------------------------------------------------------ standalone
# variables read back after a run (name -> kind)
_OUTPUTS = {
    "afferent_interneuron.w": "dynamic",
    "interneuron_efferent.w": "dynamic",
    "interneuron.theta": "array",
    "efferent.Rbar": "array",
    "count_afferent.count": "dynamic2d",
    "count_interneuron.count": "dynamic2d",
    "count_inhibitory.count": "dynamic2d",
    "count_efferent.count": "dynamic2d",
}
_TIMED = ("rates_ta", "label_ta", "learn_hidden_ta", "learn_readout_ta", "teach_ta")


def _build_in_this_process(spec: NetworkSpec, out_dir: Path) -> None:
    """Generate and compile the standalone project (run in a child process)."""
    import brian2 as b2
    from brian2 import ms

    b2.prefs.codegen.cpp.extra_compile_args_gcc = [
        "-w",
        "-O1",  # -O3 compiles ~15 % slower here and the runs are no faster
        "-ffast-math",
        "-fno-finite-math-only",
        "-std=c++11",
    ]
    b2.prefs.devices.cpp_standalone.extra_make_args_unix = ["-j2"]
    b2.set_device("cpp_standalone", directory=str(out_dir), build_on_run=False)
    net, h = build_network(spec)
    control = b2.NeuronGroup(1, "seed : integer", name="control")
    net.add(control)
    b2.device.apply_run_args()
    seed_array = b2.device.get_array_name(control.variables["seed"])
    b2.device.insert_code(
        "main",
        f"brian::_random_generators[0].seed((unsigned long) brian::{seed_array}[0]);",
    )
    net.run(run_duration_ms(spec) * ms, namespace={})
    b2.device.build(directory=str(out_dir), compile=True, run=False, with_output=False)

    mapping: dict[str, Any] = {"outputs": {}, "timed": {}}
    for name, kind in _OUTPUTS.items():
        obj_name, var = name.split(".")
        obj = h.get(obj_name)
        if obj is None:
            continue
        if var not in obj.variables:
            continue
        v = obj.variables[var]
        mapping["outputs"][name] = {
            "file": b2.device.get_array_filename(v),
            "dtype": np.dtype(v.dtype).str,
            "kind": kind,
            "size": len(obj.record) if kind == "dynamic2d" else None,
        }
    for name in _TIMED:
        mapping["timed"][name] = {
            "dtype": np.dtype(h[name].values.dtype).str,
            "shape": list(h[name].values.shape),
        }
    mapping["inputs"] = {
        "afferent_interneuron.w": np.dtype(h["afferent_interneuron"].variables["w"].dtype).str,
        "interneuron_efferent.w": np.dtype(h["interneuron_efferent"].variables["w"].dtype).str,
        "interneuron.theta": np.dtype(h["interneuron"].variables["theta"].dtype).str,
    }
    if "Rbar" in h["efferent"].variables:
        mapping["inputs"]["efferent.Rbar"] = np.dtype(h["efferent"].variables["Rbar"].dtype).str
    mapping["spec"] = spec.describe()
    (out_dir / "brainlearn_map.json").write_text(json.dumps(mapping, indent=1))


def _python_env() -> dict[str, str]:
    env = dict(os.environ)
    pkg_parent = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(
        [pkg_parent] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
    )
    return env


class BuildError(RuntimeError):
    """The C++ compiler failed (or is missing): the runtime fallback applies."""


_EXIT_NO_COMPILER = 3


def ensure_built(spec: NetworkSpec) -> Path:
    """The directory of the compiled program for ``spec``, building it if needed.

    Safe against concurrent processes: builds are serialised by a file lock and published by
    an atomic rename, so a reader sees either no build or a complete one.
    """
    root = cache_root()
    key = spec.key()
    final = root / key
    if (final / "brainlearn_map.json").exists():
        return final
    with _file_lock(root / f"{key}.lock"):
        if (final / "brainlearn_map.json").exists():
            return final
        tmp = root / f"{key}.tmp-{uuid.uuid4().hex[:8]}"
        tmp.mkdir(parents=True)
        spec_file = tmp / "spec.json"
        spec_file.write_text(json.dumps(spec.describe()))
        proc = subprocess.run(
            [sys.executable, "-m", "brainlearn.snn.network", "build", str(spec_file), str(tmp)],
            env=_python_env(),
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0 or not (tmp / "brainlearn_map.json").exists():
            shutil.rmtree(tmp, ignore_errors=True)
            err = BuildError if proc.returncode == _EXIT_NO_COMPILER else RuntimeError
            raise err("C++ standalone build failed:\n" + (proc.stderr or "")[-3000:])
        if final.exists():  # a stale, incomplete directory
            shutil.rmtree(final, ignore_errors=True)
        os.replace(tmp, final)
    return final


class StandaloneEngine:
    """Runs chunks with the compiled program of a :class:`NetworkSpec`."""

    name = "standalone"

    def __init__(self, spec: NetworkSpec):
        self.spec = spec
        self.build_dir = ensure_built(spec)
        self.mapping = json.loads((self.build_dir / "brainlearn_map.json").read_text())

    def run(self, inputs: dict[str, np.ndarray], state: dict[str, np.ndarray], seed: int):
        spec = self.spec
        runs = self.build_dir / "runs"
        runs.mkdir(exist_ok=True)
        res = Path(tempfile.mkdtemp(prefix="run-", dir=runs))
        try:
            args = [str(self.build_dir / "main"), "--results_dir", str(res) + os.sep]
            for name, meta in self.mapping["timed"].items():
                key = name[: -len("_ta")]
                arr = np.ascontiguousarray(inputs[key], dtype=np.dtype(meta["dtype"]))
                if list(arr.shape) != meta["shape"]:
                    raise ValueError(f"{name}: shape {arr.shape} != compiled {meta['shape']}")
                f = res / f"in_{name}.dat"
                arr.tofile(f)
                args.append(f"{name}.values={f}")
            for name, dtype in self.mapping["inputs"].items():
                arr = np.ascontiguousarray(state[name], dtype=np.dtype(dtype))
                f = res / f"in_{name}.dat"
                arr.tofile(f)
                args.append(f"{name}={f}")
            for obj_name, values in runtime_parameters(spec).items():
                for name, value in values.items():
                    args.append(f"{obj_name}.{name}={float(np.asarray(value))!r}")
            args.append(f"control.seed={int(seed) % (2**31)}")
            proc = subprocess.run(args, cwd=self.build_dir, capture_output=True, text=True)
            if proc.returncode != 0:
                raise RuntimeError(
                    f"compiled network failed ({proc.returncode}): {proc.stdout[-2000:]}"
                    f"{proc.stderr[-2000:]}"
                )
            out = {}
            for name, meta in self.mapping["outputs"].items():
                data = np.fromfile(res / meta["file"], dtype=np.dtype(meta["dtype"]))
                if meta["kind"] == "dynamic2d":
                    data = data.reshape(-1, meta["size"])
                out[name] = data.astype(np.float64)
            return _finish_outputs(spec, out)
        finally:
            shutil.rmtree(res, ignore_errors=True)


def _finish_outputs(spec: NetworkSpec, out: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Drop the monitor's first row (t = 0) and keep one row per presentation."""
    K = spec.chunk
    res = {}
    for pop in POPULATIONS:
        c = out[f"count_{pop}.count"]
        res[f"counts_{pop}"] = c[1 : K + 1]
    res["afferent_interneuron.w"] = out["afferent_interneuron.w"]
    res["interneuron_efferent.w"] = out["interneuron_efferent.w"]
    res["interneuron.theta"] = out["interneuron.theta"]
    if "efferent.Rbar" in out:
        res["efferent.Rbar"] = out["efferent.Rbar"]
    return res


class RuntimeEngine:
    """Runs chunks in-process with Brian2's runtime device (the fallback)."""

    name = "runtime"

    def __init__(self, spec: NetworkSpec):
        self.spec = spec

    def run(self, inputs, state, seed: int, *, spike_monitors: bool = False):
        import brian2 as b2
        from brian2 import ms, volt

        # Brian2's runtime device draws from numpy's global generator, and b2.seed re-seeds
        # it: keep the caller's stream as it was (one seed source: random_state)
        saved = np.random.get_state()  # noqa: NPY002 - restoring, not drawing
        try:
            b2.seed(int(seed) % (2**31))
            net, h = build_network(self.spec, inputs, state, spike_monitors=spike_monitors)
            net.run(run_duration_ms(self.spec) * ms, namespace={})
        finally:
            np.random.set_state(saved)  # noqa: NPY002
        out = {
            "afferent_interneuron.w": np.asarray(h["afferent_interneuron"].w[:], float),
            "interneuron_efferent.w": np.asarray(h["interneuron_efferent"].w[:], float),
            "interneuron.theta": np.asarray(h["interneuron"].theta[:] / volt, float),
        }
        if self.spec.readout_rule.needs_reward:
            out["efferent.Rbar"] = np.asarray(h["efferent"].Rbar[:], float)
        for pop in POPULATIONS:
            out[f"count_{pop}.count"] = np.asarray(h[f"count_{pop}"].count[:], float).T
        res = _finish_outputs(self.spec, out)
        if spike_monitors:
            for pop in POPULATIONS:
                m = h[f"spikes_{pop}"]
                res[f"spikes_{pop}"] = (np.asarray(m.i[:], int), np.asarray(m.t[:] / ms, float))
        return res


_NO_COMPILER: list[str] = []


def get_engine(spec: NetworkSpec, backend: str = "auto"):
    """A standalone engine (compiled once, cached on disk) or, as fallback, a runtime one."""
    if backend not in ("auto", "standalone", "runtime"):
        raise ValueError(f"backend must be 'auto', 'standalone' or 'runtime', got {backend!r}")
    if backend == "runtime":
        return RuntimeEngine(spec)
    if backend == "auto" and _NO_COMPILER:
        return RuntimeEngine(spec)
    try:
        eng = StandaloneEngine(spec)
    except BuildError as exc:
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


def _main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "build":
        spec = NetworkSpec.from_description(json.loads(Path(argv[1]).read_text()))
        try:
            _build_in_this_process(spec, Path(argv[2]))
        except Exception as exc:
            # a failing compiler (or none) is the case for the runtime fallback; any other
            # error is a bug and must surface
            text = f"{type(exc).__name__}: {exc}"
            if "compilation failed" in text.lower() or isinstance(exc, FileNotFoundError):
                print(text, file=sys.stderr)
                return _EXIT_NO_COMPILER
            raise
        return 0
    print("usage: python -m brainlearn.snn.network build SPEC.json OUT_DIR", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
