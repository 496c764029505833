# ruff: noqa -- the screening scripts as they were run (see README.md here)
import json, sys, numpy as np
rng = np.random.default_rng(int(sys.argv[1]))
cfgs = {}
for t in range(int(sys.argv[2])):
    lu = lambda a, b: float(np.exp(rng.uniform(np.log(a), np.log(b))))
    rate = float(rng.choice([200.0, 600.0]))
    net = {"poisson_input": False, "min_hidden_spikes": 1, "rate_max_hz": rate,
           "w_in_mv": lu(40, 150) * 200.0 / rate, "w_ie_mv": lu(10, 60), "theta_plus_mv": lu(0.2, 2.0),
           "target_spikes": lu(5, 30), "tau_m_ms": lu(20, 100), "w_in_norm": lu(0.05, 0.2),
           "k_winners": int(rng.choice([0, 0, 3, 10]))}
    hid = {"eta_pot": lu(0.001, 0.01), "x_tar": lu(0.1, 0.5), "eta_dep": lu(1e-5, 1e-3)}
    cfgs[f"q{sys.argv[1]}_{t}"] = {"network_params": net, "hidden_rule_params": hid}
print(json.dumps(cfgs))
