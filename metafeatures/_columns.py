"""Vectorised, missing-aware passes over a numeric block of shape (n_columns, n_rows).

Two passes, both in blocks of about ``CHUNK_BYTES`` so that temporaries stay small:

* :func:`profile` walks column blocks: moments, order statistics and the
  equal-frequency discretisation of every column (one argsort per block);
* :func:`cross_products` walks row blocks, rows grouped by class: the centred Gram
  matrix (pairwise-complete sums when values are missing), class sums, and the
  per-class Gram matrices.

A column's statistics use its non-missing values; results needing more values than
a column has are NaN.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CHUNK_BYTES = 4_000_000
EDGE_TOL = 1e-8  # pymfe merges discretisation edges closer than this


@dataclass(frozen=True)
class Profile:
    """Per-column statistics (arrays of shape (n_columns,)) and level codes.

    ``skewness`` and ``kurtosis`` are ``m3 / s^3`` and ``m4 / s^4 - 3`` with ``s`` the
    ddof=1 standard deviation (type 3 of Joanes & Gill, as pymfe). ``codes`` holds, per
    value, its equal-frequency bin ``0..bins-1`` (``bins`` for a missing value).
    """

    count: np.ndarray
    mean: np.ndarray
    var: np.ndarray
    skewness: np.ndarray
    kurtosis: np.ndarray
    minimum: np.ndarray
    maximum: np.ndarray
    q1: np.ndarray
    median: np.ndarray
    q3: np.ndarray
    mad: np.ndarray
    trimmed_mean: np.ndarray
    distinct: np.ndarray
    outlier_frac: np.ndarray
    has_missing: bool
    codes: np.ndarray
    bins: int


def profile(block: np.ndarray, bins: int) -> Profile:
    """One pass over column blocks of ``block`` (NaN = missing)."""
    p, n = block.shape
    step = max(1, CHUNK_BYTES // (8 * max(n, 1)))
    parts: dict[str, list[np.ndarray]] = {}
    codes = np.empty((p, n), dtype=np.uint8 if bins < 255 else np.uint16)
    has_missing = False
    for j in range(0, p, step):
        chunk = np.ascontiguousarray(block[j : j + step], dtype=np.float64)
        stats, missing = _column_stats(chunk, bins, codes[j : j + step])
        has_missing |= missing
        for key, value in stats.items():
            parts.setdefault(key, []).append(value)
    merged = {k: np.concatenate(v) for k, v in parts.items()}
    return Profile(**merged, has_missing=has_missing, codes=codes, bins=bins)


def _column_stats(a: np.ndarray, bins: int, codes_out: np.ndarray) -> tuple[dict, bool]:
    c, n = a.shape
    missing = np.isnan(a)
    has_missing = bool(missing.any())
    cnt = n - missing.sum(axis=1) if has_missing else np.full(c, n)
    order = np.argsort(a, axis=1)  # missing values sort last
    s = np.take_along_axis(a, order, axis=1)
    rows = np.arange(c)[:, None]
    last = np.maximum(cnt - 1, 0)[:, None]

    def quantiles(q: np.ndarray, srt: np.ndarray = s) -> np.ndarray:
        pos = q[None, :] * last
        lo = np.floor(pos).astype(np.int64)
        hi = np.minimum(lo + 1, last)
        return np.where(cnt[:, None] > 0, _lerp(srt[rows, lo], srt[rows, hi], pos - lo), np.nan)

    filled = np.where(missing, 0.0, a) if has_missing else a
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = filled.sum(axis=1) / cnt
        d = a - mean[:, None]
        if has_missing:
            d[missing] = 0.0
        d2 = d * d
        m2, m3, m4 = d2.sum(axis=1) / cnt, (d2 * d).sum(axis=1) / cnt, (d2 * d2).sum(axis=1) / cnt
        var = m2 * cnt / (cnt - 1)
        q1, med, q3 = quantiles(np.array([0.25, 0.5, 0.75])).T
        absdev = np.sort(np.abs(a - med[:, None]), axis=1)
        iqr = q3 - q1
        outside = (a < (q1 - 1.5 * iqr)[:, None]) | (a > (q3 + 1.5 * iqr)[:, None])
        stats = {
            "count": cnt.astype(np.int64),
            "mean": mean,
            "var": var,
            "skewness": m3 / var**1.5,
            "kurtosis": m4 / var**2 - 3.0,
            "minimum": np.where(cnt > 0, s[:, 0], np.nan),
            "maximum": s[rows[:, 0], last[:, 0]],
            "q1": q1,
            "median": med,
            "q3": q3,
            "mad": 1.4826 * quantiles(np.array([0.5]), absdev)[:, 0],
            "trimmed_mean": _trimmed_mean(s, cnt, 0.2),
            "distinct": _distinct(s, cnt),
            "outlier_frac": outside.sum(axis=1) / cnt,
        }
    stats["maximum"] = np.where(cnt > 0, stats["maximum"], np.nan)
    _discretise(s, order, cnt, quantiles(np.linspace(0, 1, bins + 1)[1:]), bins, codes_out)
    return stats, has_missing


def _lerp(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Linear interpolation rounded exactly as numpy's quantile does it."""
    diff = b - a
    return np.where(t >= 0.5, b - diff * (1.0 - t), a + diff * t)


def _trimmed_mean(s: np.ndarray, cnt: np.ndarray, cut: float) -> np.ndarray:
    """Mean after dropping ``int(cut * count)`` values at each end (scipy's trim_mean)."""
    c = s.shape[0]
    csum = np.zeros((c, s.shape[1] + 1))
    np.cumsum(np.where(np.isnan(s), 0.0, s), axis=1, out=csum[:, 1:])
    low = (cut * cnt).astype(np.int64)
    high = cnt - low
    rows = np.arange(c)
    return (csum[rows, high] - csum[rows, low]) / (high - low)


def _distinct(s: np.ndarray, cnt: np.ndarray) -> np.ndarray:
    """Number of distinct non-missing values of each sorted row."""
    changes = (s[:, 1:] != s[:, :-1]) & (np.arange(1, s.shape[1])[None, :] < cnt[:, None])
    return (cnt > 0).astype(np.int64) + changes.sum(axis=1)


def _run_end(s: np.ndarray) -> np.ndarray:
    """For each sorted position, the last position holding the same value."""
    n = s.shape[1]
    idx = np.arange(n)
    boundary = np.ones(s.shape, dtype=bool)
    boundary[:, :-1] = s[:, 1:] != s[:, :-1]
    ends = np.where(boundary, idx[None, :], n)
    return np.minimum.accumulate(ends[:, ::-1], axis=1)[:, ::-1]


def _discretise(s, order, cnt, edges, bins, out) -> None:
    """Write into ``out`` the number of (kept) edges strictly below each value.

    This is ``np.digitize(x, edges, right=True)``, pymfe's rule, computed in sorted
    order: with ``k_e`` values ``<= e``, the value at sorted position ``i`` exceeds
    ``e`` exactly when ``i >= k_e``.
    """
    c, n = s.shape
    keep = np.ones(edges.shape, dtype=bool)
    keep[:, 1:] = np.diff(edges, axis=1) > EDGE_TOL
    last = np.maximum(cnt - 1, 0)[:, None]
    pos = np.linspace(0, 1, bins + 1)[1:][None, :] * last
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, last)
    rows = np.arange(c)[:, None]
    run_end = _run_end(s)
    upto = np.where(edges >= s[rows, hi], run_end[rows, hi], run_end[rows, lo]) + 1
    upto = np.where(keep & (cnt[:, None] > 0), upto, n + 1)  # dropped edges never count
    marks = np.bincount((rows * (n + 2) + np.minimum(upto, n + 1)).ravel(),
                        minlength=c * (n + 2)).reshape(c, n + 2)
    sorted_codes = np.cumsum(marks[:, :n], axis=1)
    sorted_codes[np.arange(n)[None, :] >= cnt[:, None]] = bins  # missing values
    np.put_along_axis(out, order, sorted_codes.astype(out.dtype), axis=1)


@dataclass(frozen=True)
class CrossProducts:
    """Sums over rows of products of the centred values ``d = x - mean`` (missing -> 0).

    Attributes
    ----------
    gram : (p, p) sum of ``d d^T``.
    class_sums : (p, k) sum of ``d`` within each class.
    class_gram : (k, p, p) per-class ``d d^T`` sums, or None when not requested.
    present_pairs, d_present, d2_present : (p, p) or None
        With missing values: rows where both columns are present, sum of ``d_j`` and of
        ``d_j^2`` over rows where column k is present.
    class_present : (p, k) or None
        With missing values: non-missing values per column and class.
    """

    gram: np.ndarray
    class_sums: np.ndarray
    class_gram: np.ndarray | None
    present_pairs: np.ndarray | None
    d_present: np.ndarray | None
    d2_present: np.ndarray | None
    class_present: np.ndarray | None


def cross_products(
    block: np.ndarray, mean: np.ndarray, y: np.ndarray, counts: np.ndarray,
    *, per_class: bool, has_missing: bool,
) -> CrossProducts:
    """One pass over row blocks of ``block`` taken in class order."""
    p, n = block.shape
    k = counts.size
    order = np.argsort(y, kind="stable")
    bounds = np.concatenate(([0], np.cumsum(counts)))
    step = max(1, CHUNK_BYTES // (8 * max(p, 1)))
    gram = np.zeros((p, p))
    class_sums = np.zeros((p, k))
    class_gram = np.zeros((k, p, p)) if per_class else None
    pp = np.zeros((p, p)) if has_missing else None
    dp = np.zeros((p, p)) if has_missing else None
    d2p = np.zeros((p, p)) if has_missing else None
    class_present = np.zeros((p, k)) if has_missing else None
    for r in range(0, n, step):
        rows = order[r : r + step]
        d = block[:, rows] - mean[:, None]
        if has_missing:
            present = ~np.isnan(d)
            d[~present] = 0.0
            pf = present.astype(np.float64)
            pp += pf @ pf.T
            dp += d @ pf.T
            d2p += (d * d) @ pf.T
        # classes present in this block and where each starts inside it
        first, last = y[rows[0]], y[rows[-1]]
        starts = np.clip(bounds[first : last + 1] - r, 0, None)
        cls = np.arange(first, last + 1)
        class_sums[:, cls] += np.add.reduceat(d, starts, axis=1)
        if has_missing:
            class_present[:, cls] += np.add.reduceat(pf, starts, axis=1)
        if per_class:
            ends = np.append(starts[1:], rows.size)
            for c, a, b in zip(cls, starts, ends, strict=True):
                class_gram[c] += d[:, a:b] @ d[:, a:b].T
        else:
            gram += d @ d.T
    if per_class:
        gram = class_gram.sum(axis=0)
    return CrossProducts(gram, class_sums, class_gram, pp, dp, d2p, class_present)
