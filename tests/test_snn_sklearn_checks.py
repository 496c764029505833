"""scikit-learn's estimator checks on a tiny SpikingClassifier in runtime mode (slow: about
50 fits in Brian2's numpy target, some 5 minutes on an idle 2-core machine).

The spiking classifier is stochastic (seeded), slow to fit and encodes inputs in [0, 1];
the checks it cannot reasonably pass are listed in :data:`EXPECTED_FAILED` with the reason.
"""

from __future__ import annotations

import pytest

brian2 = pytest.importorskip("brian2")

from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from brainlearn.snn.model import SpikingClassifier  # noqa: E402


def tiny() -> SpikingClassifier:
    """A few neurons, short presentations, one pass: the checks fit it dozens of times."""
    return SpikingClassifier(
        n_hidden=4, n_per_feature=2, n_per_class=1, chunk_size=64, min_presentations=0,
        network_params={"presentation_ms": 5.0, "w_in_mv": 60.0, "w_out_mv": 200.0},
        backend="runtime", random_state=0,
    )


_OUTSIDE = (
    "the check's data has no value in [0, 1] (e.g. every value near 100 or above 1), and the "
    "spiking model, whose encoder covers [0, 1], refuses such data with a ValueError that "
    "tells the user to scale the features"
)
_ACCURACY = (
    "needs > 0.83 training accuracy on standardised blobs: values outside [0, 1] are clipped "
    "by the encoder and this tiny network (4 hidden neurons, 5 ms presentations, one pass) is "
    "not that accurate"
)

#: check name -> why the spiking classifier does not pass it (measured: the other 45 checks
#: pass; two are skipped by scikit-learn itself, array-API and pandas input)
EXPECTED_FAILED: dict[str, str] = {
    "check_classifiers_train": _ACCURACY,
    "check_classifiers_train(readonly_memmap=True)": _ACCURACY,
    "check_classifiers_train(readonly_memmap=True,X_dtype=float32)": _ACCURACY,
    "check_methods_subset_invariance": _OUTSIDE,
    "check_fit2d_1feature": _OUTSIDE + " before the one-feature error the check looks for",
    "check_fit_idempotent": _OUTSIDE,
    "check_fit_check_is_fitted": _OUTSIDE,
    "check_n_features_in": _OUTSIDE,
}


# tiny networks in runtime mode, numpy target (no compilation): the shared conftest fixture
pytestmark = pytest.mark.usefixtures("numpy_runtime")


@pytest.mark.slow
@parametrize_with_checks([tiny()], expected_failed_checks=lambda est: EXPECTED_FAILED)
def test_sklearn_estimator_checks(estimator, check):
    if getattr(check, "func", check).__name__ == "check_classifiers_train":
        # known to fail (see EXPECTED_FAILED) and 10 s a variant: an xfail that is not
        # strict would not fail the suite if it passed, so running it tells nothing
        pytest.xfail(_ACCURACY + " (not run)")
    check(estimator)
