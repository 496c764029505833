"""Energy per inference from operation counts and published per-operation energies.

These are operation-only estimates: they count the arithmetic (a multiply-accumulate
of the MLP, a synaptic event of the spiking network) and leave out memory traffic,
which dominates on real hardware (Horowitz 2014: a 32-bit DRAM read costs ~640 pJ).
They compare orders of magnitude, not chips.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["ENERGY_PJ", "ENERGY_SOURCES", "energy_per_sample_pj", "energy_caption"]

#: energy per operation in picojoules
ENERGY_PJ = {
    # 32-bit floating-point multiply (3.7 pJ) + add (0.9 pJ), 45 nm CMOS
    "mac": 4.6,
    # one synaptic spike operation on Intel Loihi (minimum energy per synaptic op)
    "synaptic_event": 23.6,
}

#: where the numbers in ENERGY_PJ come from
ENERGY_SOURCES = {
    "mac": (
        "M. Horowitz, 'Computing's energy problem (and what we can do about it)', "
        "ISSCC 2014: 32-bit float multiply 3.7 pJ + add 0.9 pJ = 4.6 pJ per MAC (45 nm)"
    ),
    "synaptic_event": (
        "M. Davies et al., 'Loihi: a neuromorphic manycore processor with on-chip learning', "
        "IEEE Micro 38(1), 2018: 23.6 pJ per synaptic spike operation "
        "(TrueNorth, Merolla et al., Science 2014: 26 pJ per synaptic event)"
    ),
}


def energy_per_sample_pj(family: str, ops: Mapping[str, float]) -> float | None:
    """Estimated energy of one inference in pJ, or None without operation counts."""
    if "macs" in ops and ops["macs"] is not None:
        return float(ops["macs"]) * ENERGY_PJ["mac"]
    if "synaptic_events" in ops and ops["synaptic_events"] is not None:
        return float(ops["synaptic_events"]) * ENERGY_PJ["synaptic_event"]
    return None


def energy_caption() -> str:
    return (
        f"Energy = operations x energy per operation, arithmetic only (no memory traffic). "
        f"MAC {ENERGY_PJ['mac']} pJ: {ENERGY_SOURCES['mac']}. Synaptic event "
        f"{ENERGY_PJ['synaptic_event']} pJ: {ENERGY_SOURCES['synaptic_event']}."
    )
