"""Bad input gets an error in scikit-learn's style, never a traceback from deep inside."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from autometa import AutoMetaClassifier

FAST = dict(
    time_budget=30,
    n_trials=2,
    cv=2,
    prior=None,
    random_state=0,
    fewshot=False,
    isolation="none",
    families=["logistic_regression"],
)


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=60), "b": rng.choice(["u", "v"], 60)})
    y = np.array([0, 1] * 30)
    return X, y


def test_empty_X():
    with pytest.raises(ValueError, match="0 sample"):
        AutoMetaClassifier(**FAST).fit(np.empty((0, 3)), [])


def test_no_columns():
    with pytest.raises(ValueError, match="0 feature"):
        AutoMetaClassifier(**FAST).fit(np.empty((5, 0)), [0, 1, 0, 1, 0])


def test_length_mismatch(data):
    X, y = data
    with pytest.raises(ValueError, match="inconsistent numbers of samples.*60.*59"):
        AutoMetaClassifier(**FAST).fit(X, y[:-1])


def test_missing_labels(data):
    X, _ = data
    y = np.array(["a", "b"] * 30, dtype=object)
    y[3] = None
    with pytest.raises(ValueError, match="y contains NaN: 1 missing"):
        AutoMetaClassifier(**FAST).fit(X, y)


def test_single_class(data):
    X, _ = data
    with pytest.raises(ValueError, match="single class"):
        AutoMetaClassifier(**FAST).fit(X, np.zeros(60))


def test_continuous_target(data):
    X, _ = data
    with pytest.raises(ValueError, match="continuous"):
        AutoMetaClassifier(**FAST).fit(X, np.linspace(0, 1, 60))


def test_inf_in_X(data):
    X, y = data
    X = X.copy()
    X.loc[5, "a"] = np.inf
    with pytest.raises(ValueError, match="infinity in column 'a'"):
        AutoMetaClassifier(**FAST).fit(X, y)


def test_wrong_number_of_columns_at_predict(data):
    X, y = data
    clf = AutoMetaClassifier(**FAST).fit(X.to_numpy(), y)
    with pytest.raises(ValueError, match="X has 1 features, but .* expecting 2"):
        clf.predict(X.to_numpy()[:, :1])
    clf = AutoMetaClassifier(**FAST).fit(X, y)
    with pytest.raises(ValueError, match="missing:\n- b"):
        clf.predict(X[["a"]])


def test_different_column_names_at_predict(data):
    X, y = data
    clf = AutoMetaClassifier(**FAST).fit(X, y)
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(X.rename(columns={"b": "c"}))


@pytest.mark.parametrize("budget", [0, -3, float("nan"), "60", True])
def test_bad_time_budget(data, budget):
    X, y = data
    with pytest.raises(ValueError, match="'time_budget' parameter of AutoMetaClassifier must be"):
        AutoMetaClassifier(**{**FAST, "time_budget": budget}).fit(X, y)


def test_unknown_metric(data):
    X, y = data
    with pytest.raises(ValueError, match="'metric' parameter .* Got 'f1' instead"):
        AutoMetaClassifier(**{**FAST, "metric": "f1"}).fit(X, y)


def test_unknown_family(data):
    X, y = data
    with pytest.raises(ValueError, match="Unknown model families \\['xgb'\\]"):
        AutoMetaClassifier(**{**FAST, "families": ["xgb"]}).fit(X, y)


@pytest.mark.parametrize(
    "param,value",
    [("n_trials", 0), ("cv", 1), ("fewshot", "yes"), ("device", "tpu"), ("n_jobs", 0)],
)
def test_bad_params(data, param, value):
    X, y = data
    with pytest.raises(ValueError, match=f"'{param}' parameter"):
        AutoMetaClassifier(**{**FAST, param: value}).fit(X, y)


def test_sparse_input_rejected(data):
    from scipy import sparse

    _, y = data
    with pytest.raises(TypeError, match="Sparse input is not supported"):
        AutoMetaClassifier(**FAST).fit(sparse.random(60, 3, format="csr"), y)


def test_mixed_label_types(data):
    X, _ = data
    y = np.array(["a", 1] * 30, dtype=object)
    with pytest.raises(ValueError, match="mixed types"):
        AutoMetaClassifier(**FAST).fit(X, y)
