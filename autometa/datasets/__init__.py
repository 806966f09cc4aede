"""Datasets that ship with autometa (for the demo and examples)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd

__all__ = ["demo_path", "load_demo"]


def demo_path() -> Path:
    """Path of the demo dataset: UCI credit approval (``credit-a``, 690 rows, 15 columns of
    mixed types with missing values, binary target ``class``), as OpenML imported it."""
    return Path(str(resources.files(__package__) / "credit-a.arff"))


def load_demo() -> tuple[pd.DataFrame, pd.Series]:
    """The demo dataset as ``(X, y)``."""
    from autometa.data import load_dataset

    return load_dataset(demo_path(), "class")
