"""Helpers shared by the benchmark scripts (not part of the package)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT.parent / "shared" / "datasets"


def manifest() -> pd.DataFrame:
    return pd.read_csv(DATASETS / "manifest.csv")


def load(name: str):
    from autometa.data import load_dataset

    m = manifest().set_index("name")
    return load_dataset(DATASETS / m.loc[name, "file"], m.loc[name, "target"])
