"""``MLPClassifier``: a scikit-learn classifier around a torch MLP for typed tables."""

from __future__ import annotations

import copy
import math
import numbers
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from os import PathLike
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    assert_all_finite,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from autometa.nas.preprocessing import SCALINGS, TablePreprocessor

__all__ = ["MLPClassifier"]

# Categories with fewer training rows share the embedding of missing/unseen values.
_MIN_CATEGORY_COUNT = 3


@contextmanager
def _torch_threads(n_jobs: int | None) -> Iterator[None]:
    """Cap torch's intra-op threads at ``n_jobs`` and restore the previous count."""
    import torch
    from joblib import effective_n_jobs

    previous = torch.get_num_threads()
    torch.set_num_threads(max(1, effective_n_jobs(n_jobs)))
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _bad(name: str, expected: str, value: Any) -> ValueError:
    return ValueError(
        f"The {name!r} parameter of MLPClassifier must be {expected}. Got {value!r} instead."
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


class MLPClassifier(ClassifierMixin, BaseEstimator):
    """Multi-layer perceptron classifier for tables with numeric and categorical columns.

    Numeric columns are imputed with their median (plus a missing-value indicator for
    columns with missing values in training) and scaled; categorical columns
    (``CategoricalDtype``, object or string) are embedded, with one shared index for
    missing, unseen and rare (fewer than 3 training rows) categories. The network trains
    with AdamW and early stopping on a stratified validation split, keeping the weights of
    the best validation loss.

    Parameters
    ----------
    depth : int, default=2
        Number of hidden layers.
    width : int, default=256
        Width of the first hidden layer.
    shape : {"constant", "funnel"}, default="funnel"
        ``"funnel"`` halves the width at every layer (not below 16).
    activation : {"relu", "gelu", "silu"}, default="relu"
    normalization : {"none", "batch", "layer"}, default="none"
        Normalisation after every hidden linear layer.
    dropout : float, default=0.1
        Dropout probability after every hidden layer, in [0, 1).
    residual : bool, default=False
        Skip connections around the hidden layers after the first.
    embedding_dim : int, default=8
        Embedding size of every categorical column.
    scaling : {"quantile", "standard"}, default="quantile"
        Numeric scaling: empirical quantiles mapped to a normal, or standardisation.
    learning_rate : float, default=1e-3
    weight_decay : float, default=1e-4
        AdamW's decoupled weight decay.
    batch_size : int, default=256
        Rows per step; smaller data train full-batch.
    max_epochs : int, default=100
        Epoch budget. Without a validation split (``validation_fraction=0``, or classes so
        small that the validation rows would not hold two classes) the network trains on
        all rows for exactly this many epochs.
    patience : int, default=10
        Stop after this many epochs without a validation-loss improvement.
    validation_fraction : float, default=0.15
        Share of each class held out (rounded down) for early stopping, in [0, 1).
    device : str, default="auto"
        ``"auto"`` uses CUDA with mixed precision when available, otherwise the CPU.
    n_jobs : int, default=None
        Torch threads during fit and predict (``None`` means 1, ``-1`` all cores); the
        previous thread count is restored afterwards.
    random_state : int, RandomState instance or None, default=None
        Seeds the validation split, the initialisation, shuffling and dropout. Equal seeds
        (and ``n_jobs``, device) give identical predictions. Global RNGs are not touched.
    epoch_callback : callable, default=None
        ``epoch_callback(epoch, loss)`` after every epoch (1-based), with the validation log
        loss (the training loss without a validation split). Exceptions it raises, such as
        ``optuna.TrialPruned``, propagate out of :meth:`fit`.
    time_limit : float, default=None
        Seconds for :meth:`fit`; training stops when they are exceeded, keeping the best
        weights so far.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Only when fitted on a DataFrame with string column names.
    preprocessor_ : TablePreprocessor
    module_ : torch.nn.Module
        The trained network (on the CPU, in eval mode).
    device_ : str
        Device used for training.
    n_epochs_ : int
        Epochs run.
    best_epoch_ : int
        Epoch whose weights were kept.
    best_val_loss_ : float or None
        Validation log loss of the kept weights (None without a validation split).
    train_loss_curve_, val_loss_curve_ : list of float
        Loss per epoch.
    stop_reason_ : {"max_epochs", "early_stopping", "time_limit"}

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from autometa.nas import MLPClassifier
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> clf = MLPClassifier(max_epochs=20, random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
    """

    def __init__(
        self,
        *,
        depth: int = 2,
        width: int = 256,
        shape: str = "funnel",
        activation: str = "relu",
        normalization: str = "none",
        dropout: float = 0.1,
        residual: bool = False,
        embedding_dim: int = 8,
        scaling: str = "quantile",
        learning_rate: float = 1e-3,
        weight_decay: float = 1e-4,
        batch_size: int = 256,
        max_epochs: int = 100,
        patience: int = 10,
        validation_fraction: float = 0.15,
        device: str = "auto",
        n_jobs: int | None = None,
        random_state: int | np.random.RandomState | None = None,
        epoch_callback: Callable[[int, float], object] | None = None,
        time_limit: float | None = None,
    ):
        self.depth = depth
        self.width = width
        self.shape = shape
        self.activation = activation
        self.normalization = normalization
        self.dropout = dropout
        self.residual = residual
        self.embedding_dim = embedding_dim
        self.scaling = scaling
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.device = device
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.epoch_callback = epoch_callback
        self.time_limit = time_limit

    # ------------------------------------------------------------------ checks
    def _validate_params(self) -> None:
        from autometa.nas.network import ACTIVATIONS, NORMALIZATIONS, SHAPES

        for name in ("depth", "width", "embedding_dim", "batch_size", "max_epochs", "patience"):
            value = getattr(self, name)
            if not _is_int(value) or value < 1:
                raise _bad(name, "an int in the range [1, inf)", value)
        for name, choices in (
            ("shape", SHAPES),
            ("activation", ACTIVATIONS),
            ("normalization", NORMALIZATIONS),
            ("scaling", SCALINGS),
        ):
            if getattr(self, name) not in choices:
                raise _bad(name, f"a str among {list(choices)}", getattr(self, name))
        for name in ("dropout", "validation_fraction"):
            value = getattr(self, name)
            if not _is_real(value) or not 0.0 <= value < 1.0:
                raise _bad(name, "a float in the range [0, 1)", value)
        if not _is_real(self.learning_rate) or not self.learning_rate > 0.0:
            raise _bad("learning_rate", "a float in the range (0, inf)", self.learning_rate)
        if not _is_real(self.weight_decay) or not self.weight_decay >= 0.0:
            raise _bad("weight_decay", "a float in the range [0, inf)", self.weight_decay)
        if not isinstance(self.residual, (bool, np.bool_)):
            raise _bad("residual", "a bool", self.residual)
        if self.n_jobs is not None and (not _is_int(self.n_jobs) or self.n_jobs == 0):
            raise _bad("n_jobs", "an int other than 0 or None", self.n_jobs)
        if self.epoch_callback is not None and not callable(self.epoch_callback):
            raise _bad("epoch_callback", "a callable or None", self.epoch_callback)
        if self.time_limit is not None and (
            not _is_real(self.time_limit) or not self.time_limit > 0
        ):
            raise _bad("time_limit", "a float in the range (0, inf) or None", self.time_limit)

    def _check_X(self, X: Any, *, reset: bool) -> pd.DataFrame | np.ndarray:
        if isinstance(X, pd.DataFrame):
            if X.shape[1] == 0 or X.shape[0] == 0:
                raise ValueError(
                    f"Found array with shape {X.shape} while a minimum of 1 sample and 1 "
                    "feature is required by MLPClassifier."
                )
            validate_data(self, X, skip_check_array=True, reset=reset)
            return X
        if not reset and self.preprocessor_.categorical_:
            return validate_data(self, X, reset=False, dtype=None, ensure_all_finite=False)
        return validate_data(self, X, reset=reset, dtype=np.float64, ensure_all_finite="allow-nan")

    def _check_Xy(self, X: Any, y: Any) -> tuple[Any, np.ndarray]:
        if not isinstance(X, pd.DataFrame):
            return validate_data(
                self, X, y, dtype=np.float64, ensure_all_finite="allow-nan", y_numeric=False
            )
        X = self._check_X(X, reset=True)
        if y is None:
            raise ValueError("MLPClassifier requires y to be passed, but the target y is None.")
        y = column_or_1d(y, warn=True)
        check_consistent_length(X, y)
        if y.dtype.kind in "fc":
            assert_all_finite(y, input_name="y")
        return X, y

    # --------------------------------------------------------------------- fit
    def fit(self, X: Any, y: Any) -> MLPClassifier:
        """Fit the network.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Numeric (NaN = missing) and categorical columns, or a numeric array.
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self : MLPClassifier
        """
        start = time.perf_counter()
        self._validate_params()
        X, y = self._check_Xy(X, y)
        check_classification_targets(y)
        classes, y_enc = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(
                "MLPClassifier needs samples of at least 2 classes in the data, but the data "
                f"contains only one class: {classes[0]!r}."
            )
        rng = check_random_state(self.random_state)
        split_seed, init_seed, train_seed, prep_seed = (
            int(s) for s in rng.randint(0, 2**31 - 2, 4)
        )

        import torch

        from autometa.nas.network import MLPNet, hidden_widths
        from autometa.nas.training import resolve_device, train_network

        device = resolve_device(self.device)
        prep = TablePreprocessor(scaling=self.scaling, min_category_count=_MIN_CATEGORY_COUNT).fit(
            X, seed=prep_seed
        )
        x_num, x_cat = prep.transform(X)
        y_enc = y_enc.astype(np.int64)
        train_idx, val_idx = self._split(y_enc, len(classes), split_seed)

        with _torch_threads(self.n_jobs):
            net = MLPNet(
                n_numeric=prep.n_numeric_features,
                cardinalities=prep.cardinalities,
                embedding_dim=self.embedding_dim,
                widths=hidden_widths(self.depth, self.width, self.shape),
                n_classes=len(classes),
                activation=self.activation,
                normalization=self.normalization,
                dropout=self.dropout,
                residual=bool(self.residual),
            )
            net.initialize(torch.Generator().manual_seed(init_seed))
            valid = None
            if val_idx is not None:
                valid = (x_num[val_idx], x_cat[val_idx], y_enc[val_idx])
            result = train_network(
                net,
                (x_num[train_idx], x_cat[train_idx], y_enc[train_idx]),
                valid,
                learning_rate=float(self.learning_rate),
                weight_decay=float(self.weight_decay),
                batch_size=int(self.batch_size),
                max_epochs=int(self.max_epochs),
                patience=int(self.patience),
                device=device,
                seed=train_seed,
                deadline=None if self.time_limit is None else start + float(self.time_limit),
                epoch_callback=self.epoch_callback,
            )
        self.classes_ = classes
        self.preprocessor_ = prep
        self.module_ = net
        self.device_ = str(device)
        self.n_epochs_ = result.n_epochs
        self.best_epoch_ = result.best_epoch
        self.best_val_loss_ = result.best_val_loss
        self.train_loss_curve_ = result.train_loss
        self.val_loss_curve_ = result.val_loss
        self.stop_reason_ = result.stop_reason
        return self

    def _split(
        self, y: np.ndarray, n_classes: int, seed: int
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Stratified train/validation rows, or all rows and None for too little data.

        Each class gives ``floor(validation_fraction * count)`` random rows to validation,
        so every class keeps training rows and tiny classes stay in training. When the
        validation rows would not hold two classes, there is no validation split.
        """
        everything = np.arange(len(y))
        if self.validation_fraction == 0:
            return everything, None
        rng = np.random.default_rng(seed)
        parts = []
        for k in range(n_classes):
            rows = np.flatnonzero(y == k)
            m = math.floor(self.validation_fraction * len(rows))
            if m:
                parts.append(rng.choice(rows, m, replace=False))
        if len(parts) < 2:
            return everything, None
        val_idx = np.sort(np.concatenate(parts))
        return np.setdiff1d(everything, val_idx, assume_unique=True), val_idx

    # ----------------------------------------------------------------- predict
    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes), float64
            Columns follow ``classes_``.
        """
        check_is_fitted(self)
        X = self._check_X(X, reset=False)
        x_num, x_cat = self.preprocessor_.transform(X)

        import torch

        from autometa.nas.training import predict_logits, resolve_device

        device = resolve_device(self.device)
        x_num_t, x_cat_t = torch.from_numpy(x_num), torch.from_numpy(x_cat)
        with _torch_threads(self.n_jobs):
            if device.type == "cpu":
                # float64 on the CPU: a row's probabilities do not depend on the batch it
                # is predicted in (float32 matrix products round differently per batch size).
                net = copy.deepcopy(self.module_).double()
                logits = predict_logits(net, x_num_t.double(), x_cat_t, device)
            else:
                net = copy.deepcopy(self.module_).to(device)
                logits = predict_logits(net, x_num_t, x_cat_t, device)
            proba = torch.softmax(logits.double(), dim=1).numpy()
        return proba

    def predict(self, X: Any) -> np.ndarray:
        """Most probable class of each row.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,)
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    # --------------------------------------------------------------- save/load
    def save(self, path: str | PathLike[str]) -> None:
        """Write the fitted model to the directory ``path`` (JSON + torch state dict).

        No pickle is involved: ``model.json`` holds the parameters, preprocessing and
        classes, ``weights.pt`` the network's tensors. ``epoch_callback`` is not saved.
        """
        from autometa.nas.persistence import save_model

        check_is_fitted(self)
        save_model(self, path)

    @classmethod
    def load(cls, path: str | PathLike[str]) -> MLPClassifier:
        """Read a model written by :meth:`save` (weights loaded with ``weights_only=True``).

        Raises
        ------
        autometa.exceptions.WeightsError
            If the files are missing, of an unknown format version, or do not match.
        """
        from autometa.nas.persistence import load_model

        return load_model(cls, path)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        return tags
