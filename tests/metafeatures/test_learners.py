"""The native landmarkers against sklearn and against direct computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.naive_bayes import GaussianNB
from sklearn.tree import DecisionTreeClassifier

from metafeatures import _cart as cart
from metafeatures._context import Context
from metafeatures._learners import Heom, lda, naive_bayes
from metafeatures._table import to_table


def _design(X, y):
    return Context(to_table(X, y), seed=0, max_rows=None, cv_folds=10).design


def _split(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    test = rng.random(n) < 0.3
    return np.flatnonzero(~test), np.flatnonzero(test)


@pytest.mark.parametrize("seed", range(8))
def test_cart_matches_sklearn_on_continuous_features(seed):
    # Continuous features: no two features tie, so the trees must be sklearn's.
    rng = np.random.default_rng(seed)
    n, d, k = int(rng.integers(20, 400)), int(rng.integers(1, 8)), int(rng.integers(2, 5))
    y = rng.integers(0, k, n)
    X = (rng.normal(size=(n, d)) + 0.7 * y[:, None] * rng.normal(size=d)).astype(np.float32)
    train, test = _split(n, rng)
    classes = np.unique(y[train])
    y_train = np.searchsorted(classes, y[train])
    for depth in (1, 2, 3):
        ours = cart.fit(X[train], y_train, classes.size, depth)
        node = ours.descend(X[test], 0, depth)[depth]
        theirs = DecisionTreeClassifier(max_depth=depth, random_state=0).fit(X[train], y_train)
        np.testing.assert_array_equal(
            np.argmax(ours.proba()[node], axis=1), theirs.predict(X[test])
        )
        np.testing.assert_allclose(ours.proba()[node], theirs.predict_proba(X[test]))


def test_cart_on_binary_features_finds_the_best_gini_split():
    rng = np.random.default_rng(1)
    X = rng.integers(0, 2, (300, 5)).astype(np.float32)
    y = ((X[:, 3] + (rng.random(300) < 0.1)) % 2).astype(np.intp)  # feature 3, 10% noise
    tree = cart.fit(X, y, 2, 1)
    assert tree.feature[0] == 3 and tree.threshold[0] == 0.5
    np.testing.assert_array_equal(tree.value[0], np.bincount(y, minlength=2))


def test_lda_matches_sklearn():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 4, 300)
    X = pd.DataFrame(rng.normal(size=(300, 6)) + y[:, None] * rng.normal(size=6))
    X[6] = X[0] * 2 - X[1]  # collinear column: the rank cut matters
    d = _design(X, y)
    train, test = _split(300, rng)
    pred, proba = lda(d, train, test, 4)
    ref = LinearDiscriminantAnalysis().fit(d.X[train], d.y[train])
    np.testing.assert_array_equal(pred, ref.predict(d.X[test]))
    np.testing.assert_allclose(proba, ref.predict_proba(d.X[test]), rtol=1e-6, atol=1e-9)


def test_naive_bayes_matches_gaussian_nb_and_ignores_missing_values():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 3, 200)
    X = pd.DataFrame(rng.normal(size=(200, 4)) + y[:, None])
    d = _design(X, y)
    train, test = _split(200, rng)
    pred, proba = naive_bayes(d, train, test, 3)
    ref = GaussianNB().fit(d.X[train], d.y[train])
    np.testing.assert_array_equal(pred, ref.predict(d.X[test]))
    np.testing.assert_allclose(proba, ref.predict_proba(d.X[test]), rtol=1e-8, atol=1e-12)
    # A missing value contributes nothing: same as fitting on the other columns only.
    X.iloc[test[:5], 2] = np.nan
    X["c"] = pd.Categorical(rng.choice(list("ab"), 200))
    X.loc[X.index[test[5:10]], "c"] = np.nan
    d = _design(X, y)
    pred, proba = naive_bayes(d, train, test, 3)
    rows = test[:5]
    keep = [0, 1, 3]
    ref = GaussianNB().fit(d.X[np.ix_(train, keep)], d.y[train])
    jll = ref.predict_joint_log_proba(d.X[np.ix_(rows, keep)])
    codes, nominal = d.codes[train, 0], d.codes[rows, 0]
    for c in range(3):
        in_c = d.y[train] == c
        p_level = (np.sum(codes[in_c] == nominal[:, None], axis=1) + 1) / (in_c.sum() + 2)
        jll[:, c] += np.log(p_level)
    expected = np.exp(jll - jll.max(axis=1, keepdims=True))
    np.testing.assert_allclose(proba[:5], expected / expected.sum(axis=1, keepdims=True))


def test_heom_distance():
    X = pd.DataFrame(
        {
            "a": [0.0, 1.0, 0.5, np.nan, 0.9],
            "b": [0.0, 10.0, 5.0, 2.0, np.nan],
            "c": pd.Categorical(["x", "y", None, "x", "y"]),
        }
    )
    d = _design(X, [0, 1, 0, 1, 0])
    heom = Heom(d)
    lo, span = X[["a", "b"]].min(), X[["a", "b"]].max() - X[["a", "b"]].min()
    scaled = ((X[["a", "b"]] - lo) / span).to_numpy()

    def dist2(i, j):
        num = np.where(np.isnan(scaled[i]) | np.isnan(scaled[j]), 1.0, (scaled[i] - scaled[j]) ** 2)
        ci, cj = X["c"].iloc[i], X["c"].iloc[j]
        nom = 1.0 if (pd.isna(ci) or pd.isna(cj) or ci != cj) else 0.0
        return num.sum() + nom

    for q in range(5):
        others = np.array([j for j in range(5) if j != q])
        got = others[heom.nearest(np.array([q]), others)[0]]
        assert got == others[np.argmin([dist2(q, j) for j in others])]
