"""Preprocessing builders: each model family picks the one its model needs.

Every builder takes the typed table of :class:`autometa.data.TableEncoder` (``float64`` numeric
columns, ``category`` columns) and returns a scikit-learn transformer.
"""

from __future__ import annotations

import numpy as np
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

__all__ = ["category_codes", "onehot_scaled", "ordinal"]

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
