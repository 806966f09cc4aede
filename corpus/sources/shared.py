"""The 89 ARFF datasets of ``/work/shared/datasets/`` (Weka / UCI / StatLib / agridata).

Each is read with ``autometa.data.load_dataset(path, target)``, the target being the one that
folder's ``manifest.csv`` names. The folder's README states no licence; the files are the ones
UCI, StatLib and Weka's agridata collection published, whose terms are not stated either, so the
licence is recorded as ``unknown``.
"""

from __future__ import annotations

import csv
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

from . import Task

ROOT = Path(os.environ.get("AUTOMETA_SHARED_DATASETS", "/work/shared/datasets"))

_ORIGIN = {
    "uci": "UCI Machine Learning Repository (as published in Weka's ARFF collection)",
    "statlib": "StatLib (as published in Weka's ARFF collection)",
    "agridata": "Weka agridata collection (New Zealand agricultural datasets)",
}


def tasks(names: list[str] | None = None) -> Iterator[Task]:
    from autometa.data import load_dataset

    with open(ROOT / "manifest.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    want = set(names) if names else None
    for row in rows:
        name = row["name"].strip()
        if want is not None and name not in want:
            continue
        path = ROOT / row["file"].strip()
        target = row["target"].strip()
        X, y = load_dataset(path, target)
        frame = X.copy()
        frame[target] = y
        folder = row["file"].split("/")[0]
        yield Task(
            name=name,
            frame=frame,
            target=target,
            source=f"shared:datasets/{row['file'].strip()}",
            licence="unknown",
            raw_sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
            url="",
            notes=f"{_ORIGIN.get(folder, folder)}; target as in shared/datasets/manifest.csv",
        )
