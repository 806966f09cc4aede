"""Data helpers of the meta-feature tests: ARFF files of ../shared, pymfe input."""

from __future__ import annotations

import re
from pathlib import Path

import arff
import numpy as np
import pandas as pd

SHARED = Path(__file__).resolve().parents[3] / "shared"
DATASETS = SHARED / "datasets"
ANNEAL = SHARED / "openml-cache" / "org" / "openml" / "test" / "datasets" / "2"

# Weka's "integer [lo,hi]" attribute type, which liac-arff rejects.
_WEKA_RANGE = re.compile(r"(?im)^(@attribute\s+.+?\s+)integer\s*\[[^\]]*\]\s*$")


def read_arff(path: Path, target: str | None = None) -> tuple[pd.DataFrame, pd.Series]:
    """Load an ARFF file as (X, y); nominal attributes become pandas categoricals."""
    text = _WEKA_RANGE.sub(r"\1numeric", path.read_text())
    data = arff.loads(text)
    names = [name for name, _ in data["attributes"]]
    frame = pd.DataFrame(data["data"], columns=names)
    for name, kind in data["attributes"]:
        if isinstance(kind, list):
            frame[name] = pd.Categorical(frame[name], categories=kind)
        else:
            frame[name] = pd.to_numeric(frame[name])
    target = target or names[-1]
    return frame.drop(columns=target), frame[target]


def to_pymfe(X: pd.DataFrame) -> np.ndarray:
    """pymfe's input: numeric columns as numbers, nominal ones as strings (object array)."""
    out = X.astype(object)
    for col in X.columns:
        if isinstance(X[col].dtype, pd.CategoricalDtype):
            out[col] = X[col].astype(str)
    return out.to_numpy()
