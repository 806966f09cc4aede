"""Private ARFF reader for the few-shot corpus (tolerant of Weka's ``integer [lo,hi]``)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

_INT_RANGE = re.compile(
    r"^(\s*@attribute\s+.+?\s+)(integer|real|numeric)\s*\[[^\]]*\]\s*$", re.IGNORECASE
)


def _clean_header(text: str) -> str:
    out = []
    for line in text.splitlines():
        m = _INT_RANGE.match(line)
        out.append(m.group(1) + "numeric" if m else line)
    return "\n".join(out)


def read_arff(path: str | Path, target: str | None = None) -> tuple[pd.DataFrame, pd.Series]:
    """Read an ARFF file into the data contract (float64 or categorical columns).

    Parameters
    ----------
    path : str or Path
        The ARFF file.
    target : str, optional
        Name of the class attribute; the last attribute when omitted.

    Returns
    -------
    X : DataFrame of shape (n_rows, n_features)
    y : Series of shape (n_rows,)
        Rows whose target is missing are dropped.
    """
    import arff

    from autometa.fewshot._errors import FewShotDataError

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
        data = arff.loads(_clean_header(text))
    except Exception as exc:  # liac-arff raises many types
        raise FewShotDataError(f"Could not parse the ARFF file {path}: {exc}") from exc
    names = [a[0] for a in data["attributes"]]
    frame = pd.DataFrame(data["data"], columns=names)
    cols = {}
    for name, kind in data["attributes"]:
        col = frame[name]
        if isinstance(kind, list):
            cols[name] = pd.Categorical(col.where(col.notna(), None), categories=list(kind))
        elif str(kind).upper() in {"NUMERIC", "REAL", "INTEGER"}:
            cols[name] = pd.to_numeric(col, errors="coerce").astype("float64")
        else:  # STRING / DATE: treat as categorical on observed values
            cols[name] = pd.Categorical(col.astype("object").where(col.notna(), None))
    frame = pd.DataFrame(cols)
    if target is None:
        target = names[-1]
    if target not in frame.columns:
        raise FewShotDataError(f"The target {target!r} is not an attribute of {path}.")
    y = frame.pop(target)
    keep = y.notna().to_numpy()
    frame.columns = [str(c) for c in frame.columns]
    return frame.loc[keep].reset_index(drop=True), y[keep].reset_index(drop=True)


def load_dataset(path: str | Path, target: str | None = None) -> tuple[pd.DataFrame, pd.Series]:
    """Load a dataset, through ``autometa.data.load_dataset`` when it is available."""
    try:
        from autometa.data import load_dataset as _load  # type: ignore[attr-defined]
    except ImportError:
        return read_arff(path, target)
    return _load(path, target)


def frame_to_codes(X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Turn a contract DataFrame into a float matrix with categorical columns as codes.

    Returns
    -------
    values : ndarray of shape (n_rows, n_features), float64, NaN for missing
    is_cat : ndarray of shape (n_features,), bool
    n_levels : ndarray of shape (n_features,), int (0 for numeric columns)
    """
    n, p = X.shape
    values = np.empty((n, p), dtype=np.float64)
    is_cat = np.zeros(p, dtype=bool)
    n_levels = np.zeros(p, dtype=np.int64)
    for j, name in enumerate(X.columns):
        col = X[name]
        if isinstance(col.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(
            col.dtype
        ):
            cat = col if isinstance(col.dtype, pd.CategoricalDtype) else col.astype("category")
            codes = cat.cat.codes.to_numpy().astype(np.float64)
            codes[codes < 0] = np.nan
            values[:, j] = codes
            is_cat[j] = True
            n_levels[j] = len(cat.cat.categories)
        else:
            values[:, j] = pd.to_numeric(col, errors="coerce").to_numpy(
                dtype=np.float64, na_value=np.nan
            )
    return values, is_cat, n_levels
