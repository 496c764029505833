r"""Numba kernels of the surrogate-gradient spiking network: spike encoding, forward
simulation, backpropagation through time, loss, training loop.

Every function works on plain float64 / int64 arrays; the estimator in
:mod:`brainlearn.surrogate.model` validates input and calls them. Each kernel has a
plain-NumPy twin in ``tests/test_surrogate_kernels.py`` that it must agree with.

Network
-------
``n_aff`` afferents -> ``H`` current-based LIF hidden neurons -> ``K`` non-spiking leaky
readout units, simulated for ``T`` steps of ``dt`` per presentation, state reset to rest
(0 mV) at the start of each presentation. The ODEs of the spiking side
(:mod:`brainlearn.snn.populations`), :math:`\tau_m \dot v = -v + g`,
:math:`\tau_e \dot g = -g`, are integrated exactly over one step,

.. math::

    \alpha = e^{-dt/\tau_e},\quad \beta = e^{-dt/\tau_m},\quad
    c = \frac{\tau_e}{\tau_e - \tau_m}(\alpha - \beta)
    \quad(c = \tfrac{dt}{\tau}\beta \text{ if } \tau_e = \tau_m),

and every step ``t = 0 .. T-1`` runs in the order of Brian2's schedule (state update,
threshold, then synaptic propagation and reset, which touch different variables)::

    v[t]  = beta * vr[t-1] + c * g[t-1]                    (vr[-1] = g[-1] = 0)
    s[t]  = H(v[t] - v_th)                                 (spike; H = Heaviside, H(0) = 0)
    vr[t] = v[t] - s[t] (v[t] - v_reset)                   (reset)
    g[t]  = alpha * g[t-1] + sum_i W_in[i, :] x[t, i]      (afferent spikes x of step t)

``x[t, i]`` is 0 or 1; a batch is ``B`` independent samples, so the input of a step is the
batched product ``x[:, t, :] @ W_in``, computed here event by event (the afferent code is
sparse: a population code has a few active afferents per feature).

The readout units integrate the hidden spikes with the same synapse and membrane,
without threshold: ``u[t] = beta u[t-1] + c q[t-1]``, ``q[t] = alpha q[t-1] + W_out^T s[t]``,
and the logits are their time-averaged membrane potentials plus a bias,
``z_k = (1/T) sum_t u_k[t] + b_k``. Being linear, this is

.. math::

    z = W_{out}^\top C + b,\qquad C_j = \sum_t \kappa_t\, s_j[t],\qquad
    \kappa_t = \frac{1}{T}\sum_{m=0}^{T-1-t} h_m,

with ``h`` the readout's membrane response to a unit synaptic jump (``h_0 = 0``,
``h_1 = c``, ``h_m = beta h_{m-1} + c alpha^{m-1}``; :func:`readout_kernel`): ``C`` is a
spike count in which each spike is weighted by the share of the presentation left after it.

Loss and gradient
-----------------
Softmax cross-entropy averaged over the batch, ``dL/dz = (softmax(z) - onehot(y)) / B``.
Backpropagation through time (Neftci, Mostafa & Zenke 2019) replaces the derivative of the
Heaviside by the fast-sigmoid surrogate of SuperSpike (Zenke & Ganguli 2018), normalised to
unit area,

.. math::

    \sigma'(x) = \frac{\gamma}{2\,(1 + \gamma |x|)^2},\qquad
    \sigma(x) = \tfrac12\Big(1 + \frac{\gamma x}{1 + \gamma|x|}\Big),

``gamma`` (1/mV) the steepness. With ``smooth=True`` the forward pass uses ``sigma``
itself instead of ``H``; the backward pass is then the exact gradient of that smooth
network (checked against finite differences in the tests). The adjoints, for ``t = T-1 .. 0``
with ``V = dL/dv[t+1]``, ``G = dL/dg[t]`` (zero beyond ``T-1``)::

    dL/dvr[t] = beta * V
    dL/dg[t]  = alpha * dL/dg[t+1] + c * V
    dL/ds[t]  = kappa_t (W_out dL/dz)_j - dL/dvr[t] (v[t] - v_reset)   (reset path)
    dL/dv[t]  = dL/dvr[t] (1 - s[t]) + dL/ds[t] sigma'(v[t] - v_th)
    dL/dW_in[i, :] += x[t, i] dL/dg[t],   dL/dW_out = C^T dL/dz,   dL/db = sum_b dL/dz

With ``detach_reset`` the reset path (second term of ``dL/ds``) is left out, as Zenke &
Vogels (2021) recommend; the gradient is then no longer that of any forward pass.

Afferent input
--------------
The input code (:mod:`brainlearn.snn.encoding`) gives every sample a ``drive`` row, one
value per afferent, turned into the input ``x[t, i]`` of each step by the code's kernel
(``code``, :func:`events`):

``REGULAR`` (the spiking side's default, ``poisson_input=False``)
    ``drive`` = rates; afferent ``i`` with rate ``r_i`` and phase ``phi_i`` in [0, 1) emits
    ``floor(phi + p (t + 1)) - floor(phi + p t)`` spikes in step ``t``, ``p = r_i dt``
    (<= 1, so 0 or 1 spikes).
``POISSON`` (``poisson_input=True``)
    ``drive`` = rates; afferent ``i`` spikes in step ``t`` with probability ``p = r_i dt``,
    independently of every other step (a Bernoulli process, Brian2's ``PoissonGroup``). The
    steps are drawn by geometric skipping, ``t <- t + 1 + floor(log(1 - u) / log(1 - p))``
    with ``u`` uniform in [0, 1), from a Mersenne Twister seeded with the sample's seed
    (NumPy's legacy stream, which Numba reproduces), afferent by afferent.
``LATENCY``
    ``drive`` = first-spike times in seconds; afferent ``i`` spikes once, in step
    ``floor(t_i / dt)``, if that step is inside the presentation (never for ``t_i = inf``).
``CURRENT``
    ``drive`` = rates; no spikes: ``x[t, i] = r_i dt`` in every step, an analogue current
    equal to the mean drive of the rate code (its deterministic, noise-free limit). The
    input of a step is then the same for every step, ``I = W_in^T x`` computed once per
    sample, and ``dL/dW_in[i, :] = x_i sum_t dL/dg[t]``.

Spikes are stored per sample and step in compressed rows: the afferents firing in step
``t`` of batch sample ``b`` are ``idx[ptr[b T + t] : ptr[b T + t + 1]]``; the currents in
``cur`` (B, n_aff), or (B, 0) for a spike code.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..mlp._kernels import adam_alpha, adam_update

#: Keras' Adam defaults (the MLP's optimizer, brainlearn.mlp._kernels.adam_step)
ADAM_BETA1, ADAM_BETA2, ADAM_EPS = 0.9, 0.999, 1e-7

#: training status codes returned by :func:`train_epoch`
OK, DIVERGED = 0, 1

#: input codes of the kernels (module docstring, "Afferent input")
REGULAR, POISSON, LATENCY, CURRENT = 0, 1, 2, 3

#: fast-math flags: reassociation lets sums vectorise; nnan/ninf left out so that NaN and
#: infinity propagate to the divergence check
_FASTMATH = {"reassoc", "contract", "arcp", "nsz"}


def lif_constants(dt_ms: float, tau_m_ms: float, tau_e_ms: float) -> tuple[float, float, float]:
    """``(alpha, beta, c)`` of the exact one-step update (module docstring)."""
    alpha = math.exp(-dt_ms / tau_e_ms)
    beta = math.exp(-dt_ms / tau_m_ms)
    if math.isclose(tau_e_ms, tau_m_ms, rel_tol=1e-12):
        c = dt_ms / tau_m_ms * beta
    else:
        c = tau_e_ms / (tau_e_ms - tau_m_ms) * (alpha - beta)
    return alpha, beta, c


@njit(cache=True)
def readout_kernel(n_steps, alpha, beta, c):
    """``kappa`` (length ``n_steps``): weight of a hidden spike in step ``t`` in the logit."""
    h = np.zeros(n_steps)
    if n_steps > 1:
        h[1] = c
    decay = 1.0
    for m in range(2, n_steps):
        decay *= alpha
        h[m] = beta * h[m - 1] + c * decay
    kappa = np.empty(n_steps)
    acc = 0.0
    for t in range(n_steps - 1, -1, -1):
        acc += h[n_steps - 1 - t]
        kappa[t] = acc / n_steps
    return kappa


# --------------------------------------------------------------------------- scalars


@njit(cache=True, inline="always")
def _spike(x, gamma, smooth):
    """Heaviside ``H(x)`` (0 at 0), or its smooth stand-in ``sigma(x)``."""
    if smooth:
        return 0.5 * (1.0 + gamma * x / (1.0 + gamma * abs(x)))
    return 1.0 if x > 0.0 else 0.0


@njit(cache=True, inline="always")
def _surrogate(x, gamma):
    """Fast-sigmoid surrogate derivative ``gamma / (2 (1 + gamma |x|)^2)``."""
    d = 1.0 + gamma * abs(x)
    return 0.5 * gamma / (d * d)


# --------------------------------------------------------------------------- afferent spikes


@njit(cache=True)
def regular_events(rates, rows, phases, phase_rows, dt_s, n_steps):
    """Compressed-row afferent spikes of a batch (module docstring).

    The k-th spike of an afferent (k = 1, 2, ...) falls in the step ``t`` where
    ``phi + p (t + 1)`` first reaches ``k``, ``t_k = ceil((k - phi) / p) - 1``: the rule of
    the module docstring, computed per spike instead of per step.

    Parameters
    ----------
    rates : (n, n_aff) rates in Hz; row ``rows[b]`` is batch sample ``b``.
    phases : (m, n_aff) phases in [0, 1); row ``phase_rows[b]`` is used for sample ``b``.
    dt_s : step in seconds; ``rates * dt_s`` must be <= 1.

    Returns
    -------
    ptr : int64 (B * n_steps + 1,)
    idx : int64 (n_events,), the afferent of each event
    """
    B = rows.shape[0]
    n_aff = rates.shape[1]
    ptr = np.zeros(B * n_steps + 1, dtype=np.int64)
    for b in range(B):
        r = rows[b]
        pr = phase_rows[b]
        for i in range(n_aff):
            p = rates[r, i] * dt_s
            if p <= 0.0:
                continue
            phi = phases[pr, i]
            k = 1.0
            while True:
                tf = np.ceil((k - phi) / p) - 1.0  # a float: no int64 overflow for tiny p
                if tf >= n_steps:
                    break
                t = int(tf)
                ptr[b * n_steps + t + 1] += 1
                k += 1.0
    for q in range(1, ptr.shape[0]):
        ptr[q] += ptr[q - 1]
    idx = np.empty(ptr[-1], dtype=np.int64)
    fill = ptr[:-1].copy()
    for b in range(B):
        r = rows[b]
        pr = phase_rows[b]
        for i in range(n_aff):
            p = rates[r, i] * dt_s
            if p <= 0.0:
                continue
            phi = phases[pr, i]
            k = 1.0
            while True:
                tf = np.ceil((k - phi) / p) - 1.0  # a float: no int64 overflow for tiny p
                if tf >= n_steps:
                    break
                t = int(tf)
                q = b * n_steps + t
                idx[fill[q]] = i
                fill[q] += 1
                k += 1.0
    return ptr, idx


@njit(cache=True)
def _poisson_row(p_row, seed, n_steps, ts, iis):
    """The spikes of one sample (module docstring, ``POISSON``), afferent by afferent:
    writes the step of the e-th spike to ``ts[e]`` and its afferent to ``iis[e]``
    (afferents ascending, each one's steps ascending; both arrays hold at least
    ``len(p_row) * n_steps``) and returns the number of spikes."""
    # Numba's jitted RNG is the legacy global stream (no Generator inside njit)
    np.random.seed(seed)  # noqa: NPY002
    n = 0
    for i in range(p_row.shape[0]):
        p = p_row[i]
        if p <= 0.0:
            continue
        step_log = math.log1p(-p) if p < 1.0 else 0.0
        t = -1
        while True:
            if p >= 1.0:
                t += 1
            else:
                # np.floor keeps a float (math.floor would give an int64 that overflows)
                gap = np.floor(math.log1p(-np.random.random()) / step_log)  # noqa: NPY002
                if gap >= n_steps:  # also guards the int conversion of huge gaps
                    break
                t += 1 + int(gap)
            if t >= n_steps:
                break
            ts[n] = t
            iis[n] = i
            n += 1
    return n


@njit(cache=True)
def poisson_events(rates, rows, seeds, dt_s, n_steps):
    """Compressed-row Bernoulli spikes of a batch (module docstring, ``POISSON``): sample
    ``b`` is row ``rows[b]`` of ``rates`` (Hz) and draws from seed ``seeds[rows[b]]``
    (0 <= seed < 2**32). Returns ``(ptr, idx)`` as :func:`regular_events`.

    One pass over the random numbers: each sample's spikes are drawn once (afferent by
    afferent) and sorted by step with a stable counting sort, so within a step the
    afferents stay ascending."""
    B = rows.shape[0]
    n_aff = rates.shape[1]
    ptr = np.zeros(B * n_steps + 1, dtype=np.int64)
    p_row = np.empty(n_aff)
    ts = np.empty(n_aff * n_steps, dtype=np.int64)
    iis = np.empty(n_aff * n_steps, dtype=np.int64)
    base = np.empty(n_steps, dtype=np.int64)
    # room for the expected count and then some; doubled when a batch draws more
    expected = 0.0
    for b in range(B):
        for i in range(n_aff):
            expected += min(rates[rows[b], i] * dt_s, 1.0)
    idx = np.empty(int(1.25 * expected * n_steps) + 16, dtype=np.int64)
    total = 0
    for b in range(B):
        r = rows[b]
        for i in range(n_aff):
            p_row[i] = rates[r, i] * dt_s
        n = _poisson_row(p_row, seeds[r], n_steps, ts, iis)
        if total + n > idx.shape[0]:
            grown = np.empty(max(2 * idx.shape[0], total + n), dtype=np.int64)
            grown[:total] = idx[:total]
            idx = grown
        off = b * n_steps
        for e in range(n):
            ptr[off + ts[e] + 1] += 1
        acc = total
        for t in range(n_steps):
            base[t] = acc
            acc += ptr[off + t + 1]
        for e in range(n):
            t = ts[e]
            idx[base[t]] = iis[e]
            base[t] += 1
        total += n
    for q in range(1, ptr.shape[0]):
        ptr[q] += ptr[q - 1]
    return ptr, idx[:total].copy()


@njit(cache=True)
def latency_events(times_s, rows, dt_s, n_steps):
    """Compressed-row spikes of the latency code (module docstring, ``LATENCY``): afferent
    ``i`` of sample ``b`` spikes once, in step ``floor(times_s[rows[b], i] / dt_s)`` if that
    is ``< n_steps`` (a time of ``inf`` never spikes)."""
    B = rows.shape[0]
    n_aff = times_s.shape[1]
    ptr = np.zeros(B * n_steps + 1, dtype=np.int64)
    for b in range(B):
        r = rows[b]
        for i in range(n_aff):
            # a float (inf: no spike); 1e-9: a time on a multiple of dt is that step
            tf = np.floor(times_s[r, i] / dt_s + 1e-9)
            if 0.0 <= tf < n_steps:
                ptr[b * n_steps + int(tf) + 1] += 1
    for q in range(1, ptr.shape[0]):
        ptr[q] += ptr[q - 1]
    idx = np.empty(ptr[-1], dtype=np.int64)
    fill = ptr[:-1].copy()
    for b in range(B):
        r = rows[b]
        for i in range(n_aff):
            tf = np.floor(times_s[r, i] / dt_s + 1e-9)
            if 0.0 <= tf < n_steps:
                q = b * n_steps + int(tf)
                idx[fill[q]] = i
                fill[q] += 1
    return ptr, idx


@njit(cache=True)
def events(code, drive, rows, phases, phase_rows, seeds, dt_s, n_steps):
    """The input of a batch in the code ``code`` (module docstring): ``(ptr, idx, cur)``,
    the compressed-row spikes (none for ``CURRENT``) and the per-step currents ``cur``
    (B, n_aff) for ``CURRENT``, (B, 0) for the spike codes. ``phases``/``phase_rows``
    serve ``REGULAR``, ``seeds`` (indexed by the row of ``drive``) ``POISSON``."""
    B = rows.shape[0]
    n_aff = drive.shape[1]
    if code == CURRENT:
        cur = np.empty((B, n_aff))
        for b in range(B):
            for i in range(n_aff):
                cur[b, i] = drive[rows[b], i] * dt_s
        return np.zeros(B * n_steps + 1, dtype=np.int64), np.empty(0, dtype=np.int64), cur
    cur = np.empty((B, 0))
    if code == POISSON:
        ptr, idx = poisson_events(drive, rows, seeds, dt_s, n_steps)
    elif code == LATENCY:
        ptr, idx = latency_events(drive, rows, dt_s, n_steps)
    else:
        ptr, idx = regular_events(drive, rows, phases, phase_rows, dt_s, n_steps)
    return ptr, idx, cur


# --------------------------------------------------------------------------- forward


@njit(cache=True, fastmath=_FASTMATH)
def _current_drive(W_in, cur, b, drive):
    """``drive = W_in^T cur[b]``, the synaptic input of every step from the currents of
    sample ``b``; returns False (``drive`` untouched) when there are none (``cur`` (B, 0))."""
    if cur.shape[1] == 0:
        return False
    drive[:] = 0.0
    for i in range(cur.shape[1]):
        xi = cur[b, i]
        if xi != 0.0:
            for j in range(drive.shape[0]):
                drive[j] += xi * W_in[i, j]
    return True


@njit(cache=True, fastmath=_FASTMATH)
def _forward_sample(W_in, W_out, b_out, ptr, idx, cur, b, alpha, beta, c, v_th, v_reset,
                    gamma, smooth, kappa, V, C, logits, g, vr, drive):
    """Simulate sample ``b`` of a batch: fills ``V`` (T, H) with its membrane potentials
    (before reset), ``C[b]`` and ``logits[b]``; ``g``, ``vr``, ``drive`` (H,) are
    scratch."""
    n_steps, H = V.shape
    K = W_out.shape[1]
    g[:] = 0.0
    vr[:] = 0.0
    has_cur = _current_drive(W_in, cur, b, drive)
    for j in range(H):
        C[b, j] = 0.0
    for t in range(n_steps):
        kt = kappa[t]
        for j in range(H):
            v = beta * vr[j] + c * g[j]
            g[j] *= alpha
            V[t, j] = v
            s = _spike(v - v_th, gamma, smooth)
            vr[j] = v - s * (v - v_reset)
            C[b, j] += kt * s
        row = b * n_steps + t
        for e in range(ptr[row], ptr[row + 1]):
            i = idx[e]
            for j in range(H):
                g[j] += W_in[i, j]
        if has_cur:
            for j in range(H):
                g[j] += drive[j]
    for k in range(K):
        acc = b_out[k]
        for j in range(H):
            acc += C[b, j] * W_out[j, k]
        logits[b, k] = acc


@njit(cache=True, fastmath=_FASTMATH)
def forward(W_in, W_out, b_out, ptr, idx, cur, alpha, beta, c, v_th, v_reset, gamma, smooth,
            kappa, V, C, logits):
    """Simulate a batch; fills ``V`` (B, T, H) membrane potentials (before reset),
    ``C`` (B, H) kappa-weighted spike counts and ``logits`` (B, K). ``cur`` (B, n_aff) are
    per-step input currents (``CURRENT``), or (B, 0) for none."""
    B, n_steps, H = V.shape
    g = np.empty(H)
    vr = np.empty(H)
    drive = np.empty(H)
    for b in range(B):
        _forward_sample(W_in, W_out, b_out, ptr, idx, cur, b, alpha, beta, c, v_th, v_reset,
                        gamma, smooth, kappa, V[b], C, logits, g, vr, drive)


@njit(cache=True, fastmath=_FASTMATH)
def _backward_sample(W_in, W_out, ptr, idx, cur, b, alpha, beta, c, v_th, v_reset, gamma,
                     smooth, detach_reset, kappa, V, C, dlogits, gW_in, gW_out, gb, e, Vn, Gn,
                     Gsum):
    """Add sample ``b``'s share of the gradients of :func:`backward` (``V`` (T, H): its
    membrane potentials); ``e``, ``Vn``, ``Gn``, ``Gsum`` (H,) are scratch."""
    n_steps, H = V.shape
    K = W_out.shape[1]
    n_cur = cur.shape[1]
    for k in range(K):
        gb[k] += dlogits[b, k]
    for j in range(H):
        acc = 0.0
        for k in range(K):
            gW_out[j, k] += C[b, j] * dlogits[b, k]
            acc += W_out[j, k] * dlogits[b, k]
        e[j] = acc
    Vn[:] = 0.0
    Gn[:] = 0.0
    Gsum[:] = 0.0
    for t in range(n_steps - 1, -1, -1):
        kt = kappa[t]
        for j in range(H):
            v = V[t, j]
            x = v - v_th
            s = _spike(x, gamma, smooth)
            vrbar = beta * Vn[j]
            Gn[j] = alpha * Gn[j] + c * Vn[j]
            sbar = kt * e[j]
            if not detach_reset:
                sbar -= vrbar * (v - v_reset)
            Vn[j] = vrbar * (1.0 - s) + sbar * _surrogate(x, gamma)
        row = b * n_steps + t
        for q in range(ptr[row], ptr[row + 1]):
            i = idx[q]
            for j in range(H):
                gW_in[i, j] += Gn[j]
        if n_cur > 0:
            for j in range(H):
                Gsum[j] += Gn[j]
    for i in range(n_cur):
        xi = cur[b, i]
        if xi != 0.0:
            for j in range(H):
                gW_in[i, j] += xi * Gsum[j]


@njit(cache=True, fastmath=_FASTMATH)
def backward(W_in, W_out, ptr, idx, cur, alpha, beta, c, v_th, v_reset, gamma, smooth,
             detach_reset, kappa, V, C, dlogits, gW_in, gW_out, gb):
    """BPTT of :func:`forward` (module docstring); overwrites the three gradients."""
    B, n_steps, H = V.shape
    gW_in[:, :] = 0.0
    gW_out[:, :] = 0.0
    gb[:] = 0.0
    e = np.empty(H)
    Vn = np.empty(H)
    Gn = np.empty(H)
    Gsum = np.empty(H)
    for b in range(B):
        _backward_sample(W_in, W_out, ptr, idx, cur, b, alpha, beta, c, v_th, v_reset, gamma,
                         smooth, detach_reset, kappa, V[b], C, dlogits, gW_in, gW_out, gb, e,
                         Vn, Gn, Gsum)


@njit(cache=True)
def _xent_row(logits, y, dlogits, b, B):
    """Row ``b`` of :func:`softmax_xent` in a batch of ``B``: fills ``dlogits[b]``; returns
    its cross-entropy and whether its arg-max is ``y[b]``."""
    K = logits.shape[1]
    mx = logits[b, 0]
    best = 0
    for k in range(1, K):
        if logits[b, k] > mx:
            mx = logits[b, k]
            best = k
    z = 0.0
    for k in range(K):
        z += math.exp(logits[b, k] - mx)
    lse = mx + math.log(z)
    yb = y[b]
    for k in range(K):
        dlogits[b, k] = math.exp(logits[b, k] - lse) / B
    dlogits[b, yb] -= 1.0 / B
    return lse - logits[b, yb], best == yb


@njit(cache=True)
def softmax_xent(logits, y, dlogits):
    """Mean cross-entropy of ``softmax(logits)`` against class indices ``y``; fills
    ``dlogits = (softmax - onehot) / B``; returns ``(loss, n_correct)`` (arg-max, ties to
    the first class)."""
    B = logits.shape[0]
    total = 0.0
    correct = 0
    for b in range(B):
        term, hit = _xent_row(logits, y, dlogits, b, B)
        total += term
        if hit:
            correct += 1
    return total / B, correct


# --------------------------------------------------------------------------- inference


@njit(cache=True, fastmath=_FASTMATH)
def predict(W_in, W_out, b_out, code, drive, phases, seeds, dt_s, alpha, beta, c, v_th,
            v_reset, kappa, logits, C, counts, n_aff_spikes):
    """Forward pass of every row of ``drive`` (n, n_aff) in the input code ``code``
    (:func:`events`; one phase per afferent, ``phases`` (n_aff,), for ``REGULAR``; the
    row's seed ``seeds[r]`` for ``POISSON``), without storing the membrane trace. Fills
    ``logits`` (n, K), the kappa-weighted counts ``C`` (n, H), the hidden spike ``counts``
    (n, H) and ``n_aff_spikes`` (n,) (0 for ``CURRENT``)."""
    n = drive.shape[0]
    n_steps = kappa.shape[0]
    H = W_in.shape[1]
    K = W_out.shape[1]
    one = np.zeros(1, dtype=np.int64)
    ph = phases.reshape(1, -1)
    zero = np.zeros(1, dtype=np.int64)
    g = np.empty(H)
    vr = np.empty(H)
    dcur = np.empty(H)
    for r in range(n):
        one[0] = r
        ptr, idx, cur = events(code, drive, one, ph, zero, seeds, dt_s, n_steps)
        has_cur = _current_drive(W_in, cur, 0, dcur)
        n_aff_spikes[r] = ptr[-1]
        g[:] = 0.0
        vr[:] = 0.0
        for j in range(H):
            C[r, j] = 0.0
            counts[r, j] = 0.0
        for t in range(n_steps):
            kt = kappa[t]
            for j in range(H):
                v = beta * vr[j] + c * g[j]
                g[j] *= alpha
                s = 1.0 if v > v_th else 0.0
                vr[j] = v - s * (v - v_reset)
                C[r, j] += kt * s
                counts[r, j] += s
            for e in range(ptr[t], ptr[t + 1]):
                i = idx[e]
                for j in range(H):
                    g[j] += W_in[i, j]
            if has_cur:
                for j in range(H):
                    g[j] += dcur[j]
        for k in range(K):
            acc = b_out[k]
            for j in range(H):
                acc += C[r, j] * W_out[j, k]
            logits[r, k] = acc


# --------------------------------------------------------------------------- training


@njit(cache=True)
def unpack(theta, scales, n_aff, H, K, W_in, W_out, b_out):
    """Effective weights from the flat normalised parameters: ``theta`` holds
    ``[theta_in (n_aff x H, row-major), theta_out (H x K), theta_b (K)]`` and
    ``W_in = scales[0] theta_in``, ``W_out = scales[1] theta_out``, ``b = scales[2] theta_b``
    (Adam then steps all three in units of their initial spread)."""
    pos = 0
    for i in range(n_aff):
        for j in range(H):
            W_in[i, j] = scales[0] * theta[pos]
            pos += 1
    for j in range(H):
        for k in range(K):
            W_out[j, k] = scales[1] * theta[pos]
            pos += 1
    for k in range(K):
        b_out[k] = scales[2] * theta[pos]
        pos += 1


@njit(cache=True)
def adam_unpack(theta, gW_in, gW_out, gb, scales, m, v, step, lr, W_in, W_out, b_out):
    """One Adam step of the flat normalised parameters (layout of :func:`unpack`) from the
    gradients of the effective weights, and the new effective weights, in one pass:
    the gradient of ``theta`` is ``scales * g`` (``g`` the effective weight's), updated by
    the MLP's Adam (:func:`brainlearn.mlp._kernels.adam_update`, Keras' defaults), then
    ``W = scales * theta`` as :func:`unpack` computes it. The same numbers as packing the
    gradient, ``adam_step`` and ``unpack``, with one pass over the arrays instead of
    three."""
    alpha = adam_alpha(lr, step, ADAM_BETA1, ADAM_BETA2)
    pos = 0
    for i in range(gW_in.shape[0]):
        for j in range(gW_in.shape[1]):
            W_in[i, j] = scales[0] * adam_update(theta, m, v, pos, scales[0] * gW_in[i, j],
                                                 alpha, ADAM_BETA1, ADAM_BETA2, ADAM_EPS)
            pos += 1
    for j in range(gW_out.shape[0]):
        for k in range(gW_out.shape[1]):
            W_out[j, k] = scales[1] * adam_update(theta, m, v, pos, scales[1] * gW_out[j, k],
                                                  alpha, ADAM_BETA1, ADAM_BETA2, ADAM_EPS)
            pos += 1
    for k in range(gb.shape[0]):
        b_out[k] = scales[2] * adam_update(theta, m, v, pos, scales[2] * gb[k], alpha,
                                           ADAM_BETA1, ADAM_BETA2, ADAM_EPS)
        pos += 1


@njit(cache=True)
def train_epoch(theta, scales, n_aff, H, K, code, drive, y, order, phases, seeds, batch_size,
                dt_s, alpha, beta, c, v_th, v_reset, gamma, detach_reset, kappa, lr, m, v,
                step):
    """One pass over ``order`` in minibatches: input (:func:`events`), forward, loss, BPTT,
    Adam step.

    ``drive`` (n, n_aff) is the code's drive of the training rows; ``phases`` (n, n_aff)
    (``REGULAR``) and ``seeds`` (n,) (``POISSON``) are this epoch's phases and seeds of
    the training rows (row ``r`` of ``drive`` uses ``phases[r]``, ``seeds[r]``). Updates
    ``theta``, the Adam moments ``m``, ``v`` in place.

    Returns
    -------
    status : OK or DIVERGED (NaN/inf loss or parameter; training stops there)
    step : the Adam step count after the epoch
    loss, accuracy : means over the epoch's minibatches (sample-weighted), each measured
        before that minibatch's update
    """
    n = order.shape[0]
    n_steps = kappa.shape[0]
    W_in = np.empty((n_aff, H))
    W_out = np.empty((H, K))
    b_out = np.empty(K)
    gW_in = np.empty((n_aff, H))
    gW_out = np.empty((H, K))
    gb = np.empty(K)
    Bmax = min(batch_size, n)
    V = np.empty((n_steps, H))  # one sample's membrane trace at a time
    C = np.empty((Bmax, H))
    g = np.empty(H)
    vr = np.empty(H)
    dcur = np.empty(H)
    e = np.empty(H)
    Vn = np.empty(H)
    Gn = np.empty(H)
    Gsum = np.empty(H)
    logits = np.empty((Bmax, K))
    dlogits = np.empty((Bmax, K))
    ybatch = np.empty(Bmax, dtype=np.int64)
    total_loss = 0.0
    total_correct = 0
    unpack(theta, scales, n_aff, H, K, W_in, W_out, b_out)  # then kept by adam_unpack
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        B = stop - start
        rows = order[start:stop]
        for b in range(B):
            ybatch[b] = y[rows[b]]
        ptr, idx, cur = events(code, drive, rows, phases, rows, seeds, dt_s, n_steps)
        # forward, loss and backward of one sample after the other: the loss of a sample
        # needs only its own logits, so its backward pass can follow its forward pass
        # while its membrane trace V (T x H) is still in the cache; every sum is taken in
        # the order of forward(), softmax_xent() and backward() over the whole batch
        gW_in[:, :] = 0.0
        gW_out[:, :] = 0.0
        gb[:] = 0.0
        total = 0.0
        correct = 0
        for b in range(B):
            _forward_sample(W_in, W_out, b_out, ptr, idx, cur, b, alpha, beta, c, v_th,
                            v_reset, gamma, False, kappa, V, C, logits, g, vr, dcur)
            term, hit = _xent_row(logits, ybatch, dlogits, b, B)
            total += term
            if hit:
                correct += 1
            _backward_sample(W_in, W_out, ptr, idx, cur, b, alpha, beta, c, v_th, v_reset,
                             gamma, False, detach_reset, kappa, V, C, dlogits, gW_in, gW_out,
                             gb, e, Vn, Gn, Gsum)
        loss = total / B
        if not math.isfinite(loss):
            return DIVERGED, step, np.nan, np.nan
        total_loss += loss * B
        total_correct += correct
        step += 1
        adam_unpack(theta, gW_in, gW_out, gb, scales, m, v, step, lr, W_in, W_out, b_out)
    for k in range(theta.shape[0]):
        if not math.isfinite(theta[k]):
            return DIVERGED, step, np.nan, np.nan
    return OK, step, total_loss / n, total_correct / n
