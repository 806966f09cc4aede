"""AutoMetaClassifier's behaviour: dtypes, bad input, pickling, pipelines, storage."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from autometa import AutoMetaClassifier, SearchError

FAST = dict(
    time_budget=60,
    n_trials=4,
    cv=3,
    prior=None,
    random_state=0,
    fewshot=False,
    isolation="none",
    families=["logistic_regression", "lightgbm", "random_forest"],
)


def mixed_frame(n: int = 160, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    num = rng.normal(size=n)
    cat = rng.choice(["red", "green", "blue"], size=n)
    X = pd.DataFrame(
        {
            "num": num,
            "int_nullable": pd.array(rng.integers(0, 5, n), dtype="Int64"),
            "flag": rng.random(n) > 0.5,
            "colour": pd.Series(cat, dtype="category"),
            "text": pd.Series(rng.choice(["a", "b", None], size=n), dtype="string"),
            "obj": pd.Series(rng.choice(["x", "y"], size=n)).astype(object),
            "float_nullable": pd.array(np.where(rng.random(n) < 0.2, np.nan, num), dtype="Float64"),
        }
    )
    X.loc[rng.random(n) < 0.1, "num"] = np.nan
    X.loc[rng.random(n) < 0.1, "colour"] = np.nan
    logit = 2 * num + (cat == "red") - 0.5
    y = pd.Series(np.where(logit + rng.normal(size=n) > 0, "yes", "no"))
    return X, y


def test_fit_mixed_dtypes_and_string_labels():
    X, y = mixed_frame()
    clf = AutoMetaClassifier(**FAST).fit(X, y)
    assert list(clf.classes_) == ["no", "yes"]
    assert clf.n_features_in_ == X.shape[1]
    assert list(clf.feature_names_in_) == list(X.columns)
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(1), 1.0)
    assert clf.score(X, y) > 0.7
    board = clf.leaderboard_
    assert {"family", "params", "score", "fit_time", "state", "source"} <= set(board.columns)
    assert len(board) == 4
    assert clf.best_config_["family"] in FAST["families"]
    assert clf.best_score_ == pytest.approx(board["score"].max())
    assert clf.study_.best_value == pytest.approx(clf.best_score_)


@pytest.mark.parametrize(
    "labels", [np.array([0, 1, 2]), np.array([True, False, True]), np.array(["a", "b", "c"])]
)
def test_label_types(labels):
    rng = np.random.default_rng(1)
    y = rng.choice(labels, size=120)
    X = rng.normal(size=(120, 3)) + (y == labels[0])[:, None]
    clf = AutoMetaClassifier(**{**FAST, "n_trials": 2}).fit(X, y)
    assert set(clf.predict(X)) <= set(labels)
    assert clf.metric_ == ("roc_auc" if len(set(y)) == 2 else "log_loss")


def test_unseen_category_and_missing_values_at_predict():
    X, y = mixed_frame()
    clf = AutoMetaClassifier(**FAST).fit(X, y)
    X2 = X.head(5).copy()
    X2["colour"] = pd.Series(["purple", None, "red", "red", "red"], dtype="category")
    X2["obj"] = ["never-seen", "x", "y", "x", None]
    X2.loc[0, "num"] = np.nan
    proba = clf.predict_proba(X2)
    assert np.isfinite(proba).all()


def test_pickle_round_trip_predicts_the_same():
    X, y = mixed_frame()
    clf = AutoMetaClassifier(**FAST).fit(X, y)
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(clf.predict_proba(X), again.predict_proba(X))


def test_clone_pipeline_and_cross_val_score():
    X, y = mixed_frame(120)
    est = AutoMetaClassifier(**{**FAST, "n_trials": 2})
    assert clone(est).get_params() == est.get_params()
    pipe = make_pipeline(FunctionTransformer(lambda d: d), est)
    scores = cross_val_score(pipe, X, y, cv=2)
    assert scores.shape == (2,) and (scores > 0.5).all()


def test_same_seed_same_result():
    X, y = mixed_frame()
    a = AutoMetaClassifier(**FAST).fit(X, y)
    b = AutoMetaClassifier(**FAST).fit(X, y)
    pd.testing.assert_frame_equal(
        a.leaderboard_.drop(columns=["fit_time", "duration", "finished_at"]),
        b.leaderboard_.drop(columns=["fit_time", "duration", "finished_at"]),
    )
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


def test_sqlite_storage_persists_the_study(tmp_path):
    import optuna

    X, y = mixed_frame()
    url = f"sqlite:///{tmp_path / 'study.db'}"
    AutoMetaClassifier(**FAST, storage=url, study_name="s").fit(X, y)
    study = optuna.load_study(study_name="s", storage=url)
    assert len(study.trials) == 4


def test_failing_trials_are_recorded_and_search_goes_on(monkeypatch):
    from autometa import space

    X, y = mixed_frame()
    real = space.build_pipeline

    def flaky(config, **kw):
        if config["family"] == "random_forest":
            raise RuntimeError("boom")
        return real(config, **kw)

    monkeypatch.setattr(space, "build_pipeline", flaky)
    clf = AutoMetaClassifier(**{**FAST, "n_trials": 6}).fit(X, y)
    failed = clf.leaderboard_[clf.leaderboard_.state == "failed"]
    assert len(failed) >= 1 and failed["error"].str.contains("boom").all()
    assert clf.best_config_["family"] != "random_forest"


def test_all_trials_failing_raises_a_clear_error(monkeypatch):
    from autometa import space

    def broken(config, **kw):
        raise RuntimeError("cannot build")

    monkeypatch.setattr(space, "build_pipeline", broken)
    X, y = mixed_frame()
    with pytest.raises(SearchError, match="No trial finished.*cannot build"):
        AutoMetaClassifier(**FAST).fit(X, y)


def test_time_budget_is_kept():
    import time

    X, y = mixed_frame(400)
    start = time.monotonic()
    clf = AutoMetaClassifier(time_budget=4, prior=None, random_state=0, fewshot=False).fit(X, y)
    elapsed = time.monotonic() - start
    # the search stops itself (the promise of budget + 10% + 2 s is measured by
    # benchmarks/budget.py; a shared test machine gets more slack here)
    assert elapsed < 4 * 1.5 + 3
    assert len(clf.leaderboard_) >= 2


def test_ensemble_off_gives_the_single_best():
    X, y = mixed_frame()
    clf = AutoMetaClassifier(**{**FAST, "ensemble": False}).fit(X, y)
    assert len(clf.ensemble_weights_) == 1
    assert next(iter(clf.ensemble_weights_)) == clf.leaderboard_.iloc[0]["trial"]


def test_a_class_with_two_rows_in_large_data():
    # 5-fold CV puts the two rows in different folds, so the first training split (which
    # the screening subsample of large data, >= 2,500 rows, is drawn from) holds one row of
    # that class
    rng = np.random.default_rng(0)
    X = rng.normal(size=(4002, 4))
    y = np.r_[(X[:4000, 0] > 0).astype(int), [2, 2]]
    clf = AutoMetaClassifier(**{**FAST, "cv": 5, "n_trials": 2}).fit(X, y)
    assert clf.predict_proba(X[:5]).shape == (5, 3)


def test_a_refit_on_a_subsample_keeps_every_class():
    from autometa.estimator import _stratified_rows

    y = np.r_[np.zeros(4000, int), np.ones(900, int), [2], [3, 3]]
    for seed in range(5):
        rows = _stratified_rows(y, 1000, seed)
        assert set(y[rows]) == {0, 1, 2, 3} and len(rows) <= 1003


def test_tiny_data_rule_uses_the_few_shot_learner():
    from autometa.estimator import FEWSHOT_MAX_ROWS

    rng = np.random.default_rng(0)
    n = FEWSHOT_MAX_ROWS
    X = rng.normal(size=(n, 3))
    y = (X[:, 0] > 0).astype(int)
    clf = AutoMetaClassifier(time_budget=10, random_state=0, prior=None).fit(X, y)
    assert clf.fewshot_used_ and len(clf.leaderboard_) == 1
    assert clf.best_config_["family"] == "fewshot"
    assert clf.predict_proba(X).shape == (n, 2)
    # just above the threshold: a search
    X2 = rng.normal(size=(n + 30, 3))
    y2 = (X2[:, 0] > 0).astype(int)
    clf2 = AutoMetaClassifier(time_budget=6, n_trials=3, random_state=0, prior=None).fit(X2, y2)
    assert not clf2.fewshot_used_ and len(clf2.leaderboard_) > 1


def test_data_cross_validation_cannot_split_goes_to_the_few_shot_learner():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(64, 3))
    y = np.array([0] * 62 + [1, 2])  # two singleton classes: no stratified folds
    with pytest.warns(Warning):
        clf = AutoMetaClassifier(time_budget=10, random_state=0, prior=None).fit(X, y)
    assert clf.fewshot_used_
    assert clf.predict_proba(X).shape == (64, 3)
    with pytest.raises(ValueError, match="fewer than two of them have 2 or more rows"):
        AutoMetaClassifier(time_budget=10, fewshot=False, prior=None).fit(X, y)
