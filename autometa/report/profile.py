"""The dataset profile: size, column types, missing values and class balance."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from autometa.data import to_frame

__all__ = ["ColumnInfo", "DatasetProfile", "profile_dataset"]

#: A string column with more distinct values than this (and than half the rows) is reported as
#: high-cardinality text rather than categorical.
TEXT_MIN_DISTINCT = 50

#: The missing-value map keeps at most this many rows (evenly spaced) and columns.
MAP_MAX_ROWS = 400
MAP_MAX_COLUMNS = 80


@dataclass(frozen=True)
class ColumnInfo:
    """One column of ``X``.

    Attributes
    ----------
    name : str
    kind : {"numeric", "boolean", "categorical", "text"}
        ``"text"``: strings with many distinct values (an identifier or free text).
    dtype : str
        The pandas dtype the column was read with.
    n_missing : int
    n_distinct : int
        Distinct non-missing values.
    """

    name: str
    kind: str
    dtype: str
    n_missing: int
    n_distinct: int


@dataclass(frozen=True)
class DatasetProfile:
    """What a table looks like before any model sees it.

    Attributes
    ----------
    name : str
        Where the data came from (a file name or an OpenML task).
    target : str
        Name of the class column.
    n_rows, n_columns : int
        Shape of ``X`` (the target is not counted).
    columns : list of ColumnInfo
    class_counts : dict of str to int
        Rows per class label, most frequent first (labels as strings).
    n_missing_labels : int
        Rows whose label is missing.
    missing_map : ndarray of bool, shape (n_map_rows, n_map_columns)
        Missing cells of up to :data:`MAP_MAX_ROWS` evenly spaced rows and the first
        :data:`MAP_MAX_COLUMNS` columns with a missing value (all columns if none has one).
    missing_map_columns : list of str
    """

    name: str
    target: str
    n_rows: int
    n_columns: int
    columns: list[ColumnInfo]
    class_counts: dict[str, int]
    n_missing_labels: int = 0
    missing_map: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=bool))
    missing_map_columns: list[str] = field(default_factory=list)

    @property
    def kinds(self) -> dict[str, int]:
        """Number of columns of each kind, in a fixed order (kinds with no column left out)."""
        order = ("numeric", "boolean", "categorical", "text")
        counts = {k: sum(c.kind == k for c in self.columns) for k in order}
        return {k: v for k, v in counts.items() if v}

    @property
    def n_missing_cells(self) -> int:
        return int(sum(c.n_missing for c in self.columns))

    @property
    def missing_share(self) -> float:
        """Missing cells / cells of ``X``."""
        cells = self.n_rows * self.n_columns
        return self.n_missing_cells / cells if cells else 0.0

    @property
    def columns_with_missing(self) -> list[ColumnInfo]:
        """Columns with at least one missing value, most missing first."""
        return sorted((c for c in self.columns if c.n_missing), key=lambda c: -c.n_missing)

    @property
    def n_classes(self) -> int:
        return len(self.class_counts)

    @property
    def imbalance_ratio(self) -> float:
        """Majority class size / minority class size (NaN without labels)."""
        counts = list(self.class_counts.values())
        return counts[0] / counts[-1] if counts and counts[-1] else float("nan")


def _kind(col: pd.Series, n_distinct: int, n_rows: int) -> str:
    dtype = col.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if isinstance(dtype, pd.CategoricalDtype):
        return "categorical"
    if pd.api.types.is_numeric_dtype(dtype):
        return "numeric"
    values = col.dropna().to_numpy()
    if len(values) and all(isinstance(v, (bool, np.bool_)) for v in values):
        return "boolean"
    if len(values) and all(
        isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
        for v in values
    ):
        return "numeric"
    if n_distinct > TEXT_MIN_DISTINCT and n_distinct > n_rows / 2:
        return "text"
    return "categorical"


def _label(value: Any) -> str:
    if isinstance(value, np.generic):
        value = value.item()
    return str(value)


def profile_dataset(
    X: Any, y: Any, *, name: str = "data", target: str | None = None
) -> DatasetProfile:
    """Describe ``X`` and ``y``: shape, column kinds, missing values and class balance.

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_rows, n_columns)
    y : array-like of shape (n_rows,)
        Class labels; missing labels are counted, not dropped.
    name : str, default="data"
        Where the data came from, for the report's title.
    target : str, optional
        Name of the class column (default: ``y.name`` or ``"class"``).

    Returns
    -------
    DatasetProfile
    """
    frame = to_frame(X)
    labels = pd.Series(np.asarray(y, dtype=object) if not isinstance(y, pd.Series) else y)
    if len(labels) != len(frame):
        raise ValueError(
            f"X has {len(frame)} rows but y has {len(labels)} labels; they must match."
        )
    if target is None:
        target = str(labels.name) if labels.name is not None else "class"
    n_rows = len(frame)
    columns = []
    for col_name in frame.columns:
        col = frame[col_name]
        n_distinct = int(col.nunique(dropna=True))
        columns.append(
            ColumnInfo(
                name=str(col_name),
                kind=_kind(col, n_distinct, n_rows),
                dtype=str(col.dtype),
                n_missing=int(col.isna().sum()),
                n_distinct=n_distinct,
            )
        )
    missing_labels = labels.isna().to_numpy()
    counts = labels[~missing_labels].map(_label).value_counts(sort=False)
    class_counts = {
        str(k): int(v)
        for k, v in sorted(counts.items(), key=lambda kv: (-int(kv[1]), str(kv[0])))
        if int(v) > 0
    }
    with_missing = [c.name for c in columns if c.n_missing]
    map_columns = (with_missing or [c.name for c in columns])[:MAP_MAX_COLUMNS]
    rows = np.unique(np.linspace(0, n_rows - 1, num=min(n_rows, MAP_MAX_ROWS)).astype(int))
    missing_map = frame[map_columns].iloc[rows].isna().to_numpy(dtype=bool)
    return DatasetProfile(
        name=name,
        target=target,
        n_rows=n_rows,
        n_columns=frame.shape[1],
        columns=columns,
        class_counts=class_counts,
        n_missing_labels=int(missing_labels.sum()),
        missing_map=missing_map,
        missing_map_columns=list(map_columns),
    )
