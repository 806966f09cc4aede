from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("OMP_NUM_THREADS", "1")

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
DATASETS = SHARED / "datasets"
OPENML_CACHE = SHARED / "openml-cache"


@pytest.fixture(scope="session")
def datasets_dir() -> Path:
    if not (DATASETS / "manifest.csv").exists():
        pytest.skip(f"the corpus is not at {DATASETS}")
    return DATASETS


@pytest.fixture(scope="session")
def manifest(datasets_dir):
    import pandas as pd

    return pd.read_csv(datasets_dir / "manifest.csv")
