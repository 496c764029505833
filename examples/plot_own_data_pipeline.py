"""
Your own data, in a scikit-learn Pipeline
=========================================

Every brainlearn estimator is a scikit-learn classifier, so it goes into a
:class:`~sklearn.pipeline.Pipeline` and through :func:`~sklearn.model_selection.cross_val_score`
like any other. The spiking models expect inputs in [0, 1] (their receptive fields tile
that interval; they warn when more than 1 % of the values lie outside): scale with
:class:`~sklearn.preprocessing.MinMaxScaler` first. Here: the wine data set, 3 classes,
13 features.
"""

import os

from sklearn.datasets import load_wine
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from brainlearn import MLPClassifier, SurrogateSpikingClassifier

tiny = os.environ.get("BRAINLEARN_DOCS_TINY") == "1"
X, y = load_wine(return_X_y=True)

models = {
    "MLP (backprop)": MLPClassifier(hidden_layer_sizes=(32,), learning_rate=5e-3,
                                    epochs=20 if tiny else 200, random_state=0),
    "spiking (surrogate gradients)": SurrogateSpikingClassifier(
        n_hidden=32 if tiny else 100, epochs=2 if tiny else 20, random_state=0),
}
for name, model in models.items():
    pipe = make_pipeline(MinMaxScaler(clip=True), model)
    acc = cross_val_score(pipe, X, y, cv=3)
    print(f"{name:30s} 3-fold accuracy {acc.mean():.3f} (folds: {acc.round(3)})")

# %%
# Only the estimator changes: ``SpikingClassifier(encoding="rate")`` (plastic synapses,
# Brian2) and the registry's configurations (``brainlearn.make_model("snn-dc2015")``)
# go in the same place.
