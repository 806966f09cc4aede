"""Greedy ensemble selection (Caruana et al., 2004) over out-of-fold predictions."""

from __future__ import annotations

from collections import Counter

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from autometa.search.evaluation import score_proba

__all__ = ["EnsembleClassifier", "greedy_ensemble"]


def greedy_ensemble(
    oofs: list[np.ndarray], y: np.ndarray, metric: str, size: int = 25
) -> dict[int, float]:
    """Select models with replacement to maximise ``metric`` of the averaged predictions.

    Parameters
    ----------
    oofs : list of ndarray of shape (n_rows, n_classes)
        Out-of-fold probabilities of the candidate models, on the same rows.
    y : ndarray of shape (n_rows,)
    metric : str
    size : int, default=25
        Number of selection rounds.

    Returns
    -------
    dict
        Candidate index -> weight (weights sum to 1).

    References
    ----------
    Caruana, Niculescu-Mizil, Crew and Ksikes. Ensemble selection from libraries of models.
    ICML 2004.
    """
    if not oofs:
        raise ValueError("greedy_ensemble needs at least one candidate.")
    total = np.zeros_like(oofs[0])
    picks: list[int] = []
    best_so_far = -np.inf
    for step in range(1, size + 1):
        scores = [score_proba(metric, y, (total + p) / step) for p in oofs]
        j = int(np.nanargmax(scores))
        if step > 1 and scores[j] < best_so_far - 1e-12:
            break
        best_so_far = max(best_so_far, scores[j])
        picks.append(j)
        total += oofs[j]
    counts = Counter(picks)
    return {j: c / len(picks) for j, c in sorted(counts.items())}


class EnsembleClassifier(ClassifierMixin, BaseEstimator):
    """A weighted average of fitted classifiers' probabilities (all trained on labels 0..K-1)."""

    def __init__(self, estimators=None, weights=None, n_classes=2):
        self.estimators = estimators
        self.weights = weights
        self.n_classes = n_classes

    def fit(self, X, y):
        for est in self.estimators:
            est.fit(X, y)
        self.classes_ = np.arange(self.n_classes)
        return self

    def predict_proba(self, X):
        total = np.zeros((len(X), self.n_classes))
        for est, w in zip(self.estimators, self.weights, strict=True):
            proba = np.asarray(est.predict_proba(X), dtype=float)
            cols = np.asarray(est.classes_).astype(int)
            total[:, cols] += w * proba
        return total / total.sum(1, keepdims=True)

    def predict(self, X):
        return self.predict_proba(X).argmax(1)
