"""Scoring one configuration: cross-validation splits, out-of-fold predictions, metrics."""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, balanced_accuracy_score, log_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold, StratifiedShuffleSplit

__all__ = [
    "METRICS",
    "BudgetExceeded",
    "Evaluation",
    "aligned_proba",
    "check_cv_possible",
    "evaluate_config",
    "in_process",
    "prepare_model",
    "screening_rows",
    "make_splits",
    "resolve_metric",
    "score_proba",
]

SCREEN_STEP = 10_000
METRICS = ("accuracy", "balanced_accuracy", "log_loss", "roc_auc")


class BudgetExceeded(Exception):
    """A trial stopped because the remaining time budget could not cover it."""


def resolve_metric(metric: str, n_classes: int) -> str:
    """``"auto"`` is ROC AUC for binary and log loss for multiclass targets."""
    if metric == "auto":
        return "roc_auc" if n_classes == 2 else "log_loss"
    if metric not in METRICS:
        raise ValueError(
            f"The 'metric' parameter of AutoMetaClassifier must be 'auto' or one of "
            f"{list(METRICS)}. Got {metric!r} instead."
        )
    return metric


def score_proba(metric: str, y: np.ndarray, proba: np.ndarray) -> float:
    """Score predicted probabilities; higher is better (log loss is negated)."""
    n_classes = proba.shape[1]
    labels = np.arange(n_classes)
    if metric == "log_loss":
        return -float(log_loss(y, np.clip(proba, 1e-15, 1), labels=labels))
    if metric == "roc_auc":
        present = np.unique(y)
        if len(present) < 2:
            return float("nan")
        if n_classes == 2:
            return float(roc_auc_score(y, proba[:, 1]))
        if len(present) < n_classes:  # rare classes absent from a subset: score those present
            p = proba[:, present] / np.clip(proba[:, present].sum(1, keepdims=True), 1e-15, None)
            y = np.searchsorted(present, y)
            if len(present) == 2:
                return float(roc_auc_score(y, p[:, 1]))
            return float(roc_auc_score(y, p, multi_class="ovr", average="macro"))
        return float(roc_auc_score(y, proba, multi_class="ovr", average="macro", labels=labels))
    pred = proba.argmax(1)
    if metric == "accuracy":
        return float(accuracy_score(y, pred))
    return float(balanced_accuracy_score(y, pred))


def make_splits(
    y: np.ndarray, cv: int, random_state: int, holdout_rows: int = 20_000
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified folds; fewer folds on larger data, and one holdout split on large data.

    Classes with fewer rows than folds are stratified as one group, so their rows still
    spread over the folds and every training split keeps at least two classes.
    """
    n = len(y)
    counts = np.bincount(y)
    if n > holdout_rows:
        test_size = min(0.2, 10_000 / n)
        splitter = StratifiedShuffleSplit(1, test_size=test_size, random_state=random_state)
        return list(splitter.split(np.zeros(n), stratification_labels(y, counts, 2)))
    k = min(cv, 3) if n > 5_000 else cv
    k = max(2, min(k, n // 2))
    groups = stratification_labels(y, counts, k)
    splitter = StratifiedKFold(k, shuffle=True, random_state=random_state)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The least populated class")
        return list(splitter.split(np.zeros(n), groups))


def stratification_labels(y: np.ndarray, counts: np.ndarray, k: int) -> np.ndarray:
    """Stratification labels: the classes with fewer than ``k`` rows form one group.

    A group of a single row (one class with one row, no other rare class) cannot be
    stratified (scikit-learn's shuffle splits need two rows per group), so that row joins
    the largest class's group.
    """
    rare = counts < k
    if not rare.any():
        return y
    groups = np.where(rare[y], -1, y)
    if np.count_nonzero(groups == -1) < 2:
        groups[groups == -1] = np.argmax(counts)
    return groups


def screening_rows(
    y: np.ndarray,
    splits: list[tuple[np.ndarray, np.ndarray]],
    random_state: int,
    min_rows: int = 2_500,
    share: float = 0.2,
) -> np.ndarray | None:
    """A stratified subsample of the first training split for screening, on large data only."""
    train = splits[0][0]
    if len(train) < min_rows:
        return None
    size = min(max(1_000, int(share * len(train))), 10_000, len(train) // 2)
    splitter = StratifiedShuffleSplit(1, train_size=size, random_state=random_state)
    groups = stratification_labels(y[train], np.bincount(y[train]), 2)
    part, _ = next(splitter.split(np.zeros(len(train)), groups))
    return np.sort(train[part])


def check_cv_possible(y: np.ndarray) -> None:
    """Cross-validation needs two classes with at least two rows each."""
    counts = np.bincount(y)
    if (counts >= 2).sum() < 2:
        raise ValueError(
            f"y has {int((counts > 0).sum())} classes but fewer than two of them have 2 or more "
            f"rows (class sizes {sorted(counts[counts > 0].tolist(), reverse=True)}); "
            "cross-validation needs at least two classes with 2 or more rows each."
        )


@dataclass
class Evaluation:
    """The outcome of cross-validating one configuration."""

    score: float
    oof: np.ndarray  # out-of-fold probabilities, shape (n_rows, n_classes); NaN rows unscored
    fit_time: float
    n_folds: int
    fit_rows: int = 0  # training rows summed over the fits: fit_time / fit_rows is s per row


def aligned_proba(model: Any, X: Any, n_classes: int) -> np.ndarray:
    proba = np.asarray(model.predict_proba(X), dtype=float)
    classes = np.asarray(model.classes_)
    if proba.shape[1] == n_classes and np.array_equal(classes, np.arange(n_classes)):
        return proba
    full = np.zeros((proba.shape[0], n_classes))
    full[:, classes.astype(int)] = proba
    return full


FoldFit = Callable[[np.ndarray, np.ndarray, float], "tuple[np.ndarray, float]"]


def prepare_model(model: Any, timeout: float, epoch_callback: Any = None) -> Any:
    """Hand the remaining time (and an epoch callback) to models that can use them.

    A model whose final estimator has a ``time_limit`` parameter (the MLP) stops training in
    time by itself; one with ``epoch_callback`` reports its validation loss every epoch.
    """
    final = model[-1] if hasattr(model, "steps") else model
    params = final.get_params(deep=False) if hasattr(final, "get_params") else {}
    if "time_limit" in params and math.isfinite(timeout):
        final.set_params(time_limit=max(0.5, 0.9 * timeout))
    if "epoch_callback" in params and epoch_callback is not None:
        final.set_params(epoch_callback=epoch_callback)
    return model


def in_process(
    build: Callable[[], Any],
    X: Any,
    y: np.ndarray,
    n_classes: int,
    epoch_callback: Callable[[int], Callable[[int, float], None]] | None = None,
) -> FoldFit:
    """A fold fitter that builds and fits in this process (the time limit is checked between
    folds, and by models that accept a ``time_limit``). ``epoch_callback(fold)`` gives the
    per-epoch callback of a fold, for models that report epochs."""
    folds = iter(range(10**9))

    def fit_fold(train: np.ndarray, test: np.ndarray, timeout: float):
        fold = next(folds)
        model = prepare_model(
            build(), timeout, epoch_callback(fold) if epoch_callback is not None else None
        )
        start = time.monotonic()
        model.fit(X.iloc[train], y[train])
        proba = aligned_proba(model, X.iloc[test], n_classes)
        return proba, time.monotonic() - start

    return fit_fold


def evaluate_config(
    fit_fold: FoldFit,
    y: np.ndarray,
    splits: list[tuple[np.ndarray, np.ndarray]],
    metric: str,
    n_classes: int,
    *,
    deadline: float | None = None,
    report: Callable[[int, float], None] | None = None,
    screen: np.ndarray | None = None,
    partial_ok: bool = False,
) -> Evaluation:
    """Fit each training split with ``fit_fold`` and score the out-of-fold probabilities.

    ``fit_fold(train, test, timeout)`` returns ``(probabilities of test rows, fit seconds)``.
    ``report(step, partial_score)`` is called after every fold (Optuna pruning hooks in there
    and may raise). Before a fold starts, if the time the previous folds took says it cannot
    finish by ``deadline``, :class:`BudgetExceeded` is raised.

    With ``screen`` (a subsample of the first training split), the configuration is first
    fitted on those rows only and scored on the first split's test rows, reported as step
    ``SCREEN_STEP`` (so that it is compared only with other screened trials): a configuration
    that is poor on a subsample is pruned before the full folds are paid for.

    Before each fold, its time is estimated from the last fit (seconds per training row); a
    fold that cannot finish by ``deadline`` is not started. With ``partial_ok`` (no other
    trial has finished yet), running out of time after the screening fit or a fold ends the
    evaluation early with what is done, instead of raising: a search always has a model.
    """
    oof = np.full((len(y), n_classes), np.nan)
    done = np.zeros(len(y), dtype=bool)
    fit_time, fit_rows = 0.0, 0
    per_row: float | None = None  # seconds per training row, from the last fit
    first_test = splits[0][1]
    screened = None
    if screen is not None:
        left = math.inf if deadline is None else deadline - time.monotonic()
        screened, seconds = fit_fold(screen, first_test, left)
        fit_time, fit_rows, per_row = seconds, len(screen), seconds / max(1, len(screen))
        partial = score_proba(metric, y[first_test], screened)
        if report is not None and np.isfinite(partial):
            report(SCREEN_STEP, partial)
    for i, (train, test) in enumerate(splits):
        left = math.inf if deadline is None else deadline - time.monotonic()
        expected = 0.0 if per_row is None else per_row * len(train)
        if expected > left:
            if partial_ok and (i > 0 or screened is not None):
                if i == 0:  # only the screening fit is done: its predictions stand in
                    oof[first_test], done[first_test] = screened, True
                break
            raise BudgetExceeded(
                f"stopped after {i} of {len(splits)} folds: the next fold would take about "
                f"{expected:.1f} s and {max(left, 0):.1f} s are left"
            )
        proba, seconds = fit_fold(train, test, left)
        oof[test] = proba
        fit_time, fit_rows = fit_time + seconds, fit_rows + len(train)
        per_row = seconds / max(1, len(train))
        done[test] = True
        if report is not None and i < len(splits) - 1:
            partial = score_proba(metric, y[done], oof[done])
            if np.isfinite(partial):
                report(i, partial)
    if not np.isfinite(oof[done]).all():
        raise FloatingPointError("the model predicted NaN or infinite probabilities")
    score = score_proba(metric, y[done], oof[done])
    n_done = sum(bool(done[test].all()) for _, test in splits)
    return Evaluation(score=score, oof=oof, fit_time=fit_time, n_folds=n_done, fit_rows=fit_rows)
