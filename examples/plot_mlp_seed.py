"""
The seed's Keras example, reproduced
====================================

The example brainlearn started from: a 2-5-1 network (relu hidden units, one sigmoid
output), Adam with learning rate 1e-3, binary cross-entropy, 100 epochs of batches of 32,
on ``X = rand(1000, 2)`` with labels ``round(rand(1000))`` -- independent of ``X``, so
about 0.5 test accuracy is the right answer. ::

    model = Sequential([Dense(5, activation="relu", input_dim=2),
                        Dense(1, activation="sigmoid")])
    model.compile(optimizer=Adam(1e-3), loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(X, y, epochs=100, batch_size=32)

The registry's ``mlp-seed`` is that configuration (Keras' Glorot-uniform init, zero
biases, Keras' form of Adam's bias correction), in Numba kernels. On the random labels it
scores chance; on a learnable task it learns what five hidden units can.
"""

import os

import matplotlib.pyplot as plt

from brainlearn import load_task, make_model, make_task, plot

tiny = os.environ.get("BRAINLEARN_DOCS_TINY") == "1"
epochs = {"epochs": 10} if tiny else {}

X, y = make_task("seed-random", 1000, seed=0)
X_new, y_new = make_task("seed-random", 100, seed=10_000)
model = make_model("mlp-seed", random_state=0, **epochs).fit(X, y)
print(f"seed-random: test accuracy {model.score(X_new, y_new):.3f} (chance: 0.5)")

split = load_task("moons", n_train=1000, n_test=1000, seed=0)
moons = make_model("mlp-seed", random_state=0, **epochs)
moons.fit(split.X_train, split.y_train, eval_set=(split.X_test, split.y_test))
print(f"moons:       test accuracy {moons.score(split.X_test, split.y_test):.3f}")

fig, axes = plt.subplots(1, 2, figsize=(9, 3))
plot.learning_curves(moons, ax=axes[0])
axes[0].set_title("mlp-seed on moons")
plot.receptive_fields(moons, units=5, ax=axes[1])
fig.tight_layout()
