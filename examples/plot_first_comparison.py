"""
A first comparison
==================

Four configurations from the registry on the same XOR split and seed: the classic Keras
MLP, a wider MLP, a spiking network trained by surrogate gradients and the non-spiking
twin of the spiking hidden layer. (The Brian2 networks with plastic synapses, such as
``snn-stdp``, take the same three lines; they compile a C++ program the first time.)
"""

import os

import matplotlib.pyplot as plt

from brainlearn import load_task, make_model

tiny = os.environ.get("BRAINLEARN_DOCS_TINY") == "1"
split = load_task("xor", n_train=200 if tiny else 1000, n_test=200 if tiny else 1000, seed=0)
fast = {"mlp-seed": {"epochs": 10}, "mlp-wide": {"epochs": 20},
        "snn-surrogate": {"epochs": 2, "n_hidden": 32}} if tiny else {}

scores = {}
for name in ["mlp-seed", "mlp-wide", "snn-surrogate", "ref-kmeans"]:
    model = make_model(name, random_state=0, **fast.get(name, {}))
    model.fit(split.X_train, split.y_train)
    scores[name] = model.score(split.X_test, split.y_test)
    print(f"{name:14s} test accuracy {scores[name]:.3f}")

fig, ax = plt.subplots(figsize=(5, 2.5))
ax.barh(list(scores), list(scores.values()), color="#6baed6")
ax.axvline(0.5, color="k", ls=":", label="chance")
ax.set_xlabel("test accuracy on xor")
ax.set_xlim(0, 1)
ax.legend()
fig.tight_layout()
