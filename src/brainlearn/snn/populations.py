"""The populations of the spiking classifier and their parameters.

Four named neuron groups (Brian2 equations, current-based leaky integrate-and-fire, voltages
relative to rest, in mV):

``afferent``
    Poisson neurons: afferent ``i`` fires in a time step with probability
    ``rates(t, i) * dt``, the rates given by the receptive-field encoder per presentation
    (a 2-D ``TimedArray``). With ``poisson_input=False`` they fire regularly instead, at the
    same rates, from a random phase drawn at the start of each presentation (a phase
    variable integrates the rate and a spike is emitted each time it passes 1).
``interneuron``
    Excitatory LIF neurons with an adaptive threshold (homeostasis, Diehl & Cook 2015):

    .. math::

        \\tau_m \\frac{dv}{dt} = -v + g_e - g_i, \\quad
        \\tau_e \\frac{dg_e}{dt} = -g_e, \\quad \\tau_i \\frac{dg_i}{dt} = -g_i, \\quad
        \\tau_\\theta \\frac{d\\theta}{dt} = -\\ell\\,\\theta

    spike when :math:`v > v_{th} + \\theta`; then :math:`v \\leftarrow v_{reset}`,
    :math:`\\theta \\mathrel{+}= \\ell\\, \\theta_+` (:math:`\\ell` is the ``learn`` flag:
    the threshold is frozen during prediction).
``inhibitory``
    One inhibitory LIF neuron per interneuron, excited by its partner and inhibiting all
    other interneurons: soft winner-take-all competition (Diehl & Cook 2015).
``efferent``
    ``n_per_class`` LIF neurons per class. During supervised training a teacher current
    (``teacher_mv``) drives the labelled class and suppresses the other; there is none
    during prediction, and none at all with a reward-modulated readout. The two groups can
    inhibit each other (``w_lat_mv`` > 0), a winner-take-all at the output.

All groups count their spikes in ``count`` (reset at the start of each presentation) and
have a ``learn`` flag; the membrane and synaptic variables are reset at the start of each
presentation, which stands in for a rest period without simulating it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["NetworkParams"]


@dataclass(frozen=True)
class NetworkParams:
    """Every compiled-in constant of the network (units in the names)."""

    # time
    dt_ms: float = 0.5
    presentation_ms: float = 50.0
    # encoder
    n_per_feature: int = 16
    rate_max_hz: float = 200.0
    rate_min_hz: float = 0.0
    sigma_scale: float = 0.7
    poisson_input: bool = False  # False: regular spike trains with a random phase
    # populations
    n_hidden: int = 200
    n_per_class: int = 10
    # LIF
    tau_m_ms: float = 20.0
    tau_e_ms: float = 5.0
    tau_i_ms: float = 10.0
    v_th_mv: float = 15.0
    v_reset_mv: float = 0.0
    refractory_ms: float = 2.0
    # interneuron homeostasis
    theta_plus_mv: float = 0.5
    tau_theta_ms: float = 20000.0
    theta_max_mv: float = 40.0
    # synaptic scales: a weight w in [0, w_max] adds w * scale to g_e of the target
    w_in_mv: float = 20.0  # afferent -> interneuron, / (n_features * sigma_scale)
    w_ei_mv: float = 200.0  # interneuron -> its inhibitory partner
    w_ie_mv: float = 60.0  # inhibitory -> other interneurons
    w_out_mv: float = 80.0  # interneuron -> efferent
    w_lat_mv: float = 0.0  # efferent -> efferent of the other class (mutual inhibition)
    # efferent
    teacher_mv: float = 30.0
    suppress_mv: float = 30.0
    noise_mv: float = 2.0
    # initial weights of afferent -> interneuron: with init_from_data, interneuron j starts
    # from the receptive-field pattern of a randomly drawn training sample x_j,
    # w = w_max * (w_init_low + (w_init_high - w_init_low) * rates(x_j) / rate_max), like
    # the data-point initialisation of k-means (no labels used); otherwise uniform in
    # [w_init_low, w_init_high] * w_max. Readout weights: uniform in
    # [w_out_init_low, w_out_init_high] * w_max.
    init_from_data: bool = True
    w_init_low: float = 0.0
    w_init_high: float = 0.8
    w_out_init_low: float = 0.0
    w_out_init_high: float = 0.1
