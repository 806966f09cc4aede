"""Turn a table into the tensors an MLP consumes.

Numeric columns are imputed with the training median (plus a 0/1 indicator for every
column that had missing values in training) and scaled, either standardised or mapped
through their empirical quantiles to a standard normal. Categorical columns become
integer indices for an embedding table: index 0 is shared by missing, unseen and rare
categories (fewer than ``min_category_count`` training rows, whose embedding would only
memorise those rows); the frequent categories get indices 1, 2, ...

The fitted state is plain Python data (lists and floats), so it round-trips through JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtri

__all__ = ["SCALINGS", "TablePreprocessor", "split_frame"]

SCALINGS = ("quantile", "standard")

_N_QUANTILES = 1000
_QUANTILE_SUBSAMPLE = 100_000
_BOUND = 1e-7  # clip of the uniform probabilities before the normal inverse CDF


def _is_categorical_like(dtype: Any) -> bool:
    """Whether a pandas column dtype is treated as categorical."""
    if isinstance(dtype, pd.CategoricalDtype):
        return True
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
        return False
    return pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)


def _numeric_column(values: Any, name: str) -> np.ndarray:
    """Convert one numeric column to float64, NaN for missing; reject infinity."""
    if isinstance(values, pd.Series):
        if isinstance(values.dtype, pd.CategoricalDtype):
            raise TypeError(
                f"Column {name!r} was numeric when the model was fitted but is categorical now."
            )
        if pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype):
            out = values.to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            out = pd.to_numeric(values, errors="raise").to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        out = np.asarray(values, dtype=np.float64)
    if np.isinf(out).any():
        raise ValueError(f"Input X contains infinity in column {name!r}.")
    return out


def split_frame(frame: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Names of the numeric and categorical columns of a frame, in column order.

    Parameters
    ----------
    frame : pandas.DataFrame
        Float/int/bool columns are numeric; ``CategoricalDtype``, object and string
        columns are categorical. Other dtypes (datetimes, ...) raise ``TypeError``.

    Returns
    -------
    numeric, categorical : list of str
    """
    numeric, categorical = [], []
    for name in frame.columns:
        dtype = frame[name].dtype
        if _is_categorical_like(dtype):
            categorical.append(name)
        elif pd.api.types.is_bool_dtype(dtype) or (
            pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype)
        ):
            numeric.append(name)
        else:
            raise TypeError(
                f"Column {name!r} has dtype {dtype}; expected a numeric, bool or categorical "
                "column."
            )
    return numeric, categorical


@dataclass
class TablePreprocessor:
    """Imputation, scaling and category indexing fitted on a training table.

    Parameters
    ----------
    scaling : {"quantile", "standard"}
        How numeric columns are scaled after median imputation.
    min_category_count : int
        Categories seen in fewer training rows share index 0 with missing values.

    Attributes
    ----------
    numeric_ : list of int
        Positions of the numeric columns in the input.
    categorical_ : list of int
        Positions of the categorical columns in the input.
    categories_ : list of list
        Known categories of each categorical column.
    lookups_ : list of list of int
        Per categorical column, the embedding index of code ``c`` at position ``c + 1``
        (position 0: missing or unseen).
    medians_ : list of float
        Training median of each numeric column (0 for an all-missing column).
    indicators_ : list of int
        Indices (into the numeric columns) that get a missing-value indicator.
    centers_, scales_ : list of float
        Standard scaling parameters (``scaling="standard"``).
    quantiles_ : list of list of float
        Empirical quantiles per numeric column (``scaling="quantile"``).
    """

    scaling: str = "quantile"
    min_category_count: int = 1
    numeric_: list[int] = field(default_factory=list)
    categorical_: list[int] = field(default_factory=list)
    categories_: list[list[Any]] = field(default_factory=list)
    lookups_: list[list[int]] = field(default_factory=list)
    medians_: list[float] = field(default_factory=list)
    indicators_: list[int] = field(default_factory=list)
    centers_: list[float] = field(default_factory=list)
    scales_: list[float] = field(default_factory=list)
    quantiles_: list[list[float]] = field(default_factory=list)

    # ------------------------------------------------------------------ fitting
    def fit(self, X: pd.DataFrame | np.ndarray, seed: int = 0) -> TablePreprocessor:
        """Learn the preprocessing from a frame or a 2-D float array.

        Parameters
        ----------
        X : pandas.DataFrame or ndarray of shape (n_samples, n_features)
        seed : int, default=0
            Seed of the row subsample used for quantiles of very large tables.
        """
        if self.scaling not in SCALINGS:
            raise ValueError(
                f"The 'scaling' parameter must be one of {SCALINGS}. Got {self.scaling!r} instead."
            )
        if isinstance(X, pd.DataFrame):
            numeric, categorical = split_frame(X)
            position = {name: i for i, name in enumerate(X.columns)}
            self.numeric_ = [position[c] for c in numeric]
            self.categorical_ = [position[c] for c in categorical]
            self.categories_ = []
            for c in categorical:
                col = X[c]
                if isinstance(col.dtype, pd.CategoricalDtype):
                    cats = col.cat.categories
                else:
                    cats = pd.Categorical(col.dropna()).categories
                self.categories_.append(cats.tolist())
        else:
            self.numeric_ = list(range(X.shape[1]))
            self.categorical_, self.categories_ = [], []
        self.lookups_ = []
        for k, codes in enumerate(self._category_codes(X).T):
            counts = np.bincount(codes[codes >= 0], minlength=len(self.categories_[k]))
            frequent = np.flatnonzero(counts >= self.min_category_count)
            lookup = np.zeros(len(counts) + 1, dtype=np.int64)
            lookup[frequent + 1] = np.arange(1, len(frequent) + 1)
            self.lookups_.append([int(v) for v in lookup])
        num = self._numeric_block(X)
        self._fit_numeric(num, seed)
        return self

    def _fit_numeric(self, num: np.ndarray, seed: int) -> None:
        missing = np.isnan(num)
        self.indicators_ = [int(j) for j in np.flatnonzero(missing.any(axis=0))]
        medians = []
        for j in range(num.shape[1]):
            observed = num[~missing[:, j], j]
            medians.append(float(np.median(observed)) if observed.size else 0.0)
        self.medians_ = medians
        filled = np.where(missing, np.asarray(medians, dtype=np.float64), num)
        self.centers_, self.scales_, self.quantiles_ = [], [], []
        if self.scaling == "standard":
            center = filled.mean(axis=0) if len(filled) else np.zeros(num.shape[1])
            scale = filled.std(axis=0) if len(filled) else np.ones(num.shape[1])
            scale = np.where(scale > 1e-12, scale, 1.0)
            self.centers_ = [float(v) for v in center]
            self.scales_ = [float(v) for v in scale]
        else:
            if len(filled) > _QUANTILE_SUBSAMPLE:
                rng = np.random.default_rng(seed)
                rows = np.sort(rng.choice(len(filled), _QUANTILE_SUBSAMPLE, replace=False))
                filled = filled[rows]
            n_q = max(2, min(_N_QUANTILES, len(filled)))
            refs = np.linspace(0.0, 1.0, n_q)
            for j in range(num.shape[1]):
                q = np.quantile(filled[:, j], refs) if len(filled) else np.zeros(n_q)
                self.quantiles_.append([float(v) for v in np.maximum.accumulate(q)])

    # ---------------------------------------------------------------- transform
    @property
    def n_numeric_features(self) -> int:
        """Width of the numeric block produced by :meth:`transform`."""
        return len(self.numeric_) + len(self.indicators_)

    @property
    def cardinalities(self) -> list[int]:
        """Embedding table size of each categorical column (known categories + 1)."""
        return [max(lookup) + 1 for lookup in self.lookups_]

    def _numeric_block(self, X: pd.DataFrame | np.ndarray) -> np.ndarray:
        n = X.shape[0]
        if isinstance(X, pd.DataFrame):
            cols = [_numeric_column(X.iloc[:, i], str(X.columns[i])) for i in self.numeric_]
            return np.column_stack(cols) if cols else np.empty((n, 0))
        arr = np.asarray(X)
        if self.categorical_:
            arr = arr[:, self.numeric_]
        return np.asarray(arr, dtype=np.float64)

    def _category_codes(self, X: pd.DataFrame | np.ndarray) -> np.ndarray:
        """Position of each value in its column's categories, -1 if missing or unknown."""
        n = X.shape[0]
        out = np.zeros((n, len(self.categorical_)), dtype=np.int64)
        for k, (i, cats) in enumerate(zip(self.categorical_, self.categories_, strict=True)):
            col = X.iloc[:, i] if isinstance(X, pd.DataFrame) else np.asarray(X)[:, i]
            dtype = getattr(col, "dtype", None)
            if isinstance(dtype, pd.CategoricalDtype) and dtype.categories.tolist() == cats:
                codes = col.cat.codes.to_numpy()
            else:  # other categories, object or string values: match by value, -1 if unknown
                values = col.astype(object) if isinstance(col, pd.Series) else col
                codes = pd.Index(cats, dtype=object).get_indexer(np.asarray(values, dtype=object))
            out[:, k] = codes
        return out

    def _categorical_block(self, X: pd.DataFrame | np.ndarray) -> np.ndarray:
        codes = self._category_codes(X)
        out = np.empty_like(codes)
        for k, lookup in enumerate(self.lookups_):
            out[:, k] = np.asarray(lookup, dtype=np.int64)[codes[:, k] + 1]
        return out

    def transform(self, X: pd.DataFrame | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Numeric features (float32) and category indices (int64).

        Returns
        -------
        x_num : ndarray of shape (n_samples, n_numeric_features), float32
            Scaled numeric columns followed by the missing-value indicators.
        x_cat : ndarray of shape (n_samples, n_categorical), int64
            Category indices, 0 for missing, unseen or rare categories.
        """
        num = self._numeric_block(X)
        missing = np.isnan(num)
        filled = np.where(missing, np.asarray(self.medians_, dtype=np.float64), num)
        if self.scaling == "standard":
            scaled = (filled - np.asarray(self.centers_)) / np.asarray(self.scales_)
        else:
            scaled = np.empty_like(filled)
            for j, q in enumerate(self.quantiles_):
                scaled[:, j] = _quantile_normal(filled[:, j], np.asarray(q))
        indicators = missing[:, self.indicators_].astype(np.float64)
        x_num = np.hstack([scaled, indicators]).astype(np.float32)
        return x_num, self._categorical_block(X)

    # ------------------------------------------------------------ serialisation
    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable fitted state."""
        return {
            "scaling": self.scaling,
            "min_category_count": self.min_category_count,
            "numeric": list(self.numeric_),
            "categorical": list(self.categorical_),
            "categories": [list(c) for c in self.categories_],
            "lookups": [list(c) for c in self.lookups_],
            "medians": list(self.medians_),
            "indicators": list(self.indicators_),
            "centers": list(self.centers_),
            "scales": list(self.scales_),
            "quantiles": [list(q) for q in self.quantiles_],
        }

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> TablePreprocessor:
        """Inverse of :meth:`to_dict`."""
        return cls(
            scaling=state["scaling"],
            min_category_count=int(state["min_category_count"]),
            numeric_=list(state["numeric"]),
            categorical_=list(state["categorical"]),
            categories_=[list(c) for c in state["categories"]],
            lookups_=[[int(v) for v in c] for c in state["lookups"]],
            medians_=[float(v) for v in state["medians"]],
            indicators_=[int(v) for v in state["indicators"]],
            centers_=[float(v) for v in state["centers"]],
            scales_=[float(v) for v in state["scales"]],
            quantiles_=[[float(v) for v in q] for q in state["quantiles"]],
        )


def _quantile_normal(x: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Map values through the empirical CDF given by quantiles ``q`` to N(0, 1).

    Ties in ``q`` are resolved by averaging the interpolation from both ends, as
    ``sklearn.preprocessing.QuantileTransformer`` does.
    """
    refs = np.linspace(0.0, 1.0, len(q))
    if q[-1] - q[0] <= 0:
        return np.zeros_like(x)
    up = np.interp(x, q, refs)
    down = -np.interp(-x, -q[::-1], -refs[::-1])
    p = 0.5 * (up + down)
    p[x <= q[0]] = 0.0
    p[x >= q[-1]] = 1.0
    return ndtri(np.clip(p, _BOUND, 1.0 - _BOUND))
