"""State shared by the groups of one extraction: the seed, column statistics, the
stratified subsample and the model-ready design matrix of the costly groups."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ._columns import Profile, profile
from ._table import Table

MAX_LEVELS = 32
"""Most frequent levels of a nominal column that get a one-hot column in the design."""


@dataclass(frozen=True)
class Design:
    """Inputs of the landmarkers and of the model-based tree.

    Attributes
    ----------
    X : ndarray of shape (n_rows, n_columns)
        The ``n_numeric`` numeric columns, mean-imputed and min-max scaled to [0, 1],
        then the one-hot columns of the nominal attributes (a missing value, or one of
        the levels beyond the ``MAX_LEVELS`` most frequent, is a row of zeros).
    numeric_present : ndarray of shape (n_rows, n_numeric)
        False where a numeric value was missing (and imputed in ``X``).
    codes : ndarray of shape (n_rows, n_categorical)
        Level codes of the nominal attributes, -1 for missing.
    n_levels : ndarray of shape (n_categorical,)
        Number of levels of each nominal attribute.
    attribute : ndarray of shape (n_columns,)
        Index of the original attribute (numeric first, then nominal) of each column.
    y : ndarray of shape (n_rows,)
        Class codes ``0..n_classes-1`` of the rows.
    """

    X: np.ndarray
    numeric_present: np.ndarray
    codes: np.ndarray
    n_levels: np.ndarray
    attribute: np.ndarray
    y: np.ndarray

    @property
    def n_numeric(self) -> int:
        return int(self.numeric_present.shape[1])

    @property
    def n_attributes(self) -> int:
        return self.n_numeric + int(self.codes.shape[1])

    @property
    def n_classes(self) -> int:
        return int(self.y.max()) + 1 if self.y.size else 0


class Context:
    """Lazily computed data shared between groups.

    Parameters
    ----------
    table : Table
        The normalised input.
    seed : int
        Seed of every random choice (subsample, folds, trees, random attribute).
    max_rows : int or None
        Row cap of the costly groups; larger data is subsampled (stratified).
    cv_folds : int
        Number of cross-validation folds of the landmarkers.
    """

    def __init__(self, table: Table, *, seed: int, max_rows: int | None, cv_folds: int) -> None:
        self.table = table
        self.seed = seed
        self.max_rows = max_rows
        self.cv_folds = cv_folds

    def rng(self, stream: int) -> np.random.Generator:
        """An independent generator per use, all derived from ``seed``."""
        return np.random.default_rng((self.seed, stream))

    @cached_property
    def profile(self) -> Profile:
        """Column statistics and class counts per bin (``int(n ** (1/3))`` bins, as pymfe)."""
        t = self.table
        return profile(t.numeric, max(int(t.n_rows ** (1 / 3)), 1), t.y, t.n_classes)

    @cached_property
    def rows(self) -> np.ndarray | None:
        """Sorted row indices of the stratified subsample, or None when all rows are used."""
        t = self.table
        if self.max_rows is None or t.n_rows <= self.max_rows:
            return None
        return stratified_rows(t.y, t.class_counts, self.max_rows, self.rng(0))

    @cached_property
    def design(self) -> Design:
        t = self.table
        rows = self.rows
        num = t.numeric if rows is None else t.numeric[:, rows]
        cat = t.categorical if rows is None else t.categorical[:, rows]
        y = t.y if rows is None else t.y[rows]
        _, y = np.unique(y, return_inverse=True)  # classes absent from the subsample drop out
        onehot, cat_attr = _one_hot(cat, t.n_levels)
        X = np.empty((y.size, num.shape[0] + onehot.shape[1]))
        X[:, : num.shape[0]] = _scaled(num).T
        X[:, num.shape[0] :] = onehot
        attribute = np.concatenate([np.arange(num.shape[0]), t.n_numeric + cat_attr])
        return Design(
            X=X,
            numeric_present=~np.isnan(num.T),
            codes=np.ascontiguousarray(cat.T),
            n_levels=t.n_levels,
            attribute=attribute.astype(np.intp),
            y=y.astype(np.intp).reshape(-1),
        )


def stratified_rows(
    y: np.ndarray, counts: np.ndarray, size: int, rng: np.random.Generator
) -> np.ndarray:
    """Sorted indices of ``size`` rows, each class keeping its share (at least one row).

    Class quotas follow the largest-remainder method; rows are drawn uniformly at
    random within each class.
    """
    n = y.size
    exact = counts * (size / n)
    quota = np.floor(exact).astype(np.int64)
    short = size - int(quota.sum())
    if short > 0:
        order = np.lexsort((np.arange(counts.size), -(exact - quota)))
        quota[order[:short]] += 1
    empty = np.flatnonzero((quota == 0) & (counts > 0))
    if 0 < empty.size < size:  # give every class one row, taken from the largest quotas
        quota[empty] = 1
        for _ in range(empty.size):
            quota[np.argmax(quota)] -= 1
    perm = rng.permutation(n)
    grouped = perm[np.argsort(y[perm], kind="stable")]
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    rank = np.arange(n) - starts[y[grouped]]
    return np.sort(grouped[rank < quota[y[grouped]]])


def _scaled(block: np.ndarray) -> np.ndarray:
    """Mean-impute then min-max scale each row of a (columns, rows) block to [0, 1]."""
    if block.shape[0] == 0:
        return np.empty(block.shape)
    missing = np.isnan(block)
    filled = block
    if missing.any():
        count = (~missing).sum(axis=1, keepdims=True)
        mean = np.where(missing, 0.0, block).sum(axis=1, keepdims=True) / np.maximum(count, 1)
        filled = np.where(missing, mean, block)
    lo = filled.min(axis=1, keepdims=True)
    span = filled.max(axis=1, keepdims=True) - lo
    return (filled - lo) / np.where(span > 0, span, 1.0)


def _one_hot(codes: np.ndarray, n_levels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One-hot columns of the ``MAX_LEVELS`` most frequent levels of each nominal row.

    Returns the (n_rows, n_columns) indicator matrix and the nominal attribute index of
    each column. Missing values and dropped levels are rows of zeros.
    """
    p, m = codes.shape
    if p == 0:
        return np.zeros((m, 0)), np.zeros(0, dtype=np.intp)
    level_start = np.concatenate(([0], np.cumsum(n_levels)[:-1]))
    valid = codes >= 0
    flat = (codes + level_start[:, None])[valid]
    freq = np.bincount(flat, minlength=int(n_levels.sum()))
    owner = np.repeat(np.arange(p), n_levels)
    # Rank the levels of each attribute by frequency (ties: first level first).
    order = np.lexsort((np.arange(freq.size), -freq, owner))
    rank = np.empty(freq.size, dtype=np.int64)
    rank[order] = np.arange(freq.size) - level_start[owner[order]]
    kept = (rank < MAX_LEVELS) & (freq > 0)
    width = np.bincount(owner[kept], minlength=p)
    col_start = np.concatenate(([0], np.cumsum(width)[:-1]))
    column = np.where(kept, col_start[owner] + rank, -1)  # level -> design column
    out = np.zeros((m, int(width.sum())))
    row_idx = np.broadcast_to(np.arange(m), codes.shape)[valid]
    target = column[flat]
    hit = target >= 0
    out[row_idx[hit], target[hit]] = 1.0
    return out, np.repeat(np.arange(p), width)
