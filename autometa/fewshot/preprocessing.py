"""Feature encoding shared by meta-training and inference.

The network sees, for every row, ``max_features`` values and ``max_features`` missing flags.
:func:`encode_features` turns a support and a query matrix (float, categorical columns as
integer codes, NaN for missing) into that form, using statistics of the support rows only.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

TRANSFORMS = ("robust", "quantile")
ONEHOT_MAX_LEVELS = 5


@dataclass(frozen=True)
class EncodingPlan:
    """How one ensemble member encodes the columns (drawn once, applied to any rows).

    Attributes
    ----------
    columns : ndarray of int
        Original columns used, in the order presented to the network.
    transform : str
        ``"robust"`` (median/IQR standardisation, clipped) or ``"quantile"``
        (support ranks mapped to normal scores).
    level_perms : dict
        For each categorical column, a permutation of its level codes.
    onehot : frozenset
        Categorical columns expanded to one-hot indicators.
    """

    columns: np.ndarray
    transform: str
    level_perms: dict
    onehot: frozenset


def make_plan(
    is_cat: np.ndarray,
    n_levels: np.ndarray,
    rng: np.random.Generator,
    *,
    max_features: int,
    transform: str | None = None,
    shuffle: bool = True,
    candidates: np.ndarray | None = None,
    onehot_max_levels: int = ONEHOT_MAX_LEVELS,
) -> EncodingPlan:
    """Draw a random encoding plan: feature subset/order, level order, transform.

    Categorical columns with 3 to ``onehot_max_levels`` levels are one-hot encoded with
    probability 1/2 while the encoded width stays within ``max_features``; the others are
    level codes in a random order. A network reads the encoding it was meta-trained with, so
    inference takes ``onehot_max_levels`` from the weights' metadata.
    """
    p = len(is_cat)
    cols = np.arange(p) if candidates is None else np.asarray(candidates)
    if shuffle:
        cols = rng.permutation(cols)
    # keep the encoded width within max_features: one-hot only while there is room
    onehot = []
    width = 0
    chosen = []
    for j in cols:
        if width >= max_features:
            break
        k = int(n_levels[j]) if is_cat[j] else 0
        if (
            is_cat[j]
            and 3 <= k <= onehot_max_levels
            and width + k <= max_features
            and (rng.random() < 0.5 if shuffle else True)
        ):
            onehot.append(int(j))
            width += k
        else:
            width += 1
        chosen.append(int(j))
    perms = {
        int(j): rng.permutation(max(int(n_levels[j]), 1))
        if shuffle
        else np.arange(max(int(n_levels[j]), 1))
        for j in chosen
        if is_cat[j]
    }
    if transform is None:
        transform = TRANSFORMS[int(rng.integers(len(TRANSFORMS)))]
    return EncodingPlan(np.asarray(chosen, dtype=np.int64), transform, perms, frozenset(onehot))


def _expand(x: np.ndarray, plan: EncodingPlan, n_levels: np.ndarray) -> np.ndarray:
    blocks = []
    for j in plan.columns:
        col = x[:, j]
        if j in plan.level_perms:
            perm = plan.level_perms[j]
            codes = np.where(np.isnan(col), -1, col).astype(np.int64)
            codes = np.where((codes >= 0) & (codes < len(perm)), codes, -1)
            mapped = np.where(codes >= 0, perm[np.maximum(codes, 0)], -1)
            if j in plan.onehot:
                k = int(n_levels[j])
                onehot = (mapped[:, None] == np.arange(k)[None, :]).astype(np.float64)
                onehot[mapped < 0] = np.nan
                blocks.append(onehot)
                continue
            blocks.append(np.where(mapped >= 0, mapped, np.nan).astype(np.float64)[:, None])
        else:
            blocks.append(col[:, None])
    if not blocks:
        return np.zeros((x.shape[0], 0))
    return np.concatenate(blocks, axis=1)


@dataclass(frozen=True)
class FittedEncoding:
    """A plan with the support statistics it needs; encodes any rows the same way.

    Attributes
    ----------
    plan : EncodingPlan
    n_levels : ndarray of int
        Number of levels of every original column (0 for numeric columns).
    varying : ndarray of bool
        Expanded columns kept: not constant (nor all missing) on the support rows.
    center, scale : ndarray of shape (n_used,)
        ``"robust"`` transform: median and scale of the kept columns (None otherwise).
    distinct : ndarray of shape (n_used, n_max)
        ``"quantile"`` transform (None otherwise): the distinct non-missing support values
        of every kept column, sorted, padded with +inf; ``n_distinct`` counts them (>= 1).
    score_equal, score_between : ndarray of shape (n_used, n_max), (n_used, n_max + 1)
        ``"quantile"`` transform (None otherwise): the normal score of a value equal to
        ``distinct[j, i]``, and of one above ``distinct[j, i - 1]`` and below
        ``distinct[j, i]``.
    """

    plan: EncodingPlan
    n_levels: np.ndarray
    varying: np.ndarray
    center: np.ndarray | None = None
    scale: np.ndarray | None = None
    distinct: np.ndarray | None = None
    n_distinct: np.ndarray | None = None
    score_equal: np.ndarray | None = None
    score_between: np.ndarray | None = None

    @property
    def n_used(self) -> int:
        """Number of encoded columns."""
        return int(self.varying.sum())


def _robust_statistics(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        med = np.nanmedian(s, axis=0)
        q75, q25 = np.nanpercentile(s, [75, 25], axis=0)
        std = np.nanstd(s, axis=0)
    scale = (q75 - q25) / 1.349
    scale = np.where(scale > 1e-8, scale, std)
    scale = np.where(scale > 1e-8, scale, 1.0)
    med = np.where(np.isfinite(med), med, 0.0)
    return med, scale


def _normal_scores(s: np.ndarray) -> dict:
    """Quantile transform tables of the support columns ``s`` (see FittedEncoding).

    A value's score is ``ndtri(u)`` with ``u = (0.5 * (lo + hi) + 0.5) / (n + 1)``, ``lo``
    and ``hi`` the numbers of the column's ``n`` non-missing support values below it and
    at most equal to it (its mid-rank); tabulated for every possible ``(lo, hi)``.
    """
    from scipy.special import ndtri

    cols = [np.unique(col[~np.isnan(col)], return_counts=True) for col in s.T]
    n_distinct = np.array([len(v) for v, _ in cols], dtype=np.int64)
    width = int(n_distinct.max(initial=0))
    distinct = np.full((len(cols), width), np.inf)
    equal = np.zeros((len(cols), width))
    between = np.zeros((len(cols), width + 1))
    for j, (values, counts) in enumerate(cols):
        below = np.concatenate([[0], np.cumsum(counts)])  # support values < values[i]
        n = int(below[-1])
        distinct[j, : len(values)] = values
        equal[j, : len(values)] = ndtri((0.5 * (below[:-1] + below[1:]) + 0.5) / (n + 1.0))
        between[j, : len(below)] = ndtri((0.5 * (below + below) + 0.5) / (n + 1.0))
    return {
        "distinct": distinct,
        "n_distinct": n_distinct,
        "score_equal": equal,
        "score_between": between,
    }


def _fit(s: np.ndarray, plan: EncodingPlan, n_levels: np.ndarray) -> FittedEncoding:
    """Statistics of the expanded support rows ``s``."""
    ms = np.isnan(s)
    # drop columns constant (or all missing) on the support rows
    with np.errstate(all="ignore"):
        lo = np.where(ms, np.inf, s).min(axis=0) if len(s) else np.zeros(s.shape[1])
        hi = np.where(ms, -np.inf, s).max(axis=0) if len(s) else np.zeros(s.shape[1])
    varying = (hi > lo) | (ms.any(axis=0) & ~ms.all(axis=0))  # some non-missing value
    s, n_levels = s[:, varying], np.asarray(n_levels)
    if plan.transform == "quantile":
        return FittedEncoding(plan, n_levels, varying, **_normal_scores(s))
    center, scale = _robust_statistics(s) if s.shape[1] else (np.zeros(0), np.zeros(0))
    return FittedEncoding(plan, n_levels, varying, center, scale)


def _transform(enc: FittedEncoding, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Encode expanded rows ``x``: values (0 where missing) and missing flags, float32."""
    x = x[:, enc.varying]
    missing = np.isnan(x)
    if enc.plan.transform == "quantile":
        # position of every value among its column's distinct support values (NaN: last)
        pos = np.empty(x.shape, dtype=np.int64)
        for j, n in enumerate(enc.n_distinct):
            pos[:, j] = np.searchsorted(enc.distinct[j, :n], x[:, j])
        cols = np.arange(x.shape[1])
        last = np.minimum(pos, enc.n_distinct - 1)
        equal = enc.distinct[cols, last] == x
        x = np.where(equal, enc.score_equal[cols, last], enc.score_between[cols, pos])
    else:
        x = np.clip((x - enc.center) / enc.scale, -5.0, 5.0)
    x[missing] = 0.0
    np.nan_to_num(x, copy=False, nan=0.0, posinf=5.0, neginf=-5.0)
    return x.astype(np.float32), missing.astype(np.float32)


def fit_encoding(x_support: np.ndarray, plan: EncodingPlan, n_levels: np.ndarray) -> FittedEncoding:
    """The support statistics a plan needs (see :func:`transform_features`)."""
    s = _expand(np.asarray(x_support, dtype=np.float64), plan, n_levels)
    return _fit(s, plan, n_levels)


def transform_features(enc: FittedEncoding, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Encode rows with fitted support statistics.

    Returns
    -------
    v, m : ndarray of shape (n_rows, enc.n_used), float32
        Values (0 where missing) and missing flags.
    """
    return _transform(enc, _expand(np.asarray(x, dtype=np.float64), enc.plan, enc.n_levels))


def encode_features(
    x_support: np.ndarray,
    x_query: np.ndarray,
    plan: EncodingPlan,
    n_levels: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Encode support and query rows with a plan, using support statistics only.

    The same as :func:`fit_encoding` on the support rows followed by
    :func:`transform_features` of both.

    Returns
    -------
    vs, ms : ndarray of shape (n_support, n_used), float32
        Values (0 where missing) and missing flags of the support rows.
    vq, mq : ndarray of shape (n_query, n_used), float32
        The same for the query rows.
    """
    s = _expand(np.asarray(x_support, dtype=np.float64), plan, n_levels)
    enc = _fit(s, plan, n_levels)
    q = _expand(np.asarray(x_query, dtype=np.float64), plan, n_levels)
    return (*_transform(enc, s), *_transform(enc, q))


def pad_features(
    v: np.ndarray, m: np.ndarray, max_features: int, width: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Zero-pad to ``max_features`` columns and rescale by ``sqrt(max_features / n_used)``.

    With ``width`` (at least ``n_used``), only the first ``width`` of those columns are
    returned: the network's input layer skips the columns that are zero anyway.
    """
    n, used = v.shape
    if used > max_features:
        raise ValueError(f"Got {used} encoded features, more than max_features={max_features}.")
    width = max_features if width is None else width
    out_v = np.zeros((n, width), dtype=np.float32)
    out_m = np.zeros((n, width), dtype=np.float32)
    if used:
        out_v[:, :used] = v * np.float32(np.sqrt(max_features / used))
        out_m[:, :used] = m
    return out_v, out_m
