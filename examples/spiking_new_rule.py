"""
A new learning rule as a rule object
====================================

A plasticity rule of the spiking network is a small object that yields Brian2 code
(:mod:`brainlearn.snn.plasticity`): it knows nothing about the network around it. The
network gives every rule the presynaptic and postsynaptic spike counts of the current
presentation (``count_pre``, ``count_post``) and a ``learn_post`` flag (0 during
prediction); the rule declares its constants (shared variables: a compiled network takes
new values without recompiling) and its code.

Here: a covariance rule applied once at the end of every presentation,

.. math:: \\Delta w = \\eta \\,(y - \\bar y)(x - \\bar x),\\quad
          x = n_{pre}/x_{ref},\\ y = n_{post}/y_{ref},

clipped to [0, w_max]. Registering it under a name makes it usable as ``hidden_rule`` or
``readout_rule`` of :class:`~brainlearn.SpikingClassifier`.

*Not executed when the documentation is built*: the fit at the end builds a Brian2
network (in C++ standalone mode, 5-15 s per network shape the first time). Run it with
``python examples/spiking_new_rule.py``.
"""

from dataclasses import dataclass

from brainlearn import SpikingClassifier, load_task
from brainlearn.snn.params import MAX_SCALE, check_range, params_dict
from brainlearn.snn.plasticity import RULES, PlasticityRule


@dataclass(frozen=True)
class CovarianceParams:
    """Constants of the rule (checked: a value out of range is a ValueError naming it)."""

    eta: float = 0.02
    x_mean: float = 0.5
    y_mean: float = 0.5
    x_ref: float = 5.0
    y_ref: float = 5.0
    w_max: float = 1.0

    def __post_init__(self):
        check_range(self, "eta", ge=0, le=MAX_SCALE)
        for name in ("x_ref", "y_ref", "w_max"):
            check_range(self, name, gt=0, le=MAX_SCALE)


class Covariance(PlasticityRule):
    """Covariance rule on the spike counts of each presentation (Sejnowski 1977)."""

    name = "covariance"
    params_class = CovarianceParams
    end_code = """
        dw = learn_post * eta * (count_post / y_ref - y_mean) * (count_pre / x_ref - x_mean)
        w = clip(w + dw, 0, w_max)
        """

    def parameters(self):
        return params_dict(self.params)  # every constant, by its field name


rule = Covariance(eta=0.05)
print(rule.describe())
print("synapse model:", rule.model)

# %%
# Registered, the rule is a name the estimator (and a spec's ``params``) accepts; its
# parameters are overridden like those of the shipped rules.
RULES[Covariance.name] = Covariance

split = load_task("xor", n_train=400, n_test=400, seed=0)
model = SpikingClassifier(hidden_rule="covariance", hidden_rule_params={"eta": 0.05},
                          readout_rule="delta", n_hidden=50, random_state=0)
model.fit(split.X_train, split.y_train)
print(f"test accuracy with the covariance rule: {model.score(split.X_test, split.y_test):.3f}")
