"""The landmarkers that are not plain sklearn estimators, vectorised over rows.

Both handle missing values the way Weka's learners (behind OpenML's landmarkers) do:
naive Bayes leaves a missing value out of the likelihood, and the nearest-neighbour
distance (HEOM) counts a missing value as maximally distant.
"""

from __future__ import annotations

import numpy as np

from ._context import Design

_VAR_SMOOTHING = 1e-9  # sklearn's GaussianNB default


def naive_bayes(
    d: Design, train: np.ndarray, test: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Fit naive Bayes on ``train`` rows, return predicted classes and probabilities of ``test``.

    Numeric attributes are Gaussian exactly as in sklearn's ``GaussianNB`` (biased
    class variances plus ``1e-9`` times the largest variance); nominal attributes use
    Laplace-smoothed level frequencies ``(n_cl + 1) / (n_c + n_levels)``. Priors are the
    training class frequencies.
    """
    y = d.y[train]
    counts = np.bincount(y, minlength=k)
    with np.errstate(divide="ignore"):
        jll = np.tile(np.log(counts / counts.sum()), (test.size, 1))
    onehot = np.zeros((train.size, k))
    onehot[np.arange(train.size), y] = 1.0
    fitted = np.flatnonzero(counts)
    if d.n_numeric:
        _add_gaussian(jll, d, train, test, y, onehot, fitted)
    if d.codes.shape[1]:
        _add_categorical(jll, d, train, test, y, k, fitted)
    pred = np.argmax(jll, axis=1)
    proba = np.exp(jll - jll.max(axis=1, keepdims=True))
    return pred, proba / proba.sum(axis=1, keepdims=True)


def _add_gaussian(jll, d, train, test, y, onehot, fitted) -> None:
    p = d.n_numeric
    x, present = d.X[train, :p], d.numeric_present[train].astype(np.float64)
    n_present = onehot.T @ present  # (k, p)
    with np.errstate(invalid="ignore", divide="ignore"):
        mu = (onehot.T @ (x * present)) / n_present
        dev = (x - np.nan_to_num(mu)[y]) ** 2 * present
        var = (onehot.T @ dev) / n_present
        all_mean = (x * present).sum(axis=0) / present.sum(axis=0)
        all_var = (((x - all_mean) ** 2) * present).sum(axis=0) / present.sum(axis=0)
    eps = _VAR_SMOOTHING * np.nanmax(all_var, initial=0.0)
    var = var + eps
    usable = n_present > 0
    xq, mq = d.X[test, :p], d.numeric_present[test]
    for c in fitted:  # one pass over the test rows per class
        term = np.log(2.0 * np.pi * var[c]) + (xq - mu[c]) ** 2 / var[c]
        jll[:, c] -= 0.5 * np.sum(np.where(mq & usable[c], term, 0.0), axis=1)


def _add_categorical(jll, d, train, test, y, k, fitted) -> None:
    levels = d.n_levels
    start = np.concatenate(([0], np.cumsum(levels)[:-1]))
    total = int(levels.sum())
    codes = d.codes[train]
    valid = codes >= 0
    cell = (start[None, :] + codes)[valid]
    cls = np.broadcast_to(y[:, None], codes.shape)[valid]
    table = np.bincount(cls * total + cell, minlength=k * total).reshape(k, total)
    attr = np.broadcast_to(np.arange(codes.shape[1]), codes.shape)[valid]
    per_attr = np.bincount(cls * codes.shape[1] + attr, minlength=k * codes.shape[1])
    per_attr = per_attr.reshape(k, -1)
    owner = np.repeat(np.arange(levels.size), levels)
    log_p = np.zeros((k, total + 1))  # last column: a missing value, contributing 0
    log_p[:, :total] = np.log((table + 1.0) / (per_attr[:, owner] + levels[owner]))
    tcodes = d.codes[test]
    idx = np.where(tcodes >= 0, start[None, :] + tcodes, total)
    for c in fitted:
        jll[:, c] += log_p[c][idx].sum(axis=1)


def lda(
    d: Design, train: np.ndarray, test: np.ndarray, k: int, tol: float = 1e-4
) -> tuple[np.ndarray, np.ndarray] | None:
    """Linear discriminant analysis, as sklearn's ``LinearDiscriminantAnalysis()``.

    The same SVD solver as sklearn 1.9 (within-class scaling by ``1 / n``, rank cut at
    ``tol``, projection on the class centroids), priors = training class frequencies.
    Returns predicted classes and probabilities of the ``test`` rows, or None when LDA
    is undefined (fewer rows than classes, or a single training class).
    """
    X, y = d.X[train], d.y[train]
    present = np.flatnonzero(np.bincount(y, minlength=k))
    n, c = X.shape[0], present.size
    if c < 2 or n <= c:
        return None
    yl = np.searchsorted(present, y)
    counts = np.bincount(yl, minlength=c).astype(np.float64)
    priors = counts / n
    means = np.zeros((c, X.shape[1]))
    np.add.at(means, yl, X)
    means /= counts[:, None]
    within = X - means[yl]
    std = within.std(axis=0)
    std[std == 0] = 1.0
    _, s, vt = _svd(np.sqrt(1.0 / n) * (within / std))
    rank = int(np.sum(s > tol))
    scalings = (vt[:rank] / std).T / s[:rank]
    xbar = priors @ means
    centred = np.sqrt(n * priors / (c - 1))[:, None] * (means - xbar)
    _, s, vt = np.linalg.svd(centred @ scalings, full_matrices=False)
    rank = int(np.sum(s > tol * s[0]))
    scalings = scalings @ vt.T[:, :rank]
    coef = (means - xbar) @ scalings
    intercept = -0.5 * np.sum(coef**2, axis=1) + np.log(priors)
    coef = coef @ scalings.T
    intercept -= xbar @ coef.T
    scores = d.X[test] @ coef.T + intercept
    if c == 2:  # sklearn's binary rule: one decision function, sigmoid probabilities
        margin = scores[:, 1] - scores[:, 0]
        local_pred = (margin > 0).astype(np.intp)
        p1 = 1.0 / (1.0 + np.exp(-margin))
        local_proba = np.column_stack([1.0 - p1, p1])
    else:
        local_pred = np.argmax(scores, axis=1)
        local_proba = np.exp(scores - scores.max(axis=1, keepdims=True))
        local_proba /= local_proba.sum(axis=1, keepdims=True)
    proba = np.zeros((test.size, k))
    proba[:, present] = local_proba
    return present[local_pred], proba


def _svd(a: np.ndarray) -> tuple[None, np.ndarray, np.ndarray]:
    """Singular values and right singular vectors; a tall matrix is reduced by QR first."""
    if a.shape[0] > a.shape[1]:
        a = np.linalg.qr(a, mode="r")
    _, s, vt = np.linalg.svd(a, full_matrices=False)
    return None, s, vt


class Heom:
    """Nearest neighbour under the heterogeneous Euclidean-overlap metric (HEOM).

    Squared distance: sum over numeric attributes of the squared difference of the
    min-max scaled values, plus the number of nominal attributes whose levels differ;
    an attribute missing on either side contributes 1 (Wilson & Martinez, 1997).
    """

    def __init__(self, d: Design) -> None:
        p = d.n_numeric
        self.x = d.X[:, :p]
        self.onehot = d.X[:, p:]
        self.n_nominal = d.codes.shape[1]
        self.present = d.numeric_present.astype(np.float64)
        self.has_missing = not bool(d.numeric_present.all())
        self.xm = self.x * self.present
        self.sq = self.xm * self.xm

    def nearest(self, queries: np.ndarray, points: np.ndarray, block: int = 1024) -> np.ndarray:
        """Row index (into ``points``) of the nearest point of each query row."""
        out = np.empty(queries.size, dtype=np.intp)
        p_sq = self.sq[points].sum(axis=1)
        for s in range(0, queries.size, block):
            q = queries[s : s + block]
            dist = self.n_nominal - self.onehot[q] @ self.onehot[points].T
            if self.has_missing:
                mq, mp = self.present[q], self.present[points]
                dist += (
                    self.sq[q] @ mp.T
                    + mq @ self.sq[points].T
                    - 2.0 * self.xm[q] @ self.xm[points].T
                    + (self.x.shape[1] - mq @ mp.T)
                )
            else:  # |q|^2 is the same for every candidate of a query: left out
                dist += p_sq[None, :] - 2.0 * self.x[q] @ self.x[points].T
            out[s : s + block] = np.argmin(dist, axis=1)
        return out
