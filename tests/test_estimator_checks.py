"""scikit-learn's estimator checks over AutoMetaClassifier."""

from __future__ import annotations

from sklearn.utils.estimator_checks import parametrize_with_checks

from autometa import AutoMetaClassifier


def _fast():
    return AutoMetaClassifier(
        time_budget=60,
        n_trials=2,
        cv=2,
        families=["logistic_regression", "lightgbm"],
        prior=None,
        random_state=0,
        fewshot=False,
        isolation="none",
    )


EXPECTED_FAILURES: dict[str, str] = {}


@parametrize_with_checks([_fast()], expected_failed_checks=lambda est: EXPECTED_FAILURES)
def test_sklearn_compatible(estimator, check):
    check(estimator)
