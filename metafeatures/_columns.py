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
    """Per-column statistics (arrays of shape (n_columns,)) and class counts per bin.

    ``skewness`` and ``kurtosis`` are ``m3 / s^3`` and ``m4 / s^4 - 3`` with ``s`` the
    ddof=1 standard deviation (type 3 of Joanes & Gill, as pymfe). ``bin_counts`` has
    shape (n_columns, bins + 2, n_classes): rows of each class falling in each
    equal-frequency bin (slot ``b`` collects the values above the previous kept edge
    and up to edge ``b``, an empty slot standing for a merged edge; slot ``bins`` the
    values above the last kept edge), then the missing values.
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
    bin_counts: np.ndarray
    has_missing: bool
    bins: int


def profile(block: np.ndarray, bins: int, y: np.ndarray, n_classes: int) -> Profile:
    """One pass over column blocks of ``block`` (NaN = missing); ``y`` holds class codes."""
    p, n = block.shape
    step = max(1, CHUNK_BYTES // (8 * max(n, 1)))
    parts: dict[str, list[np.ndarray]] = {}
    by_class = np.argsort(y, kind="stable")
    class_start = np.concatenate(([0], np.cumsum(np.bincount(y, minlength=n_classes))))
    has_missing = False
    for j in range(0, p, step):
        chunk = np.ascontiguousarray(block[j : j + step], dtype=np.float64)
        stats, missing = _column_stats(chunk, bins, by_class, class_start)
        has_missing |= missing
        for key, value in stats.items():
            parts.setdefault(key, []).append(value)
    merged = {k: np.concatenate(v) for k, v in parts.items()}
    return Profile(**merged, has_missing=has_missing, bins=bins)


def _column_stats(
    a: np.ndarray, bins: int, by_class: np.ndarray, class_start: np.ndarray
) -> tuple[dict, bool]:
    c, n = a.shape
    missing = np.isnan(a)
    has_missing = bool(missing.any())
    cnt = n - missing.sum(axis=1) if has_missing else np.full(c, n)
    s = np.sort(a, axis=1)  # missing values sort last
    rows = np.arange(c)[:, None]
    last = np.maximum(cnt - 1, 0)[:, None]

    def quantiles(q: np.ndarray, srt: np.ndarray = s) -> np.ndarray:
        pos = q[None, :] * last
        lo = np.floor(pos).astype(np.int64)
        hi = np.minimum(lo + 1, last)
        return np.where(cnt[:, None] > 0, _lerp(srt[rows, lo], srt[rows, hi], pos - lo), np.nan)

    with np.errstate(invalid="ignore", divide="ignore"):
        filled = np.where(missing, 0.0, a) if has_missing else a
        mean = filled.sum(axis=1) / cnt
        d = a - mean[:, None]
        if has_missing:
            d[missing] = 0.0
        d2 = d * d
        m2 = d2.sum(axis=1) / cnt
        m3 = np.einsum("ij,ij->i", d2, d) / cnt
        m4 = np.einsum("ij,ij->i", d2, d2) / cnt
        var = m2 * cnt / (cnt - 1)
        q1, med, q3 = quantiles(np.array([0.25, 0.5, 0.75])).T
        iqr = q3 - q1
        outside = _count_less(s, cnt, q1 - 1.5 * iqr, strict=True)
        outside += cnt - _count_less(s, cnt, q3 + 1.5 * iqr, strict=False)
        stats = {
            "count": cnt.astype(np.int64),
            "mean": mean,
            "var": var,
            "skewness": m3 / var**1.5,
            "kurtosis": m4 / var**2 - 3.0,
            "minimum": np.where(cnt > 0, s[:, 0], np.nan),
            "maximum": np.where(cnt > 0, s[rows[:, 0], last[:, 0]], np.nan),
            "q1": q1,
            "median": med,
            "q3": q3,
            "mad": 1.4826 * _median_abs_deviation(s, cnt, med),
            "trimmed_mean": _trimmed_mean(s, cnt, 0.2, has_missing),
            "distinct": _distinct(s, cnt),
            "outlier_frac": outside / cnt,
        }
    edges = quantiles(np.linspace(0, 1, bins + 1)[1:])
    stats["bin_counts"] = _bin_counts(a[:, by_class], class_start, edges)
    return stats, has_missing


def _lerp(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Linear interpolation rounded exactly as numpy's quantile does it."""
    diff = b - a
    return np.where(t >= 0.5, b - diff * (1.0 - t), a + diff * t)


def _insertion_index(s, lo, hi, t, strict: bool) -> np.ndarray:
    """First index in ``[lo, hi)`` of each row of sorted ``s`` whose value is >= t (> t
    when not ``strict``), for arrays ``lo``, ``hi``, ``t`` of shape (rows, ...).

    A binary search run on every query at once: ``log2(n)`` vectorised steps.
    """
    lo, hi = np.array(lo, dtype=np.int64), np.array(hi, dtype=np.int64)
    rows = np.arange(s.shape[0]).reshape((-1,) + (1,) * (lo.ndim - 1))
    last = s.shape[1] - 1
    with np.errstate(invalid="ignore"):
        while np.any(lo < hi):
            active = lo < hi
            mid = (lo + hi) // 2
            v = s[rows, np.minimum(mid, last)]
            left_of = (v < t) if strict else (v <= t)
            lo = np.where(active & left_of, mid + 1, lo)
            hi = np.where(active & ~left_of, mid, hi)
    return lo


def _count_less(s: np.ndarray, cnt: np.ndarray, t: np.ndarray, strict: bool) -> np.ndarray:
    """Per row of ``s`` (sorted, ``cnt`` valid values), how many values are < t (or <= t)."""
    return _insertion_index(s, np.zeros_like(cnt), cnt, t, strict)


def _kth_of_two(a_at, b_at, n_a, n_b, k):
    """k-th smallest (0-based) of the union of two ascending sequences, for every row.

    ``a_at(i)`` and ``b_at(i)`` read element ``i`` of each row's sequences (vectorised
    over rows); ``n_a``, ``n_b`` are their lengths and ``k < n_a + n_b``.
    """
    lo = np.maximum(0, k + 1 - n_b)  # how many of the k+1 smallest come from a
    hi = np.minimum(k + 1, n_a)
    while np.any(lo < hi):
        active = lo < hi
        mid = (lo + hi) // 2
        j = k + 1 - mid
        more = (mid < n_a) & (j > 0) & (b_at(np.maximum(j - 1, 0)) > a_at(mid))
        lo = np.where(active & more, mid + 1, lo)
        hi = np.where(active & ~more, mid, hi)
    j = k + 1 - lo
    from_a = np.where(lo > 0, a_at(np.maximum(lo - 1, 0)), -np.inf)
    from_b = np.where(j > 0, b_at(np.maximum(j - 1, 0)), -np.inf)
    return np.maximum(from_a, from_b)


def _median_abs_deviation(s: np.ndarray, cnt: np.ndarray, med: np.ndarray) -> np.ndarray:
    """Median of |x - median| of each sorted row, without sorting the deviations.

    The deviations below the median, read backwards, and those above it are two
    ascending sequences; their median is found by a joint binary search.
    """
    rows = np.arange(s.shape[0])
    last = s.shape[1] - 1
    n_a = _count_less(s, cnt, med, strict=True)  # values below the median
    n_b = cnt - n_a

    def a_at(i):  # i-th smallest deviation below the median
        return med - s[rows, np.clip(n_a - 1 - i, 0, last)]

    def b_at(i):
        return s[rows, np.clip(n_a + i, 0, last)] - med

    k_lo, k_hi = np.maximum(cnt - 1, 0) // 2, cnt // 2
    lo = _kth_of_two(a_at, b_at, n_a, n_b, np.minimum(k_lo, np.maximum(cnt - 1, 0)))
    hi = _kth_of_two(a_at, b_at, n_a, n_b, np.minimum(k_hi, np.maximum(cnt - 1, 0)))
    return np.where(cnt > 0, (lo + hi) / 2.0, np.nan)


def _trimmed_mean(s: np.ndarray, cnt: np.ndarray, cut: float, has_missing: bool) -> np.ndarray:
    """Mean after dropping ``int(cut * count)`` values at each end (scipy's trim_mean)."""
    low = (cut * cnt).astype(np.int64)
    high = cnt - low
    if not has_missing:  # same cut for every row
        return s[:, low[0] : high[0]].mean(axis=1)
    csum = np.zeros((s.shape[0], s.shape[1] + 1))
    np.cumsum(np.where(np.isnan(s), 0.0, s), axis=1, out=csum[:, 1:])
    rows = np.arange(s.shape[0])
    return (csum[rows, high] - csum[rows, low]) / (high - low)


def _distinct(s: np.ndarray, cnt: np.ndarray) -> np.ndarray:
    """Number of distinct non-missing values of each sorted row."""
    changes = (s[:, 1:] != s[:, :-1]) & (np.arange(1, s.shape[1])[None, :] < cnt[:, None])
    return (cnt > 0).astype(np.int64) + changes.sum(axis=1)


def _bin_counts(grouped: np.ndarray, class_start: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Rows of each class in each equal-frequency bin: (columns, bins + 2, classes).

    pymfe's rule: a value's bin is ``np.digitize(x, edges, right=True)``, the number of
    edges strictly below it, after dropping edges closer than ``EDGE_TOL`` to the
    previous one. Here the counts come without a bin per value: with each class's
    values sorted, a binary search gives how many are <= each kept edge, and bins are
    differences of those cumulative counts. ``grouped`` holds the rows class by class.
    """
    c, n = grouped.shape
    k, bins = class_start.size - 1, edges.shape[1]
    keep = np.ones(edges.shape, dtype=bool)
    keep[:, 1:] = np.diff(edges, axis=1) > EDGE_TOL
    segments = np.empty_like(grouped)
    for cls in range(k):  # sort within each class (missing values last)
        lo, hi = class_start[cls], class_start[cls + 1]
        segments[:, lo:hi] = np.sort(grouped[:, lo:hi], axis=1)
    missing = np.add.reduceat(np.isnan(grouped), class_start[:-1], axis=1, dtype=np.int64)
    present = np.diff(class_start)[None, :] - missing  # (columns, classes)
    # Binary search of every (column, class, edge) at once: values <= edge in the class.
    start = np.broadcast_to(class_start[:-1][None, :, None], (c, k, bins))
    end = start + present[:, :, None]
    found = _insertion_index(segments, start, end, edges[:, None, :], strict=False)
    upto = np.maximum.accumulate(np.where(keep[:, None, :], found - start, 0), axis=2)
    out = np.empty((c, bins + 2, k))
    out[:, 0] = upto[:, :, 0]
    out[:, 1:bins] = np.moveaxis(np.diff(upto, axis=2), 2, 1)
    out[:, bins] = present - upto[:, :, -1]
    out[:, bins + 1] = missing
    return out


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
    block: np.ndarray,
    mean: np.ndarray,
    y: np.ndarray,
    counts: np.ndarray,
    *,
    per_class: bool,
    has_missing: bool,
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
