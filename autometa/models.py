"""Small scikit-learn estimators that make library models safe to use inside a search."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import StratifiedKFold
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import SVC

__all__ = ["CappedKNeighborsClassifier", "ScaledGammaSVC"]


class CappedKNeighborsClassifier(ClassifierMixin, BaseEstimator):
    """k-NN whose ``n_neighbors`` is capped at the number of training rows.

    A configuration chosen on one dataset (``n_neighbors=50``) stays valid on a smaller one.
    """

    def __init__(self, n_neighbors=5, weights="uniform", p=2, n_jobs=None):
        self.n_neighbors = n_neighbors
        self.weights = weights
        self.p = p
        self.n_jobs = n_jobs

    def fit(self, X, y):
        k = max(1, min(int(self.n_neighbors), len(X)))
        self.model_ = KNeighborsClassifier(
            n_neighbors=k, weights=self.weights, p=self.p, n_jobs=self.n_jobs
        ).fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X):
        return self.model_.predict_proba(X)

    def predict(self, X):
        return self.model_.predict(X)


class ScaledGammaSVC(ClassifierMixin, BaseEstimator):
    """SVC with sigmoid-calibrated probabilities.

    Its RBF ``gamma`` is ``gamma_scale`` times scikit-learn's ``gamma="scale"``
    (``1 / (n_features * X.var())``), so one value suits data of any width.
    """

    def __init__(self, C=1.0, gamma_scale=1.0, kernel="rbf", random_state=None):
        self.C = C
        self.gamma_scale = gamma_scale
        self.kernel = kernel
        self.random_state = random_state

    def fit(self, X, y):
        X = np.asarray(X, dtype=float)
        var = X.var()
        gamma = self.gamma_scale / (X.shape[1] * var) if var > 0 else self.gamma_scale
        svc = SVC(C=self.C, kernel=self.kernel, gamma=gamma, random_state=self.random_state)
        smallest = np.unique(y, return_counts=True)[1].min()
        if smallest >= 2:
            cv = StratifiedKFold(min(3, smallest), shuffle=True, random_state=0)
            self.model_ = CalibratedClassifierCV(svc, method="sigmoid", cv=cv, ensemble=False)
        else:  # a class with one row: calibrate on the training rows themselves
            self.model_ = CalibratedClassifierCV(FrozenEstimator(svc.fit(X, y)), method="sigmoid")
        self.model_.fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X):
        return self.model_.predict_proba(np.asarray(X, dtype=float))

    def predict(self, X):
        return self.model_.predict(np.asarray(X, dtype=float))
