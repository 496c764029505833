"""
Reading spikes
==============

A spiking model records the spike trains of a few samples with ``record_spikes``: per
population, the neuron index ``i`` and time ``t_ms`` of every spike (samples presented one
after another, as in ``predict``) and the population size ``n``. The same call works on
:class:`~brainlearn.SpikingClassifier` (Brian2, plastic synapses) and on
:class:`~brainlearn.SurrogateSpikingClassifier` (used here: it needs no compiler).
:mod:`brainlearn.plot` draws them, and what changed while the model learned.
"""

import os

import matplotlib.pyplot as plt
import numpy as np

from brainlearn import SurrogateSpikingClassifier, load_task, plot

tiny = os.environ.get("BRAINLEARN_DOCS_TINY") == "1"
split = load_task("xor", n_train=200 if tiny else 1000, n_test=200, seed=0)
model = SurrogateSpikingClassifier(n_hidden=32, epochs=2 if tiny else 10, random_state=0)
model.fit(split.X_train, split.y_train, eval_set=(split.X_test, split.y_test))

spikes = model.record_spikes(split.X_test[:3])
for pop, d in spikes.items():
    rate = len(d["i"]) / d["n"] / (3 * model.presentation_ms_ / 1000)
    print(f"{pop:12s} {d['n']:4d} neurons, {len(d['i']):5d} spikes, {rate:6.1f} Hz on average")

# %%
# Spike counts per sample and neuron, e.g. to build your own readout:
counts = np.zeros((3, spikes["hidden"]["n"]), dtype=int)
sample = (spikes["hidden"]["t_ms"] // model.presentation_ms_).astype(int)
np.add.at(counts, (sample, spikes["hidden"]["i"]), 1)
print("hidden neurons active per sample:", (counts > 0).sum(axis=1))

# %%
# The raster before and after learning, the learning curve, the weights and the hidden
# units' receptive fields over the input square:
fig, axes = plt.subplots(2, 3, figsize=(13, 6.5))
plot.spike_raster(model, split.X_test[:3], y=split.y_test[:3], trained=False, ax=axes[0, 0])
axes[0, 0].set_title("before learning", pad=11)
plot.spike_raster(model, split.X_test[:3], y=split.y_test[:3], ax=axes[0, 1])
axes[0, 1].set_title("after learning", pad=11)
plot.learning_curves(model, ax=axes[0, 2])
plot.weight_evolution(model, "afferent->hidden", ax=axes[1, 0])
plot.weight_evolution(model, "hidden->efferent", ax=axes[1, 1])
plot.receptive_fields(model, units=16, ax=axes[1, 2])
fig.tight_layout()
