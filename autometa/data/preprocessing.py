"""Preprocessing builders: each model family picks the one its model needs.

Every builder takes the typed table of :class:`autometa.data.TableEncoder` (``float64`` numeric
columns, ``category`` columns) and returns a scikit-learn transformer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

__all__ = ["HistGradientBoostingPrep", "category_codes", "onehot_scaled", "ordinal", "safe_names"]

_CATEGORICAL = make_column_selector(dtype_include="category")
_NUMERIC = make_column_selector(dtype_exclude="category")


def category_codes(frame):
    """Integer codes of ``category`` columns; -1 for missing (and so for unseen) values.

    The categories are fixed by :class:`~autometa.data.TableEncoder`, so codes are stable
    between fit and predict.
    """
    return (
        np.column_stack([frame[c].cat.codes.to_numpy() for c in frame.columns]).astype("float64")
        if frame.shape[1]
        else np.empty((len(frame), 0))
    )


def _codes() -> FunctionTransformer:
    return FunctionTransformer(category_codes, feature_names_out="one-to-one")


def ordinal() -> ColumnTransformer:
    """Categories as integer codes (missing and unseen as -1), numeric columns imputed.

    For tree ensembles that need a dense matrix without NaN.
    """
    return ColumnTransformer(
        [
            ("num", SimpleImputer(strategy="median", keep_empty_features=True), _NUMERIC),
            ("cat", _codes(), _CATEGORICAL),
        ],
        sparse_threshold=0.0,
        verbose_feature_names_out=False,
    )


def onehot_scaled(max_categories: int = 30) -> ColumnTransformer:
    """Numeric columns imputed (with a missing indicator) and standardised; categories one-hot.

    For linear models, k-NN and SVMs.
    """
    numeric = make_pipeline(
        SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
        StandardScaler(),
    )
    categorical = make_pipeline(
        _codes(),
        OneHotEncoder(
            handle_unknown="infrequent_if_exist", max_categories=max_categories, sparse_output=False
        ),
    )
    return ColumnTransformer(
        [("num", numeric, _NUMERIC), ("cat", categorical, _CATEGORICAL)],
        sparse_threshold=0.0,
        verbose_feature_names_out=False,
    )


def _plain_names(frame):
    return frame.set_axis([f"f{i}" for i in range(frame.shape[1])], axis=1)


def safe_names() -> FunctionTransformer:
    """Columns renamed ``f0 .. fn`` (types kept), for LightGBM, which rejects names with JSON
    special characters."""
    return FunctionTransformer(_plain_names)


class HistGradientBoostingPrep(TransformerMixin, BaseEstimator):
    """Make a typed table safe for HistGradientBoosting's native categorical support.

    Categorical columns with more categories than the model can bin (255) become integer
    codes, treated as numeric; numeric columns that are entirely missing in ``fit`` become 0
    (the binner cannot bin an empty column).
    """

    def __init__(self, max_categories: int = 250):
        self.max_categories = max_categories

    def fit(self, X, y=None):
        self.wide_ = [
            c
            for c in X.columns
            if isinstance(X[c].dtype, pd.CategoricalDtype)
            and len(X[c].cat.categories) > self.max_categories
        ]
        self.empty_ = [
            c
            for c in X.columns
            if not isinstance(X[c].dtype, pd.CategoricalDtype) and X[c].isna().all()
        ]
        return self

    def transform(self, X):
        if not self.wide_ and not self.empty_:
            return X
        X = X.copy()
        for c in self.wide_:
            codes = X[c].cat.codes.astype("float64")
            X[c] = codes.where(codes >= 0)
        for c in self.empty_:
            X[c] = 0.0
        return X
