from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd
import pytest

from autometa.prior import Suggestion, fit_prior, load_prior, prior_info
from autometa.prior.scores import greedy_portfolio, normalised_scores, raw_scores


def test_fit_and_load_round_trip(tiny_prior):
    prior = load_prior(tiny_prior)
    info = prior.info()
    assert info["schema_version"] == 1 and info["n_tasks"] == 4 and info["n_configs"] == 6
    assert info["families"] == {"logistic_regression": 3, "knn": 3}
    assert info["build_command"] == "test"
    assert info["ranking_method"] in {"knn", "lgbm", "portfolio"}
    assert set(info["leave_one_task_out"]) >= {"portfolio", "lgbm", "knn5"}
    table = prior.meta_features_table
    assert list(table.index) == ["pasture", "squash.stored", "white.clover", "zoo"]
    table.iloc[:, :] = 0  # a copy: the prior is unchanged
    assert not (prior.meta_features_table == 0).all().all()
    json.dumps(info)
    assert prior_info(tiny_prior)["size_bytes"] > 0


def test_rank_and_neighbors(tiny_prior):
    prior = load_prior(tiny_prior)
    mf = prior.meta_features_table.loc["zoo"].to_dict()
    ranked = prior.rank(mf)
    assert len(ranked) == 6 and all(isinstance(s, Suggestion) for s in ranked)
    assert len({s.config_id for s in ranked}) == 6
    assert all(0.0 <= s.expected_score <= 1.0 and s.spread >= 0 for s in ranked)
    scores = [s.expected_score for s in ranked]
    if prior.method != "portfolio" and not prior.info()["anchors"]:
        assert scores == sorted(scores, reverse=True)
    elif prior.method != "portfolio":
        assert scores[0] == max(scores)
    assert prior.rank(mf, k=2) == ranked[:2]
    only = prior.rank(mf, families=["knn"])
    assert len(only) == 3 and {s.family for s in only} == {"knn"}
    ranked[0].config["params"]["x"] = 1  # a copy
    assert "x" not in prior.rank(mf, k=1)[0].config["params"]
    nb = prior.neighbors(mf, k=3)
    assert nb[0] == ("zoo", 1.0)
    assert all(0.0 <= s <= 1.0 for _, s in nb) and [s for _, s in nb] == sorted(
        [s for _, s in nb], reverse=True
    )
    # unknown names are ignored, missing ones count as average values
    assert len(prior.rank({"no_such_feature": 3.0}, k=3)) == 3
    with pytest.raises(ValueError, match="'k' parameter of Prior.rank"):
        prior.rank(mf, k=0)


def test_rank_is_fast(tiny_prior):
    prior = load_prior(tiny_prior)
    mf = prior.meta_features_table.iloc[0].to_dict()
    prior.rank(mf)
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        prior.rank(mf, k=5)
        times.append(time.perf_counter() - t0)
    assert np.median(times) < 0.05


def test_refit_from_the_artifact_alone(tiny_prior, tmp_path):
    again = fit_prior(tiny_prior, tmp_path / "again", method="knn")
    a, b = load_prior(tiny_prior), load_prior(again)
    pd.testing.assert_frame_equal(a.score_table, b.score_table)
    pd.testing.assert_frame_equal(a.meta_features_table, b.meta_features_table)
    assert b.method == "knn"


def test_learned_ranker_is_a_text_model(tiny_store, tmp_path):
    out = fit_prior(tiny_store, tmp_path / "lgbm", method="lgbm")
    text = (out / "ranker.lgbm.txt").read_text()
    assert text.startswith("tree")
    prior = load_prior(out)
    assert prior.method == "lgbm"
    assert len(prior.rank(prior.meta_features_table.iloc[0].to_dict())) == 6


def test_normalised_scores_failures_and_ties():
    ev = pd.DataFrame(
        {
            "task": ["a"] * 6 + ["b"] * 4,
            "config_id": ["x", "x", "y", "y", "z", "z", "x", "x", "y", "y"],
            "fold": [0, 1] * 5,
            "state": ["ok", "ok", "ok", "ok", "ok", "timeout", "ok", "ok", "ok", "ok"],
            "roc_auc": [0.9, 0.7, 0.6, 0.6, 0.99, np.nan, 0.5, 0.5, 0.5, 0.5],
        }
    )
    norm = normalised_scores(raw_scores(ev))
    assert norm.loc["a", "x"] == 1.0 and norm.loc["a", "y"] == 0.0
    assert norm.loc["a", "z"] == 0.0  # a timed-out cell scores as the worst
    assert norm.loc["b", "x"] == 1.0 and norm.loc["b", "y"] == 1.0  # ties
    assert np.isnan(norm.loc["b", "z"])  # never evaluated
    partial = ev[~((ev["task"] == "b") & (ev["config_id"] == "y") & (ev["fold"] == 1))]
    assert np.isnan(raw_scores(partial).loc["b", "y"])  # an unfinished cell is left out


def test_greedy_portfolio_complements():
    norm = np.array([[1.0, 0.0, 0.9], [0.0, 1.0, 0.9], [1.0, 0.0, 0.0]])
    # column 2 has the best mean, but 0 then 1 cover every task
    assert greedy_portfolio(norm, 3) == [0, 1]


def test_default_prior_ships():
    from autometa.prior import default_prior_path

    if not (default_prior_path() / "manifest.json").exists():
        pytest.skip("no default prior built yet")
    prior = load_prior()
    info = prior.info()
    assert info["n_tasks"] >= 80
    assert len(info["families"]) >= 5
    mf = prior.meta_features_table.iloc[0].to_dict()
    k = min(10, info["n_configs"])
    assert len(prior.rank(mf, k=k)) == k


def test_refit_removes_a_stale_model(tiny_store, tmp_path):
    out = fit_prior(tiny_store, tmp_path / "p", method="lgbm")
    assert (out / "ranker.lgbm.txt").exists()
    fit_prior(tiny_store, out, method="knn")
    assert not (out / "ranker.lgbm.txt").exists()
    assert load_prior(out).method == "knn"


def test_metric_weights_favour_the_informative_meta_feature():
    from autometa.prior.scores import metric_weights

    rng = np.random.default_rng(0)
    informative = rng.normal(size=30)
    Z = np.column_stack([informative, rng.normal(size=30), rng.normal(size=30)])
    # scores that depend on the first meta-feature only
    norm = 1 / (1 + np.exp(-np.outer(informative, np.linspace(-2, 2, 8))))
    w = metric_weights(Z, norm)
    assert w.shape == (3,) and np.isclose(w.mean(), 1.0)
    assert w[0] > 2.5 and w[0] > 5 * max(w[1], w[2])
    # nothing informative (constant scores): the plain Euclidean distance
    assert np.allclose(metric_weights(Z, np.ones((30, 8))), 1.0)


def test_anchored_order_puts_defaults_after_the_best_guess():
    from autometa.prior.scores import anchored_order

    expected = np.array([0.2, 0.9, 0.5, 0.7, 0.1])
    assert list(anchored_order(expected, [4, 2])) == [1, 2, 4, 3, 0]
    # the best guess is itself a default: it is not repeated
    assert list(anchored_order(expected, [1, 0])) == [1, 0, 3, 2, 4]
    assert list(anchored_order(expected, [])) == [1, 3, 2, 0, 4]


def test_knn_prior_with_learned_distance_and_anchors(tiny_store, tmp_path):
    from autometa.prior.fit import parse_ranker
    from autometa.space import config_id, default_configs

    out = fit_prior(tiny_store, tmp_path / "k", method="knn")
    prior = load_prior(out)
    info = prior.info()
    manifest = json.loads((out / "manifest.json").read_text())
    spec = parse_ranker(manifest["ranking"]["ranker"])
    assert spec["method"] == "knn" and spec["k"] == info["k_neighbors"]
    assert info["learned_metric"] is spec["learned_metric"]
    defaults = {config_id(c) for c in default_configs()}
    if spec["anchored"]:
        assert info["anchors"] and set(info["anchors"]) <= defaults
        ranked = [s.config_id for s in prior.rank(prior.meta_features_table.iloc[0].to_dict())]
        anchors = [c for c in ranked[1:] if c in set(info["anchors"])]
        assert ranked[1 : 1 + len(anchors)] == anchors
    loto = info["leave_one_task_out"]
    assert {"wknn5", "knn5+anchors", "wknn5+anchors"} <= set(loto)


def test_local_portfolio_covers_neighbours_a_single_ranking_misses():
    import numpy as np

    from autometa.prior import scores

    # Two neighbour groups: config 0 is best on average, config 2 is the only good one on the
    # second group; best-of-2 over the neighbours takes 0 then 2, where the mean order takes 1.
    norm = np.array(
        [
            [1.0, 0.9, 0.0, 0.5],
            [1.0, 0.9, 0.0, 0.5],
            [0.6, 0.5, 1.0, 0.5],
            [0.0, 0.1, 0.0, 1.0],  # a far task: not among the 3 nearest
        ]
    )
    Z = np.array([[0.0], [0.1], [0.2], [10.0]])
    x = np.array([0.05])
    expected, _, _ = scores.knn_predict(x, Z, norm, 3, 1.0)
    assert list(np.argsort(-expected, kind="stable")[:2]) == [0, 1]
    order = scores.local_portfolio_order(x, Z, norm, 3, 1.0, size=4)
    assert list(order[:2]) == [0, 2]
    assert sorted(order) == [0, 1, 2, 3]
    # weighted greedy: a heavier task pulls the first pick toward its best configuration
    picks = scores.greedy_portfolio(norm[:3], 1, task_weights=np.array([0.01, 0.01, 1.0]))
    assert picks == [2]
