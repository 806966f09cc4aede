"""fit() with the shipped prior: suggestions first, meta-features exposed, safe fallbacks."""

from __future__ import annotations

import json
import shutil
import time
import warnings

import numpy as np
import pytest

from autometa import AutoMetaClassifier, PriorError
from autometa.prior import default_prior_path, load_prior


@pytest.fixture(scope="module")
def credit(datasets_dir):
    from autometa.data import load_dataset

    return load_dataset(datasets_dir / "uci/credit.a.arff", "class")


def test_prior_suggestions_are_evaluated_first(credit):
    X, y = credit
    clf = AutoMetaClassifier(
        time_budget=60, n_trials=6, n_suggestions=4, random_state=0, isolation="none", cv=3
    ).fit(X, y)
    board = clf.leaderboard_.sort_values("trial")
    assert list(board.source[:4]) == ["prior"] * 4
    assert [s["config"] for s in clf.suggestions_] == [
        json.loads(json.dumps(c))
        for c in board.head(4).apply(
            lambda r: {"family": r.family, "params": json.loads(r.params)}, axis=1
        )
    ]
    assert clf.meta_features_ and all(isinstance(v, float) for v in clf.meta_features_.values())
    prior = load_prior("default")
    order = {
        json.dumps(s.config, sort_keys=True): i
        for i, s in enumerate(prior.rank(clf.meta_features_, families=clf.search_families_))
    }
    got = [order[json.dumps(s["config"], sort_keys=True)] for s in clf.suggestions_]
    # the cheapest opens, then the prior's first pick and the rest in the prior's order
    assert 0 in got[:2]
    assert got[1:] == sorted(got[1:])


def test_the_cheapest_suggestion_opens_then_the_prior_order():
    from types import SimpleNamespace

    from autometa.estimator import _cheapest_opens

    def sug(name, fixed, per_row):
        return SimpleNamespace(
            name=name, fit_seconds=lambda rows, fits: fits * fixed + rows * per_row
        )

    ranked = [sug("a", 0.5, 1e-3), sug("b", 0.1, 1e-4), sug("c", 0.01, 1e-4), sug("d", 0, 0)]
    ranked[3].fit_seconds = lambda rows, fits: float("nan")  # unknown cost
    assert [s.name for s in _cheapest_opens(ranked, 100, 5)] == ["c", "a", "b", "d"]
    # per-row costs decide on large data: "b" fits fast, "c" grows with rows
    ranked[2] = sug("c", 0.01, 1e-3)
    assert [s.name for s in _cheapest_opens(ranked, 100_000, 5)] == ["b", "a", "c", "d"]
    nan = [sug("x", float("nan"), 0.0), sug("y", float("nan"), 0.0)]
    assert [s.name for s in _cheapest_opens(nan, 100, 5)] == ["x", "y"]


def test_the_prior_focuses_the_search_on_the_families_of_its_best_configurations(credit):
    from autometa.estimator import FOCUS_FAMILIES
    from autometa.space import family_names

    X, y = credit
    kw = dict(time_budget=60, n_trials=14, random_state=0, isolation="none", cv=3)
    warm = AutoMetaClassifier(**kw).fit(X, y)
    cold = AutoMetaClassifier(prior=None, **kw).fit(X, y)
    applicable = family_names(n_rows=len(y))
    assert cold.search_families_ == applicable
    prior = load_prior("default")
    known = {s.family for s in prior.rank(warm.meta_features_)}
    best = {}
    for s in prior.rank(warm.meta_features_):
        best[s.family] = max(best.get(s.family, -1.0), s.expected_score)
    top = sorted(best, key=lambda f: -best[f])[:FOCUS_FAMILIES]
    assert warm.search_families_ == [f for f in applicable if f in top or f not in known]
    assert len(warm.search_families_) < len(applicable)
    # every trial, the prior's and TPE's, is in those families
    assert set(warm.leaderboard_.family) <= set(warm.search_families_)
    sources = warm.leaderboard_.groupby("source").family.agg(set)
    assert set(sources.index) <= {"prior", "tpe", "default"}
    # a family the prior knows nothing of gets its default tried, as in a cold start
    assert sources.get("default", set()) <= set(applicable) - known


def test_the_warm_start_tries_every_family_default_it_can_afford_on_larger_data():
    from sklearn.datasets import make_classification

    from autometa.space import config_id, default_configs

    X, y = make_classification(3000, 20, random_state=0)
    clf = AutoMetaClassifier(time_budget=30, n_trials=1, random_state=0, isolation="none")
    clf.fit(X, y)
    ids = [config_id(s["config"]) for s in clf.suggestions_]
    # cheap tuned configurations of one family do not push the other families' defaults out
    for default in default_configs(clf.search_families_):
        assert config_id(default) in ids, default["family"]
    # on 10 s some cannot finish in time: fewer suggestions, still more than one family
    clf = AutoMetaClassifier(time_budget=10, n_trials=1, random_state=0, isolation="none")
    clf.fit(X, y)
    assert 1 < len({s["config"]["family"] for s in clf.suggestions_}) < len(ids)


def test_focus_keeps_the_best_families_and_those_the_prior_does_not_know():
    from types import SimpleNamespace

    from autometa.estimator import _focus_families

    ranked = [
        SimpleNamespace(family=f, expected_score=e)
        for f, e in [("a", 0.9), ("b", 0.2), ("a", 0.1), ("c", 0.5), ("d", float("nan"))]
    ]
    assert _focus_families(ranked, ["d", "c", "b", "a", "z"], 2) == ["c", "a", "z"]
    assert _focus_families(ranked, ["a", "b", "c", "d"], 9) == ["a", "b", "c", "d"]


def test_a_small_budget_still_suggests_every_family_default(credit):
    from autometa.space import config_id, default_configs

    X, y = credit
    families = ["lightgbm", "logistic_regression", "random_forest", "knn"]
    clf = AutoMetaClassifier(
        time_budget=10, n_trials=1, families=families, random_state=0, isolation="none", cv=3
    ).fit(X, y)
    ids = [config_id(s["config"]) for s in clf.suggestions_]
    assert len(ids) >= len(families) + 1
    # the shipped prior ranks its first pick, then the family defaults
    assert {config_id(c) for c in default_configs(families)} <= set(ids[: len(families) + 1])


def test_a_five_second_budget_returns_a_model(credit):
    X, y = credit
    start = time.monotonic()
    clf = AutoMetaClassifier(time_budget=5, random_state=0).fit(X, y)
    assert time.monotonic() - start < 5 * 1.5 + 3  # strict figure: benchmarks/budget.py
    assert clf.leaderboard_.state.eq("complete").any()
    assert clf.predict_proba(X).shape == (len(X), 2)


def _corrupt_copy(tmp_path):
    bad = tmp_path / "prior"
    shutil.copytree(default_prior_path(), bad)
    manifest = bad / "manifest.json"
    manifest.write_text(manifest.read_text()[: len(manifest.read_text()) // 2])  # truncated
    return bad


def test_a_corrupted_prior_given_by_path_is_a_clear_error(tmp_path, credit):
    X, y = credit
    with pytest.raises(PriorError):
        AutoMetaClassifier(n_trials=1, prior=str(_corrupt_copy(tmp_path)), isolation="none").fit(
            X, y
        )


def test_a_corrupted_default_prior_falls_back_to_cold_start(tmp_path, credit, monkeypatch):
    import autometa.prior.artifact as artifact

    bad = _corrupt_copy(tmp_path)
    monkeypatch.setattr(artifact, "default_prior_path", lambda: bad)
    X, y = credit
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf = AutoMetaClassifier(n_trials=3, random_state=0, isolation="none", cv=2).fit(X, y)
    assert any("falling back to a cold start" in str(w.message) for w in caught)
    assert set(clf.leaderboard_.source) == {"default"}
    assert np.isfinite(clf.best_score_)


def _rows(X, y, n):
    from sklearn.model_selection import train_test_split

    X_s, _, y_s, _ = train_test_split(X, y, train_size=n, stratify=y, random_state=0)
    return X_s, y_s


def test_on_tiny_data_the_warm_start_evaluates_a_short_pool_and_stops(credit):
    from autometa.estimator import POOL_MAX_ROWS, POOL_SUGGESTIONS
    from autometa.space import config_id, default_configs

    X, y = _rows(*credit, POOL_MAX_ROWS)
    families = ["lightgbm", "logistic_regression", "random_forest", "knn", "extra_trees"]
    kw = dict(time_budget=60, families=families, random_state=0, isolation="none", cv=3)
    warm = AutoMetaClassifier(**kw).fit(X, y)
    assert warm.pool_only_
    board = warm.leaderboard_
    # no TPE: the pool is evaluated, then the search stops (long before the budget)
    assert "tpe" not in set(board.source)
    assert len(board) == len(warm.suggestions_)
    assert warm.search_families_ == families  # the pool spans every family, no focus
    ids = [config_id(s["config"]) for s in warm.suggestions_]
    assert len(ids) == len(set(ids))
    for default in default_configs(families):
        assert config_id(default) in ids, default["family"]
    prior = load_prior("default")
    ranked = prior.rank(warm.meta_features_, families=families)
    best = sorted(ranked, key=lambda s: -s.expected_score)[:POOL_SUGGESTIONS]
    assert {config_id(s.config) for s in best} <= set(ids)
    assert len(ids) <= POOL_SUGGESTIONS + len(families)
    # a cold start on the same rows searches on with TPE
    cold = AutoMetaClassifier(prior=None, n_trials=len(ids) + 3, **kw).fit(X, y)
    assert not cold.pool_only_ and "tpe" in set(cold.leaderboard_.source)
    # n_suggestions sets the number of the prior's picks in the pool
    two = AutoMetaClassifier(n_suggestions=2, **kw).fit(X, y)
    two_ids = {config_id(s["config"]) for s in two.suggestions_}
    assert {config_id(s.config) for s in best[:2]} <= two_ids
    assert len(two_ids) <= 2 + len(families)


def test_the_short_pool_applies_up_to_pool_max_rows_only(credit):
    from autometa.estimator import POOL_MAX_ROWS

    kw = dict(time_budget=30, n_trials=1, families=["logistic_regression", "knn"], cv=3,
              random_state=0, isolation="none")
    assert AutoMetaClassifier(**kw).fit(*_rows(*credit, POOL_MAX_ROWS)).pool_only_
    assert not AutoMetaClassifier(**kw).fit(*_rows(*credit, POOL_MAX_ROWS + 1)).pool_only_
