"""Fixtures of the meta-feature tests."""

from __future__ import annotations

import pandas as pd
import pytest
from mfdata import DATASETS, read_arff


@pytest.fixture(scope="session")
def corpus():
    """``corpus(name) -> (X, y)`` for a dataset of ../shared/datasets/manifest.csv."""
    if not DATASETS.exists():
        pytest.skip("../shared/datasets is not available")
    manifest = pd.read_csv(DATASETS / "manifest.csv").set_index("name")
    cache: dict[str, tuple[pd.DataFrame, pd.Series]] = {}

    def load(name: str) -> tuple[pd.DataFrame, pd.Series]:
        if name not in cache:
            row = manifest.loc[name]
            cache[name] = read_arff(DATASETS / row["file"], row["target"])
        X, y = cache[name]
        return X.copy(), y.copy()

    return load
