"""From the evaluation table to normalised scores, and the rankers a prior is made of.

Everything here works on a normalised score matrix ``N`` (tasks x configurations): per task,
``(score - worst) / (best - worst)`` over the configurations evaluated on it (the mean over
folds of the metric); a configuration that failed or timed out on a task scores 0 there, and
``NaN`` marks a cell not evaluated (yet).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "anchored_order",
    "distances",
    "greedy_portfolio",
    "knn_predict",
    "lgbm_fit",
    "metric_weights",
    "normalised_scores",
    "portfolio_order",
    "raw_scores",
]

LGBM_PARAMS = {
    "objective": "regression",
    "learning_rate": 0.05,
    "num_leaves": 15,
    "min_data_in_leaf": 20,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "num_threads": 1,
    "verbosity": -1,
    "deterministic": True,
    "force_row_wise": True,
}
LGBM_ROUNDS = 200


def raw_scores(evaluations: pd.DataFrame, metric: str = "roc_auc") -> pd.DataFrame:
    """Mean metric over folds per (task, configuration); -inf if a fold failed.

    A cell counts once all its folds are stored (the number of folds of a task is the largest
    seen on it); an incomplete cell (a run in progress) is left out. Returns a frame of
    tasks x configurations with ``-inf`` for failed or timed-out cells.
    """
    ev = evaluations
    if ev.empty:
        return pd.DataFrame()
    n_folds = ev.groupby("task")["fold"].max() + 1
    grouped = ev.groupby(["task", "config_id"])
    count = grouped["fold"].nunique()
    ok = (ev["state"] == "ok").groupby([ev["task"], ev["config_id"]]).all()
    mean = grouped[metric].mean()
    complete = count.to_numpy() >= n_folds.reindex(count.index.get_level_values(0)).to_numpy()
    cell = pd.Series(np.where(ok.to_numpy(), mean.to_numpy(), -np.inf), index=count.index)
    cell = cell[complete]
    return cell.unstack("config_id")


def normalised_scores(raw: pd.DataFrame) -> pd.DataFrame:
    """``(score - worst) / (best - worst)`` per task; failed cells 0; ties at the top 1."""
    values = raw.to_numpy(dtype="float64")
    finite = np.where(np.isfinite(values), values, np.nan)
    with np.errstate(all="ignore"):
        best = np.nanmax(finite, axis=1, keepdims=True)
        worst = np.nanmin(finite, axis=1, keepdims=True)
        span = best - worst
        norm = np.where(span > 0, (finite - worst) / np.where(span > 0, span, 1.0), 1.0)
    norm = np.where(np.isnan(finite), np.nan, norm)
    norm = np.where(np.isneginf(values), 0.0, norm)
    return pd.DataFrame(norm, index=raw.index, columns=raw.columns)


def greedy_portfolio(
    norm: np.ndarray, size: int, task_weights: np.ndarray | None = None
) -> list[int]:
    """Column indices chosen greedily to maximise the (weighted) mean over tasks of the best
    chosen score: the expected best-of-k of the portfolio.

    Unevaluated cells count as 0. Once no column adds anything, the rest follow by mean score.
    """
    filled = np.nan_to_num(norm, nan=0.0)
    n_cfg = filled.shape[1]
    w = np.ones(filled.shape[0]) if task_weights is None else np.asarray(task_weights, float)
    w = w / w.sum()
    chosen: list[int] = []
    current = np.zeros(filled.shape[0])
    mean = w @ filled
    for _ in range(min(size, n_cfg)):
        gains = w @ np.maximum(filled, current[:, None]) - w @ current
        gains[chosen] = -np.inf
        best = int(np.argmax(gains + 1e-9 * mean))
        if gains[best] <= 1e-12:
            break
        chosen.append(best)
        current = np.maximum(current, filled[:, best])
    return chosen


def portfolio_order(norm: np.ndarray, size: int = 32) -> np.ndarray:
    """All columns: the greedy portfolio first, then the others by mean normalised score."""
    chosen = greedy_portfolio(norm, size)
    rest = [
        int(i)
        for i in np.argsort(-np.nanmean(np.nan_to_num(norm, nan=0.0), axis=0))
        if int(i) not in chosen
    ]
    return np.array(chosen + rest, dtype=int)


def local_portfolio_order(
    x: np.ndarray,
    Z: np.ndarray,
    norm: np.ndarray,
    k: int,
    length: float,
    weights: np.ndarray | None = None,
    size: int = 16,
) -> np.ndarray:
    """A portfolio for one new task: greedy best-of-k over its ``k`` nearest tasks.

    The nearest tasks are weighted by their similarity; configurations are chosen one by one
    to maximise the weighted mean, over those tasks, of the best normalised score chosen so far
    (so the second pick covers the neighbours the first one serves badly, and so on). After
    ``size`` picks, or once no configuration adds anything, the rest follow by their k-NN
    expected score (:func:`knn_predict`).
    """
    expected, _, nn = knn_predict(x, Z, norm, k, length, weights)
    sim = similarities(distances(x, Z, weights)[nn], length)
    chosen = greedy_portfolio(norm[nn], size, task_weights=sim)
    taken = set(chosen)
    rest = [int(i) for i in np.argsort(-expected, kind="stable") if int(i) not in taken]
    return np.array(chosen + rest, dtype=int)


def metric_weights(Z: np.ndarray, norm: np.ndarray, power: float = 2.0) -> np.ndarray:
    """Weights of the meta-features in the task distance, learned from the score table.

    Two tasks are close in *performance space* when the configurations score alike on them
    (root mean square difference of their normalised scores). A meta-feature earns weight in
    proportion to the Spearman correlation, over all pairs of tasks, between the pair's
    difference in that meta-feature and the pair's performance distance (negative correlations
    count as 0), raised to ``power`` to favour the informative ones. The weights average 1;
    with no informative meta-feature they are all 1 (the plain Euclidean distance).
    """
    from scipy.stats import rankdata

    n, d = Z.shape
    if n < 4 or d == 0:
        return np.ones(d)
    filled = np.nan_to_num(norm, nan=0.0)
    iu = np.triu_indices(n, 1)
    perf = np.sqrt(((filled[:, None, :] - filled[None, :, :]) ** 2).mean(axis=2))[iu]
    diffs = np.abs(Z[:, None, :] - Z[None, :, :])[iu]  # (pairs, d)
    rp = rankdata(perf)
    rp = (rp - rp.mean()) / max(rp.std(), 1e-12)
    rd = rankdata(diffs, axis=0)
    sd = rd.std(axis=0)
    rd = (rd - rd.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    corr = np.where(sd > 0, (rd * rp[:, None]).mean(axis=0), 0.0)
    w = np.clip(corr, 0.0, None) ** power
    if not np.isfinite(w).all() or w.sum() <= 0:
        return np.ones(d)
    return w / w.mean()


def distances(x: np.ndarray, Z: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Weighted Euclidean distances from ``x`` to each row of ``Z``."""
    sq = (Z - x) ** 2
    if weights is not None:
        sq = sq * weights
    return np.sqrt(sq.sum(axis=1))


def anchored_order(expected: np.ndarray, anchors: Sequence[int]) -> np.ndarray:
    """The best expected configuration, then the anchors by expected score, then the rest.

    The anchors are the model families' default configurations: robust on almost any task,
    they cover the next suggestions while the ranker's own estimates, averaged over a few
    neighbours and noisy for the many tuned candidates, decide the first one and the order.
    """
    order = [int(i) for i in np.argsort(-expected, kind="stable")]
    if not order:
        return np.array([], dtype=int)
    anchor_set = {int(a) for a in anchors}
    first = order[0]
    head = [first] + [i for i in order if i in anchor_set and i != first]
    chosen = set(head)
    return np.array(head + [i for i in order if i not in chosen], dtype=int)


def similarities(distances: np.ndarray, length: float) -> np.ndarray:
    """Similarity in (0, 1]: ``1 / (1 + d / length)``."""
    return 1.0 / (1.0 + np.asarray(distances) / max(length, 1e-12))


def knn_predict(
    x: np.ndarray,
    Z: np.ndarray,
    norm: np.ndarray,
    k: int,
    length: float,
    weights: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Expected normalised score of each configuration from the ``k`` nearest tasks.

    Parameters
    ----------
    x : ndarray of shape (n_features,)
        Scaled meta-features of the new task.
    Z : ndarray of shape (n_tasks, n_features)
        Scaled meta-features of the known tasks.
    norm : ndarray of shape (n_tasks, n_configs)
    k : int
    length : float
        Distance scale of the similarity.
    weights : ndarray of shape (n_features,), optional
        Meta-feature weights of the distance (:func:`metric_weights`); default all 1.

    Returns
    -------
    expected, spread : ndarray of shape (n_configs,)
        Similarity-weighted mean and (unweighted) std over the neighbours that evaluated each
        configuration (a configuration none of them evaluated gets the overall mean).
    neighbours : ndarray of int
        Indices of the neighbours, nearest first.
    """
    d = distances(x, Z, weights)
    nn = np.argsort(d, kind="stable")[: max(1, min(k, len(d)))]
    w = similarities(d[nn], length)
    sub = norm[nn]
    have = ~np.isnan(sub)
    wsum = (w[:, None] * have).sum(axis=0)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # configurations no neighbour has
        expected = (w[:, None] * np.nan_to_num(sub)).sum(axis=0) / wsum
        spread = np.nanstd(sub, axis=0)
        overall = np.nanmean(norm, axis=0)
    expected = np.where(wsum > 0, expected, overall)
    return np.nan_to_num(expected), np.nan_to_num(spread), nn


def lgbm_rows(Z: np.ndarray, C: np.ndarray, norm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Training rows (task meta-features + configuration features) for observed cells."""
    ti, ci = np.nonzero(~np.isnan(norm))
    return np.hstack([Z[ti], C[ci]]), norm[ti, ci]


def lgbm_fit(Z: np.ndarray, C: np.ndarray, norm: np.ndarray, random_state: int = 0) -> Any:
    """A LightGBM regressor of normalised score on meta-features and configuration features."""
    import lightgbm as lgb

    X, y = lgbm_rows(Z, C, norm)
    params = dict(LGBM_PARAMS, seed=int(random_state))
    params["min_data_in_leaf"] = int(min(params["min_data_in_leaf"], max(2, len(y) // 10)))
    data = lgb.Dataset(
        X, y, categorical_feature=[Z.shape[1]], free_raw_data=True, params={"verbosity": -1}
    )
    return lgb.train(params, data, num_boost_round=LGBM_ROUNDS)


def lgbm_predict(booster: Any, x: np.ndarray, C: np.ndarray) -> np.ndarray:
    """Predicted normalised score of every configuration for one task."""
    X = np.hstack([np.repeat(x[None, :], len(C), axis=0), C])
    return np.asarray(booster.predict(X, num_threads=1), dtype="float64")


def topk_quality(order: Sequence[int], truth: np.ndarray, ks: Sequence[int]) -> dict[int, float]:
    """Best true normalised score among the first ``k`` of ``order`` (unevaluated cells skipped)."""
    out = {}
    seen = [i for i in order if not np.isnan(truth[i])]
    for k in ks:
        out[k] = float(np.max(truth[seen[:k]])) if seen[:k] else float("nan")
    return out
