"""Vectorised, missing-aware statistics of a column-major numeric block.

Every method works on all columns at once; a column's statistics use its non-missing
values only. Results that need more values than a column has are NaN.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np


class ColumnStats:
    """Lazily computed statistics of ``block`` (shape ``(n_columns, n_rows)``, NaN = missing)."""

    def __init__(self, block: np.ndarray) -> None:
        self.block = block
        self.missing = np.isnan(block)
        self.has_missing = bool(self.missing.any())

    @cached_property
    def count(self) -> np.ndarray:
        """Non-missing values per column."""
        n = self.block.shape[1]
        if not self.has_missing:
            return np.full(self.block.shape[0], n, dtype=np.int64)
        return n - self.missing.sum(axis=1)

    @cached_property
    def mean(self) -> np.ndarray:
        filled = np.where(self.missing, 0.0, self.block) if self.has_missing else self.block
        return filled.sum(axis=1) / self.count

    @cached_property
    def centered(self) -> np.ndarray:
        """Values minus the column mean, missing values set to 0 (= mean imputation)."""
        d = self.block - self.mean[:, None]
        if self.has_missing:
            d[self.missing] = 0.0
        return d

    @cached_property
    def central_moments(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Biased central moments m2, m3, m4 (sums divided by the count)."""
        d = self.centered
        d2 = d * d
        cnt = self.count
        return d2.sum(axis=1) / cnt, (d2 * d).sum(axis=1) / cnt, (d2 * d2).sum(axis=1) / cnt

    @cached_property
    def var(self) -> np.ndarray:
        """Sample variance (ddof=1)."""
        cnt = self.count
        return self.central_moments[0] * cnt / (cnt - 1)

    @cached_property
    def sd(self) -> np.ndarray:
        return np.sqrt(self.var)

    @cached_property
    def skewness(self) -> np.ndarray:
        """``m3 / s**3`` with ``s`` the ddof=1 standard deviation (type 3 of Joanes & Gill)."""
        return self.central_moments[1] / self.var**1.5

    @cached_property
    def kurtosis(self) -> np.ndarray:
        """Excess kurtosis ``m4 / s**4 - 3`` (type 3 of Joanes & Gill)."""
        return self.central_moments[2] / self.var**2 - 3.0

    @cached_property
    def sorted(self) -> np.ndarray:
        """Each column sorted ascending, missing values last."""
        return np.sort(self.block, axis=1)

    def quantile(self, q: float | np.ndarray, sorted_block: np.ndarray | None = None) -> np.ndarray:
        """Linear-interpolation quantiles (numpy's default method) of each column.

        A scalar ``q`` gives shape ``(n_columns,)``; an array of ``m`` levels gives
        ``(n_columns, m)``.
        """
        s = self.sorted if sorted_block is None else sorted_block
        cnt = self.count[:, None]
        qs = np.atleast_1d(np.asarray(q, dtype=np.float64))[None, :]
        pos = qs * (np.maximum(cnt, 1) - 1)
        lo = np.floor(pos).astype(np.int64)
        hi = np.minimum(lo + 1, np.maximum(cnt - 1, 0))
        frac = pos - lo
        a = np.take_along_axis(s, lo, axis=1)
        b = np.take_along_axis(s, hi, axis=1)
        out = np.where(cnt > 0, a + (b - a) * frac, np.nan)
        return out[:, 0] if np.ndim(q) == 0 else out

    @cached_property
    def minimum(self) -> np.ndarray:
        return np.where(self.count > 0, self.sorted[:, 0], np.nan)

    @cached_property
    def maximum(self) -> np.ndarray:
        rows = np.arange(self.block.shape[0])
        return np.where(self.count > 0, self.sorted[rows, np.maximum(self.count - 1, 0)], np.nan)

    @cached_property
    def distinct(self) -> np.ndarray:
        """Number of distinct non-missing values per column."""
        s = self.sorted
        changes = s[:, 1:] != s[:, :-1]
        if self.has_missing:
            changes &= np.arange(1, s.shape[1])[None, :] < self.count[:, None]
        return (self.count > 0).astype(np.int64) + changes.sum(axis=1)

    def trimmed_mean(self, cut: float) -> np.ndarray:
        """Mean after dropping ``int(cut * count)`` values at each end (as scipy's trim_mean)."""
        s = self.sorted
        filled = np.where(np.isnan(s), 0.0, s) if self.has_missing else s
        csum = np.zeros((s.shape[0], s.shape[1] + 1))
        np.cumsum(filled, axis=1, out=csum[:, 1:])
        cnt = self.count
        low = (cut * cnt).astype(np.int64)
        high = cnt - low
        rows = np.arange(s.shape[0])
        with np.errstate(invalid="ignore", divide="ignore"):
            return (csum[rows, high] - csum[rows, low]) / (high - low)

    @cached_property
    def covariance(self) -> np.ndarray:
        """Covariance matrix (ddof=1), over pairwise-complete rows when values are missing."""
        d = self.centered
        if not self.has_missing:
            return (d @ d.T) / (d.shape[1] - 1)
        present = (~self.missing).astype(np.float64)
        n_pair = present @ present.T
        s_xy = d @ d.T  # sums over rows where both are present (missing entries are 0)
        s_x = d @ present.T  # s_x[j, k]: sum of column j over rows where k is present
        with np.errstate(invalid="ignore", divide="ignore"):
            return (s_xy - s_x * s_x.T / n_pair) / (n_pair - 1)

    @cached_property
    def correlation(self) -> np.ndarray:
        """Pearson correlation matrix (pairwise-complete rows when values are missing)."""
        cov = self.covariance
        with np.errstate(invalid="ignore", divide="ignore"):
            if not self.has_missing:
                sd = np.sqrt(np.diag(cov))
                return cov / np.outer(sd, sd)
            d = self.centered
            present = (~self.missing).astype(np.float64)
            n_pair = present @ present.T
            s_x = d @ present.T
            ss_x = (d * d) @ present.T  # sum of squares of j over rows where k is present
            var_pair = (ss_x - s_x * s_x / n_pair) / (n_pair - 1)
            return cov / np.sqrt(var_pair * var_pair.T)
