"""Validation of user tables: any X becomes a typed DataFrame every model family understands.

The contract: columns are ``str`` names and either ``float64`` (numeric, NaN for missing) or a
pandas ``CategoricalDtype`` with the categories seen in ``fit`` (NaN for missing or unseen).
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, column_or_1d

__all__ = ["TableEncoder", "check_target", "to_frame"]

# A column of non-numeric values with more distinct values than this share of the rows (and more
# than 50 values) is still treated as categorical; LightGBM and the encoders cap what they use.
_NUMERIC_KINDS = "iufb"


def to_frame(X: Any) -> pd.DataFrame:
    """Return ``X`` as a DataFrame with ``str`` column names, without copying numeric data.

    Raises
    ------
    ValueError
        If ``X`` is empty, not two-dimensional, or has duplicate column names.
    """
    if isinstance(X, pd.DataFrame):
        frame = X
    else:
        if hasattr(X, "toarray") or type(X).__module__.startswith("scipy.sparse"):
            raise TypeError(
                "Sparse input is not supported by autometa. Got a sparse matrix; "
                "convert it with X.toarray() first."
            )
        arr = np.asarray(X)
        if arr.ndim == 1:
            raise ValueError(
                "Expected a 2D array, got a 1D array instead. Reshape your data either using "
                "array.reshape(-1, 1) if your data has a single feature or array.reshape(1, -1) "
                "if it contains a single sample."
            )
        if arr.ndim != 2:
            raise ValueError(f"Expected a 2D array for X. Got an array with {arr.ndim} dimensions.")
        if arr.dtype.kind == "c":
            raise ValueError("Complex data not supported. Got X with a complex dtype.")
        frame = pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])])
    if frame.shape[1] == 0:
        raise ValueError(
            f"Found array with 0 feature(s) (shape={frame.shape}) while a minimum of 1 is required."
        )
    if frame.shape[0] == 0:
        raise ValueError(
            f"Found array with 0 sample(s) (shape={frame.shape}) while a minimum of 1 is required."
        )
    names = [str(c) for c in frame.columns]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise ValueError(f"X has duplicate column names {dup}; column names must be unique.")
    if list(frame.columns) != names:
        frame = frame.set_axis(names, axis=1)
    return frame


def _numeric_values(col: pd.Series) -> np.ndarray | None:
    """Return the column as float64 if it is numeric (nullable and bool included), else None."""
    dtype = col.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return None
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
        if pd.api.types.is_complex_dtype(dtype):
            raise ValueError(f"Complex data not supported. Column {col.name!r} is complex.")
        return col.astype("float64").to_numpy(dtype="float64", na_value=np.nan)
    if pd.api.types.is_object_dtype(dtype):
        values = col.to_numpy()
        mask = pd.isna(values)
        rest = values[~mask]
        if all(isinstance(v, numbers.Real) and not isinstance(v, (str, bytes)) for v in rest):
            out = np.full(len(values), np.nan)
            out[~mask] = rest.astype("float64")
            return out
    return None


class TableEncoder(TransformerMixin, BaseEstimator):
    """Type the columns of a table once, and apply the same typing to every later table.

    Numeric, bool and nullable numeric columns become ``float64``; everything else (object,
    string, category) becomes a ``CategoricalDtype`` whose categories are those seen in ``fit``.
    At transform time an unseen category becomes missing, so predictions never fail on it.

    Attributes
    ----------
    feature_names_in_ : ndarray of str
    numeric_ : list of str
        Columns typed as numeric.
    categories_ : dict of str to list
        Categories of each categorical column, as seen in ``fit``.
    """

    def fit(self, X: Any, y: Any = None) -> TableEncoder:
        frame = to_frame(X)
        self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        self.n_features_in_ = frame.shape[1]
        self.numeric_: list[str] = []
        self.categories_: dict[str, list] = {}
        for name in frame.columns:
            col = frame[name]
            values = _numeric_values(col)
            if values is not None:
                self.numeric_.append(name)
                continue
            cats = col.astype("category").cat.categories
            self.categories_[name] = [_plain(v) for v in cats]
        return self

    def transform(self, X: Any) -> pd.DataFrame:
        check_is_fitted(self, "numeric_")
        frame = to_frame(X)
        expected = list(self.feature_names_in_)
        if frame.shape[1] != len(expected):
            raise ValueError(
                f"X has {frame.shape[1]} features, but this model is expecting "
                f"{len(expected)} features as input."
            )
        if list(frame.columns) != expected and isinstance(X, pd.DataFrame):
            raise ValueError(
                "The feature names should match those that were passed during fit. "
                f"Expected {expected}, got {list(frame.columns)}."
            )
        frame = frame.set_axis(expected, axis=1)
        out: dict[str, Any] = {}
        for name in expected:
            col = frame[name]
            if name in self.categories_:
                cats = self.categories_[name]
                values = col.astype(object).map(_plain)
                values = values.where(values.isin(cats))  # unseen -> missing
                out[name] = pd.Categorical(values, categories=cats)
            else:
                values = _numeric_values(col)
                if values is None:
                    raise ValueError(
                        f"Column {name!r} was numeric during fit but holds non-numeric values "
                        f"now (dtype {col.dtype}). Pass the same column types as in fit."
                    )
                if np.isinf(values).any():
                    raise ValueError(
                        f"Input X contains infinity in column {name!r}. Replace it with a finite "
                        "value or NaN (missing values are allowed)."
                    )
                out[name] = values
        return pd.DataFrame(out, index=pd.RangeIndex(len(frame)))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        return tags


def _plain(value: Any) -> Any:
    """Turn numpy scalars into Python ones so categories compare and serialise consistently."""
    if isinstance(value, np.generic):
        return value.item()
    return value


def check_target(y: Any, n_rows: int) -> np.ndarray:
    """Validate a classification target and return it as a 1-D numpy array.

    Raises
    ------
    ValueError
        On a length mismatch, missing labels, a continuous target or a single class.
    """
    if y is None:
        raise ValueError("This classifier requires y to be passed, but the target y is None.")
    if isinstance(y, pd.DataFrame):
        if y.shape[1] != 1:
            raise ValueError(f"y must be one column of labels. Got a DataFrame of shape {y.shape}.")
        y = y.iloc[:, 0]
    arr = y.to_numpy() if isinstance(y, pd.Series) else np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = column_or_1d(arr, warn=True)
    if arr.ndim != 1:
        raise ValueError(f"y must be one-dimensional. Got an array of shape {arr.shape}.")
    if len(arr) != n_rows:
        raise ValueError(
            "Found input variables with inconsistent numbers of samples: "
            f"[{n_rows}, {len(arr)}] (X has {n_rows} rows, y has {len(arr)} labels)."
        )
    missing = pd.isna(arr)
    if missing.any():
        raise ValueError(
            f"Input y contains NaN: {int(missing.sum())} missing label(s). "
            "Every row needs a class label."
        )
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)):
            raise ValueError("Input y contains infinity.")
        if not np.all(arr == np.round(arr)):
            raise ValueError(
                "Unknown label type: continuous. Classification needs discrete labels; "
                "got float values that are not whole numbers."
            )
    if arr.dtype.kind == "O":
        kinds = {type(v) for v in arr}
        if len(kinds) > 1 and not all(issubclass(k, numbers.Real) for k in kinds):
            raise ValueError(
                "Unknown label type: mixed types. Labels must be all strings or all numbers; "
                f"got {sorted(k.__name__ for k in kinds)}."
            )
    return arr
