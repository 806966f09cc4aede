from __future__ import annotations

import csv
from pathlib import Path

import pytest
from metatrain_tiny import DATASETS, TINY


@pytest.fixture(scope="session")
def tiny_manifest(tmp_path_factory, datasets_dir) -> Path:
    """A manifest of four small corpus datasets (absolute file paths)."""
    out = tmp_path_factory.mktemp("tiny") / "manifest.csv"
    with open(datasets_dir / "manifest.csv", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["name"] in TINY]
    with open(out, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["name", "file", "target"])
        writer.writeheader()
        for r in rows:
            writer.writerow(
                {"name": r["name"], "file": str(DATASETS / r["file"]), "target": r["target"]}
            )
    return out
