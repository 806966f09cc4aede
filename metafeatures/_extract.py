"""``extract``: validate the arguments, normalise the input, run the groups."""

from __future__ import annotations

import logging
import math
import numbers
import time
import warnings

import numpy as np

from ._context import Context
from ._registry import FEATURES, MODULES, check_groups
from ._result import MetaFeatures
from ._table import to_table

logger = logging.getLogger(__name__)

DEFAULT_MAX_ROWS = 2000
_COSTLY = ("landmarking", "model-based")


def extract(
    X: object,
    y: object,
    groups: str | list[str] | tuple[str, ...] = "all",
    *,
    random_state: int | np.random.Generator | np.random.RandomState | None = None,
    max_rows: int | None = DEFAULT_MAX_ROWS,
    cv_folds: int = 10,
) -> MetaFeatures:
    """Compute meta-features of a classification dataset.

    Parameters
    ----------
    X : pandas.DataFrame or array-like of shape (n_rows, n_features)
        The data. Numeric, categorical, object, string, boolean and nullable pandas
        dtypes are accepted, with missing values anywhere; each group decides how to
        treat them (see ``docs/metafeatures.md``).
    y : array-like of shape (n_rows,)
        Class labels of any hashable type, without missing values.
    groups : "all" or list of str, default="all"
        Groups to compute, among ``"general"``, ``"statistical"``, ``"info-theory"``,
        ``"landmarking"`` and ``"model-based"``.
    random_state : int, numpy Generator, RandomState or None, default=None
        Seed of the subsample, the cross-validation folds, the trees and the random
        attribute of ``random_node``. With an int the result is deterministic and the
        folds are those of pymfe run with the same ``random_state`` and
        ``shuffle_cv_folds=True``.
    max_rows : int or None, default=2000
        The landmarking and model-based groups run on a stratified subsample of this
        many rows when the data is larger (``None``: never subsample). The other groups
        always use every row.
    cv_folds : int, default=10
        Number of stratified cross-validation folds of the landmarkers (fewer when the
        largest class has fewer rows).

    Returns
    -------
    MetaFeatures
        Mapping from feature name to float (NaN when a feature is undefined for the
        data), with the groups computed, the time per group and the subsample used.

    Raises
    ------
    ValueError
        If ``X`` is empty or not two-dimensional, ``y`` has missing values or a length
        different from the number of rows, or an argument is out of range.
    TypeError
        If ``random_state`` or ``groups`` has an unsupported type.
    """
    selected = check_groups(groups)
    seed = _seed(random_state)
    _check_int("max_rows", max_rows, 10, allow_none=True)
    _check_int("cv_folds", cv_folds, 2)

    times: dict[str, float] = {}
    start = time.perf_counter()
    table = to_table(X, y)
    times["input"] = time.perf_counter() - start
    ctx = Context(table, seed=seed, max_rows=max_rows, cv_folds=cv_folds)

    values: dict[str, float] = {}
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", UserWarning)
        for group in selected:
            start = time.perf_counter()
            values.update(MODULES[group].compute(table, ctx))
            times[group] = time.perf_counter() - start
            logger.debug("metafeatures group %s took %.3fs", group, times[group])

    ordered = {f.name: _as_float(values[f.name]) for f in FEATURES if f.group in selected}
    costly = any(g in _COSTLY for g in selected)
    return MetaFeatures(
        ordered,
        groups=selected,
        times=times,
        subsample=ctx.rows if costly else None,
        n_rows=table.n_rows,
    )


def _as_float(value: float) -> float:
    v = float(value)
    return v if math.isfinite(v) else math.nan


def _seed(random_state: object) -> int:
    if random_state is None:
        return int(np.random.default_rng().integers(2**31 - 1))
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        if not 0 <= int(random_state) < 2**32:
            raise ValueError(
                "The 'random_state' parameter of extract must be an int in [0, 2**32), a "
                f"numpy Generator, a RandomState or None. Got {random_state!r} instead."
            )
        return int(random_state)
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**31 - 1))
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(2**31 - 1))
    raise TypeError(
        "The 'random_state' parameter of extract must be an int in [0, 2**32), a numpy "
        f"Generator, a RandomState or None. Got {random_state!r} instead."
    )


def _check_int(name: str, value: object, low: int, *, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= low
    if not ok:
        none = " or None" if allow_none else ""
        raise ValueError(
            f"The '{name}' parameter of extract must be an int >= {low}{none}. "
            f"Got {value!r} instead."
        )
