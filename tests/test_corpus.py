"""The committed corpus: every manifest row is a real file with the recorded hash and shape."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1] / "corpus"


@pytest.fixture(scope="module")
def manifest() -> pd.DataFrame:
    path = ROOT / "manifest.csv"
    if not path.exists():
        pytest.fail(f"the corpus manifest {path} is missing")
    return pd.read_csv(path)


def test_every_file_has_its_recorded_sha256(manifest):
    for row in manifest.itertuples():
        data = (ROOT / row.file).read_bytes()
        assert hashlib.sha256(data).hexdigest() == row.sha256, row.name


def test_names_unique_and_provenance_recorded(manifest):
    assert manifest["name"].is_unique
    assert manifest["source"].str.len().gt(0).all()
    assert manifest["licence"].notna().all()
    dups = pd.read_csv(ROOT / "duplicates.csv")
    assert not set(dups["name"]) & set(manifest["name"])  # a dropped task is not kept
    assert set(dups["duplicate_of"]) <= set(manifest["name"])


def test_held_aside_test_split_spans_sizes(manifest):
    test = manifest[manifest["split"] == "test"]
    assert len(test) == 40
    assert set(manifest["split"]) == {"train", "test"}
    assert (test["n_rows"] < 1000).any() and (test["n_rows"] >= 10_000).any()
    assert manifest["n_rows"].le(200_000).all()  # larger tasks are subsampled


def test_corpus_stays_compact():
    size = sum(p.stat().st_size for p in (ROOT / "data").glob("*.parquet"))
    assert size < 150 * 2**20


def test_tasks_load_with_the_recorded_shape(manifest):
    from autometa.metatrain import LocalSource

    names = list(manifest.sort_values("n_rows")["name"].iloc[::40])  # a spread of sizes
    specs = LocalSource(ROOT, names=names).tasks()
    assert [s.name for s in specs] == names
    rows = manifest.set_index("name")
    for spec in specs:
        X, y, _ = spec.load()
        assert len(X) == len(y) == rows.loc[spec.name, "n_rows"], spec.name
        assert X.shape[1] == rows.loc[spec.name, "n_features"], spec.name
        assert y.nunique() == rows.loc[spec.name, "n_classes"], spec.name
