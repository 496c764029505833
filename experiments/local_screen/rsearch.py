# ruff: noqa -- the screening scripts as they were run (see README.md here)
import json, sys, subprocess, numpy as np
rng = np.random.default_rng(int(sys.argv[1]))
cfgs = {}
for t in range(int(sys.argv[2])):
    lu = lambda a, b: float(np.exp(rng.uniform(np.log(a), np.log(b))))
    net = {"poisson_input": False, "min_hidden_spikes": 1,
           "w_in_mv": lu(40, 200), "w_ie_mv": lu(3, 60), "theta_plus_mv": lu(0.1, 2.0),
           "target_spikes": lu(2, 30), "tau_m_ms": lu(10, 60), "w_in_norm": lu(0.05, 0.25),
           "k_winners": int(rng.choice([0, 0, 3, 10]))}
    hid = {"eta_pot": lu(0.001, 0.03), "x_tar": lu(0.1, 0.8), "eta_dep": lu(1e-5, 1e-3)}
    cfgs[f"r{sys.argv[1]}_{t}"] = {"network_params": net, "hidden_rule_params": hid}
print(json.dumps(cfgs))
