"""brainlearn.plot: the public plots of a model fitted in one's own code, each returning the
axes it drew into. Non-spiking models and the test models (fake spiking capabilities, no
Brian2)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from brainlearn import MLPClassifier, plot  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _xor(n=120, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, 2))
    return X, ((X[:, 0] > 0.5) ^ (X[:, 1] > 0.5)).astype(int)


@pytest.fixture(scope="module")
def spiking():
    from conftest import registered_test_models

    with registered_test_models() as tm:
        X, y = _xor()
        yield tm.SpikingPrototypeClassifier(n_prototypes=9, epochs=3, random_state=0).fit(
            X, y, eval_set=(X[:40], y[:40])), X, y


@pytest.fixture(scope="module")
def mlp():
    X, y = _xor()
    return MLPClassifier(hidden_layer_sizes=(8,), epochs=5, random_state=0).fit(
        X, y, eval_set=(X[:40], y[:40])), X, y


def test_spike_raster_draws_every_population_into_the_given_axes(spiking):
    model, X, y = spiking
    fig, ax = plt.subplots()
    out = plot.spike_raster(model, X[:3], y=y[:3], ax=ax)
    assert out is ax
    spikes = model.record_spikes(X[:3])
    drawn = sum(len(c.get_offsets()) for c in ax.collections)
    assert drawn == sum(len(d["i"]) for d in spikes.values())
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert [lab.split("\n")[0] for lab in labels] == ["afferent", "hidden", "efferent"]
    assert ax.get_xlim() == pytest.approx((0, 3 * model.presentation_ms_))
    assert [t.get_text() for t in ax.texts] == [f"y={v}" for v in y[:3]]


def test_spike_raster_makes_a_figure_without_axes_and_draws_untrained_networks(spiking):
    model, X, _ = spiking
    ax = plot.spike_raster(model, X[:2], trained=False)
    assert isinstance(ax, matplotlib.axes.Axes)
    ax2 = plot.spike_raster(model, X[:2], populations=("hidden",))
    assert [t.get_text().split("\n")[0] for t in ax2.get_yticklabels()] == ["hidden"]


def test_a_model_without_the_capability_is_told_what_it_lacks(mlp):
    model, X, _ = mlp
    with pytest.raises(TypeError, match="record_spikes"):
        plot.spike_raster(model, X[:2])
    with pytest.raises(TypeError, match="weight_history_"):
        plot.weight_evolution(model)


def test_learning_curves_draw_train_and_eval_accuracy_against_samples_seen(mlp):
    model, _, _ = mlp
    ax = plot.learning_curves(model)
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"train accuracy", "eval accuracy"}
    np.testing.assert_array_equal(lines["eval accuracy"].get_xdata(),
                                  model.history_["samples_seen"])
    np.testing.assert_array_equal(lines["eval accuracy"].get_ydata(),
                                  model.history_["eval_accuracy"])
    ax = plot.learning_curves(model, metrics=["loss"])
    assert [line.get_label() for line in ax.get_lines()] == ["loss"]
    with pytest.raises(ValueError, match="no curve"):
        plot.learning_curves(model, metrics=["nothing"])


def test_weight_evolution_one_histogram_per_checkpoint_plus_the_initial_one(spiking):
    model, _, _ = spiking
    fig, ax = plt.subplots()
    assert plot.weight_evolution(model, "hidden->efferent", bins=12, ax=ax) is ax
    assert len(ax.get_lines()) == 1 + len(model.weight_history_)
    assert ax.get_title() == "hidden->efferent"
    with pytest.raises(ValueError, match="unknown projection"):
        plot.weight_evolution(model, "nowhere")


def test_receptive_fields_of_a_2d_model_tile_the_most_varied_units(mlp):
    model, _, _ = mlp
    ax = plot.receptive_fields(model, units=4, grid=11)
    (img,) = ax.get_images()
    arr = np.asarray(img.get_array(), dtype=float)
    assert arr.shape == (2 * 12 - 1, 2 * 12 - 1)  # 2 x 2 tiles of 11 x 11 and a gap
    assert len(ax.units_shown) == 4
    assert np.nanmax(arr) == pytest.approx(1.0)


def test_receptive_fields_of_images_are_response_weighted_averages():
    """One unit that responds only to images with the top-left pixel on: its tile is the
    mean of those images minus the overall mean (scaled to its largest magnitude)."""

    class OnePixel:
        n_features_in_ = 16

        def hidden_response(self, X):
            return np.column_stack([X[:, 0], np.zeros(len(X))])

    rng = np.random.default_rng(1)
    X = (rng.random((50, 16)) > 0.5).astype(float)
    ax = plot.receptive_fields(OnePixel(), X)
    (img,) = ax.get_images()
    tile = np.asarray(img.get_array(), dtype=float)
    expect = X[X[:, 0] > 0].mean(0) - X.mean(0)
    np.testing.assert_allclose(tile, (expect / np.abs(expect).max()).reshape(4, 4))
    assert ax.units_shown == [0]  # the silent unit is left out
    with pytest.raises(ValueError, match="need the inputs"):
        plot.receptive_fields(OnePixel())
