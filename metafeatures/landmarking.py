"""Landmarking: cross-validated scores of cheap learners.

The learners see the design matrix of :class:`metafeatures._context.Design` (numeric
columns min-max scaled, nominal columns one-hot), on the stratified subsample when the
data has more than ``max_rows`` rows. Naive Bayes and 1-NN (HEOM distance) treat missing
values as Weka does (see :mod:`metafeatures._learners`); the trees and LDA see numeric
missing values mean-imputed and nominal ones as an all-zero one-hot row. Folds are sklearn's
``StratifiedKFold(cv_folds, shuffle=True, random_state=seed)``, the same folds pymfe
uses with ``shuffle_cv_folds=True``.

For each learner: mean and standard deviation of the per-fold accuracy (pymfe's
definition), and the weighted one-vs-rest AUC and Cohen's kappa of the pooled
out-of-fold predictions (OpenML's definition). The three tree landmarkers of depth 1,
2 and 3 are read off one depth-3 CART tree per fold (:mod:`metafeatures._cart`): CART
chooses a node's split without regard to the depth limit, so truncating the deeper
tree gives the shallower ones.
"""

from __future__ import annotations

import numpy as np

from . import _cart as cart
from ._context import Context
from ._learners import Heom, lda, naive_bayes
from ._spec import Feature, feature
from ._summary import NAN, nan_dict
from ._table import Table

_G = "landmarking"

# key, learner, reference, pymfe name, OpenML prefix
_LEARNERS = (
    (
        "one_nn",
        "1-nearest neighbour (HEOM distance)",
        "Pfahringer et al. (2000)",
        "one_nn",
        "kNN_1N",
    ),
    (
        "naive_bayes",
        "naive Bayes (Gaussian numeric, Laplace-smoothed nominal attributes)",
        "Pfahringer et al. (2000)",
        "naive_bayes",
        "NaiveBayes",
    ),
    (
        "linear_discr",
        "linear discriminant analysis",
        "Pfahringer et al. (2000)",
        "linear_discr",
        None,
    ),
    (
        "best_node",
        "decision stump (depth-1 CART tree)",
        "Pfahringer et al. (2000)",
        "best_node",
        "DecisionStump",
    ),
    (
        "random_node",
        "depth-1 CART tree on one attribute drawn at random",
        "Pfahringer et al. (2000)",
        "random_node",
        None,
    ),
    ("depth2_tree", "depth-2 CART tree", "Bensusan & Giraud-Carrier (2000)", None, "REPTreeDepth2"),
    ("depth3_tree", "depth-3 CART tree", "Bensusan & Giraud-Carrier (2000)", None, "REPTreeDepth3"),
)


def _features() -> tuple[Feature, ...]:
    out: tuple[Feature, ...] = ()
    for key, learner, ref, pymfe, openml in _LEARNERS:
        out += feature(
            _G,
            f"{key}.mean",
            f"Accuracy of a {learner}: mean over CV folds "
            "(OpenML reports the pooled error rate, 1 - accuracy).",
            ref,
            pymfe=pymfe and f"{pymfe}.mean",
            openml=openml and f"{openml}ErrRate",
        )
        out += feature(
            _G,
            f"{key}.sd",
            f"Accuracy of a {learner}: standard deviation (ddof=1) over CV folds.",
            ref,
            pymfe=pymfe and f"{pymfe}.sd",
        )
        out += feature(
            _G,
            f"{key}.auc",
            f"Weighted one-vs-rest ROC AUC of a {learner}, "
            "from pooled out-of-fold class probabilities.",
            ref,
            openml=openml and f"{openml}AUC",
        )
        out += feature(
            _G,
            f"{key}.kappa",
            f"Cohen's kappa of a {learner}, from pooled out-of-fold predictions.",
            ref,
            openml=openml and f"{openml}Kappa",
        )
    return out


FEATURES = _features()
_NAMES = tuple(f.name for f in FEATURES)


def compute(table: Table, ctx: Context) -> dict[str, float]:
    """Compute the landmarking meta-features (NaN when fewer than two classes)."""
    from sklearn.model_selection import StratifiedKFold

    out = nan_dict(_NAMES)
    d = ctx.design
    y, k = d.y, d.n_classes
    counts = np.bincount(y, minlength=k)
    n_splits = int(min(ctx.cv_folds, counts.max(initial=0)))
    if k < 2 or n_splits < 2 or d.X.shape[1] == 0:
        return out
    folds = list(StratifiedKFold(n_splits, shuffle=True, random_state=ctx.seed).split(d.X, y))
    fold_id = np.empty(y.size, dtype=np.intp)
    for i, (_, test) in enumerate(folds):
        fold_id[test] = i

    pred = {key: np.zeros(y.size, dtype=np.intp) for key, *_ in _LEARNERS}
    proba = {key: np.zeros((y.size, k)) for key, *_ in _LEARNERS}
    failed: set[str] = set()
    random_cols = np.flatnonzero(d.attribute == ctx.rng(1).integers(d.n_attributes))
    if random_cols.size == 0:  # a nominal attribute without any level
        failed.add("random_node")
    X32 = d.X.astype(np.float32)  # CART works on float32 values, as sklearn's trees do
    _trees(X32, y, k, folds, fold_id, random_cols, pred, proba)
    heom = Heom(d)
    for train, test in folds:
        pred["naive_bayes"][test], proba["naive_bayes"][test] = naive_bayes(d, train, test, k)
        pred["one_nn"][test] = y[train][heom.nearest(test, train)]
        fitted = lda(d, train, test, k)
        if fitted is None:
            failed.add("linear_discr")
        else:
            pred["linear_discr"][test], proba["linear_discr"][test] = fitted
    proba["one_nn"][np.arange(y.size), pred["one_nn"]] = 1.0

    for key, *_ in _LEARNERS:
        if key not in failed:
            out.update(_scores(key, y, pred[key], proba[key], fold_id, counts))
    return out


def _trees(X32, y, k, folds, fold_id, random_cols, pred, proba) -> None:
    """Depth-1, 2 and 3 trees (a depth-3 tree per fold, truncated) and the random stumps.

    The trees of all folds grow together; each row is predicted by its fold's tree.
    """
    trains = [train for train, _ in folds]
    order = np.argsort(X32, axis=0, kind="stable").T
    forest = cart.fit_forest(X32, y, k, 3, trains, order)
    node_proba = forest.proba()
    reached = forest.descend(X32, fold_id, 3)
    for key, level in (("best_node", 1), ("depth2_tree", 2), ("depth3_tree", 3)):
        proba[key] = node_proba[reached[level]]
        pred[key] = np.argmax(proba[key], axis=1)
    if random_cols.size:
        X_attr = X32[:, random_cols]
        stumps = cart.fit_forest(X_attr, y, k, 1, trains, order[random_cols])
        proba["random_node"] = stumps.proba()[stumps.descend(X_attr, fold_id, 1)[1]]
        pred["random_node"] = np.argmax(proba["random_node"], axis=1)


def _scores(key, y, pred, proba, fold_id, counts) -> dict[str, float]:
    correct = np.bincount(fold_id, weights=(pred == y).astype(np.float64))
    acc = correct / np.bincount(fold_id)
    return {
        f"{key}.mean": float(acc.mean()),
        f"{key}.sd": float(acc.std(ddof=1)),
        f"{key}.auc": weighted_auc(y, proba, counts),
        f"{key}.kappa": cohen_kappa(y, pred, counts.size),
    }


def weighted_auc(y: np.ndarray, proba: np.ndarray, counts: np.ndarray) -> float:
    """One-vs-rest ROC AUC of each class, averaged with weights = class prevalence."""
    from scipy.stats import rankdata

    m = y.size
    ranks = rankdata(proba, axis=0)
    pos_rank = np.bincount(y, weights=ranks[np.arange(m), y], minlength=counts.size)
    neg = m - counts
    with np.errstate(invalid="ignore", divide="ignore"):
        auc = (pos_rank - counts * (counts + 1) / 2.0) / (counts * neg)
    ok = (counts > 0) & (neg > 0)
    return float(np.sum(auc[ok] * counts[ok]) / np.sum(counts[ok])) if ok.any() else NAN


def cohen_kappa(y: np.ndarray, pred: np.ndarray, k: int) -> float:
    """Cohen's kappa between true and predicted classes."""
    m = y.size
    confusion = np.bincount(y * k + pred, minlength=k * k).reshape(k, k) / m
    observed = np.trace(confusion)
    expected = float(confusion.sum(axis=1) @ confusion.sum(axis=0))
    return (observed - expected) / (1.0 - expected) if expected < 1.0 else NAN
