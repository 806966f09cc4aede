from __future__ import annotations

import csv
from pathlib import Path

import pytest

DATASETS = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"
TINY = ["pasture", "squash.stored", "white.clover", "zoo"]
CONFIGS = [
    {"family": "logistic_regression", "params": {"C": 1.0, "class_weight": "none"}},
    {"family": "knn", "params": {"n_neighbors": 5, "weights": "uniform", "p": 2}},
    {"family": "logistic_regression", "params": {"C": 0.001, "class_weight": "balanced"}},
    {"family": "knn", "params": {"n_neighbors": 1, "weights": "distance", "p": 1}},
    {"family": "logistic_regression", "params": {"C": 100.0, "class_weight": "none"}},
    {"family": "knn", "params": {"n_neighbors": 15, "weights": "distance", "p": 2}},
]


@pytest.fixture(scope="session")
def tiny_store(tmp_path_factory, datasets_dir) -> Path:
    """An evaluation store of six cheap configurations on four tiny corpus tasks, 2 folds."""
    from autometa.metatrain import run_evaluations

    root = tmp_path_factory.mktemp("prior-store")
    manifest = root / "manifest.csv"
    with open(datasets_dir / "manifest.csv", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["name"] in TINY]
    with open(manifest, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["name", "file", "target"])
        writer.writeheader()
        for r in rows:
            writer.writerow(
                {"name": r["name"], "file": str(DATASETS / r["file"]), "target": r["target"]}
            )
    store = root / "store.sqlite"
    run_evaluations(manifest, store, configs=CONFIGS, folds=2)
    return store


@pytest.fixture(scope="session")
def tiny_prior(tiny_store, tmp_path_factory) -> Path:
    from autometa.prior import fit_prior

    return fit_prior(tiny_store, tmp_path_factory.mktemp("prior") / "p", build_command="test")
