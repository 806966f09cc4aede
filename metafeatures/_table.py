"""Input normalisation: any ``X, y`` becomes a :class:`Table`.

A :class:`Table` keeps numeric columns as one float block and nominal columns as one
block of integer codes, both stored column-major (one row of the block per column of
``X``), so that per-column reductions run along contiguous memory. Missing values stay
missing (NaN, or code ``-1``); each group decides what they mean.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

_NUMERIC_INFERRED = {"integer", "floating", "mixed-integer-float", "decimal"}


@dataclass(frozen=True, eq=False)
class Table:
    """A validated classification dataset.

    Attributes
    ----------
    numeric : ndarray of shape (n_numeric, n_rows)
        Numeric columns, float64, NaN for missing (infinities count as missing).
    categorical : ndarray of shape (n_categorical, n_rows)
        Nominal columns as int32 codes ``0..n_levels-1``, ``-1`` for missing.
    n_levels : ndarray of shape (n_categorical,)
        Number of distinct observed (non-missing) values of each nominal column.
    declared_levels : ndarray of shape (n_categorical,)
        Size of each nominal column's domain: the number of categories of a pandas
        categorical column (used or not, as an ARFF header declares them), otherwise
        ``n_levels``.
    y : ndarray of shape (n_rows,)
        Class codes ``0..n_classes-1`` (index into ``classes``).
    classes : ndarray of shape (n_classes,)
        Observed class labels, sorted when they are mutually comparable.
    numeric_names, categorical_names : tuple of str
        Column names of the two blocks.
    """

    numeric: np.ndarray
    categorical: np.ndarray
    n_levels: np.ndarray
    declared_levels: np.ndarray
    y: np.ndarray
    classes: np.ndarray
    numeric_names: tuple[str, ...]
    categorical_names: tuple[str, ...]

    @property
    def n_rows(self) -> int:
        return int(self.y.shape[0])

    @property
    def n_numeric(self) -> int:
        return int(self.numeric.shape[0])

    @property
    def n_categorical(self) -> int:
        return int(self.categorical.shape[0])

    @property
    def n_features(self) -> int:
        return self.n_numeric + self.n_categorical

    @property
    def n_classes(self) -> int:
        return int(self.classes.shape[0])

    @cached_property
    def class_counts(self) -> np.ndarray:
        return np.bincount(self.y, minlength=self.n_classes)

    @cached_property
    def numeric_missing(self) -> np.ndarray:
        """Boolean (n_numeric, n_rows) mask of missing numeric values."""
        return np.isnan(self.numeric)

    @cached_property
    def categorical_missing(self) -> np.ndarray:
        """Boolean (n_categorical, n_rows) mask of missing nominal values."""
        return self.categorical < 0


def to_table(X: object, y: object) -> Table:
    """Validate ``X`` and ``y`` and split ``X`` into numeric and nominal blocks.

    Parameters
    ----------
    X : pandas.DataFrame or array-like of shape (n_rows, n_features)
        Numeric, categorical, object, string, boolean and nullable pandas dtypes are
        accepted; missing values may appear anywhere. Object columns whose values are
        all numbers count as numeric, other object columns as nominal. Boolean columns
        are nominal; datetime columns are numeric (nanoseconds since the epoch).
    y : array-like of shape (n_rows,)
        Class labels of any hashable type, without missing values.

    Raises
    ------
    ValueError
        If ``X`` is not two-dimensional or empty, if ``y`` is not one-dimensional,
        has missing values, or its length differs from the number of rows of ``X``.
    """
    frame = _as_frame(X)
    n_rows, n_cols = frame.shape
    if n_rows == 0 or n_cols == 0:
        raise ValueError(
            "The 'X' parameter of extract must have at least one row and one column. "
            f"Got shape ({n_rows}, {n_cols}) instead."
        )
    codes, classes = _encode_target(y, n_rows)

    numeric_cols: list[np.ndarray] = []
    numeric_names: list[str] = []
    cat_cols: list[np.ndarray] = []
    cat_levels: list[int] = []
    declared: list[int] = []
    cat_names: list[str] = []
    all_float = all(dtype == np.float64 for dtype in frame.dtypes)
    for name, col in [] if all_float else frame.items():
        values = _numeric_values(col)
        if values is not None:
            numeric_cols.append(values)
            numeric_names.append(str(name))
            continue
        col_codes, uniques = pd.factorize(col, use_na_sentinel=True)
        cat_cols.append(col_codes.astype(np.int32, copy=False))
        cat_levels.append(len(uniques))
        is_categorical = isinstance(col.dtype, pd.CategoricalDtype)
        declared.append(len(col.cat.categories) if is_categorical else len(uniques))
        cat_names.append(str(name))
    if all_float:  # one float block: no per-column work
        numeric_names = [str(name) for name in frame.columns]

    numeric = _numeric_block(frame, numeric_cols, all_float)
    return Table(
        numeric=numeric,
        categorical=_stack(cat_cols, np.int32, n_rows),
        n_levels=np.asarray(cat_levels, dtype=np.int64),
        declared_levels=np.asarray(declared, dtype=np.int64),
        y=codes,
        classes=classes,
        numeric_names=tuple(numeric_names),
        categorical_names=tuple(cat_names),
    )


def _as_frame(X: object) -> pd.DataFrame:
    if isinstance(X, pd.DataFrame):
        return X
    if isinstance(X, pd.Series):
        raise ValueError(
            "The 'X' parameter of extract must be 2-dimensional (a DataFrame or a 2-D "
            "array). Got a pandas Series instead; use X.to_frame() for a single column."
        )
    arr = np.asarray(X) if isinstance(X, np.ndarray) else np.asarray(X, dtype=object)
    if arr.ndim != 2:
        raise ValueError(
            "The 'X' parameter of extract must be 2-dimensional (a DataFrame or a 2-D "
            f"array). Got an array with {arr.ndim} dimension(s) instead."
        )
    names = [f"x{j}" for j in range(arr.shape[1])]
    if arr.dtype.kind in "iuf":
        # One float block: pandas keeps it as a single 2-D block without copying columns.
        return pd.DataFrame(arr.astype(np.float64, copy=False), columns=names, copy=False)
    return pd.DataFrame(arr, columns=names)


def _numeric_values(col: pd.Series) -> np.ndarray | None:
    """Float values of a numeric column, or None when the column is nominal."""
    dtype = col.dtype
    if pd.api.types.is_bool_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype):
        return None
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype):
        return col.to_numpy(dtype=np.float64, na_value=np.nan)
    if pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype):
        if isinstance(dtype, pd.DatetimeTZDtype):
            col = col.dt.tz_convert(None)
        values = col.to_numpy()
        out = values.view(np.int64).astype(np.float64)
        out[pd.isna(values)] = np.nan
        return out
    inferred = pd.api.types.infer_dtype(col, skipna=True) if col.dtype == object else ""
    if inferred in _NUMERIC_INFERRED:
        return pd.to_numeric(col, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    return None


def _numeric_block(frame: pd.DataFrame, cols: list[np.ndarray], all_float: bool) -> np.ndarray:
    """The numeric columns as one read-only (columns, rows) float64 block.

    When every column of ``frame`` is float64 and they form one block (a frame made from
    a float array), the result is a transposed view of it: no copy. Infinities become
    NaN (in a copy).
    """
    if all_float:
        block = frame.to_numpy(dtype=np.float64, copy=False).T
    else:
        block = _stack(cols, np.float64, frame.shape[0])
    if np.isinf(block).any():
        block = np.where(np.isinf(block), np.nan, block)
    block = block.view()
    block.flags.writeable = False
    return block


def _stack(cols: list[np.ndarray], dtype: type, n_rows: int) -> np.ndarray:
    if not cols:
        return np.empty((0, n_rows), dtype=dtype)
    return np.ascontiguousarray(np.vstack(cols), dtype=dtype)


def _encode_target(y: object, n_rows: int) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(y, pd.DataFrame):
        if y.shape[1] != 1:
            raise ValueError(
                "The 'y' parameter of extract must be 1-dimensional. "
                f"Got a DataFrame with {y.shape[1]} columns instead."
            )
        y = y.iloc[:, 0]
    labels = y.to_numpy() if isinstance(y, pd.Series) else np.asarray(y)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.ndim != 1:
        raise ValueError(
            "The 'y' parameter of extract must be 1-dimensional. "
            f"Got an array of shape {labels.shape} instead."
        )
    if labels.shape[0] != n_rows:
        raise ValueError(
            "The 'y' parameter of extract must have one label per row of X. "
            f"Got {labels.shape[0]} labels for {n_rows} rows instead."
        )
    missing = pd.isna(labels)
    if np.any(missing):
        raise ValueError(
            "The 'y' parameter of extract must not contain missing values. "
            f"Got {int(np.sum(missing))} missing label(s) instead."
        )
    try:
        classes, codes = np.unique(labels, return_inverse=True)
    except TypeError:  # labels of mutually incomparable types: keep order of appearance
        codes, classes = pd.factorize(labels)
        classes = np.asarray(classes, dtype=object)
    return np.asarray(codes, dtype=np.intp).reshape(-1), classes
