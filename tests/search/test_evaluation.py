from __future__ import annotations

import numpy as np
import pytest

from autometa.search.ensemble import greedy_ensemble
from autometa.search.evaluation import (
    SCREEN_STEP,
    check_cv_possible,
    evaluate_config,
    make_splits,
    score_proba,
    screening_rows,
    stratification_labels,
)


def test_rare_classes_spread_over_folds_and_training_keeps_two_classes():
    y = np.array([0] * 20 + [1] * 20 + [2] + [3])
    for train, _ in make_splits(y, 5, 0):
        assert len(np.unique(y[train])) >= 2
    assert sum(len(t) for _, t in make_splits(y, 5, 0)) == len(y)


def test_cv_impossible_is_a_clear_error():
    with pytest.raises(ValueError, match="fewer than two of them have 2 or more rows"):
        check_cv_possible(np.array([0, 1, 2]))


def test_large_data_uses_fewer_folds_then_holdout():
    assert len(make_splits(np.arange(6000) % 2, 5, 0)) == 3
    assert len(make_splits(np.arange(30000) % 2, 5, 0)) == 1


def test_a_class_of_one_row_does_not_break_the_shuffle_splits():
    # one row of a third class: it cannot be a stratification group of its own
    y = np.r_[np.zeros(20_000, int), np.ones(1_500, int), [2]]
    (train, test), = make_splits(y, 5, 0)  # the holdout split on large data
    assert len(train) + len(test) == len(y)
    y = np.r_[np.zeros(2_000, int), np.ones(1_500, int), [2]]
    splits = [(np.arange(len(y)), np.arange(0))]  # the lone row in the training split
    rows = screening_rows(y, splits, 0)
    assert set(np.unique(y[rows])) >= {0, 1}
    groups = stratification_labels(y, np.bincount(y), 2)
    assert np.array_equal(groups, np.r_[y[:-1], [0]])  # it joins the largest class


def test_screening_only_on_large_data_and_reported_apart():
    y = np.arange(10000) % 3
    splits = make_splits(y, 5, 0)
    rows = screening_rows(y, splits, 0)
    assert rows is not None and set(rows) <= set(splits[0][0])
    assert screening_rows(np.arange(500) % 2, make_splits(np.arange(500) % 2, 5, 0), 0) is None
    steps = []

    def fit_fold(train, test, timeout):
        return np.full((len(test), 3), 1 / 3), 0.0

    evaluate_config(
        fit_fold, y, splits, "accuracy", 3, report=lambda s, v: steps.append(s), screen=rows
    )
    assert steps == [SCREEN_STEP, 0, 1]


def test_score_proba_directions():
    y = np.array([0, 1, 1, 0])
    good = np.array([[0.9, 0.1], [0.2, 0.8], [0.1, 0.9], [0.8, 0.2]])
    bad = good[:, ::-1]
    for metric in ("roc_auc", "log_loss", "accuracy", "balanced_accuracy"):
        assert score_proba(metric, y, good) > score_proba(metric, y, bad)


def test_greedy_ensemble_prefers_complementary_models():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    signal = np.where(y == 1, 0.7, 0.3)
    a = np.clip(signal + rng.normal(0, 0.25, 400), 0.01, 0.99)
    b = np.clip(signal + rng.normal(0, 0.25, 400), 0.01, 0.99)
    junk = rng.random(400)
    oofs = [np.column_stack([1 - p, p]) for p in (a, b, junk)]
    weights = greedy_ensemble(oofs, y, "roc_auc")
    assert set(weights) == {0, 1}
    assert sum(weights.values()) == pytest.approx(1.0)
