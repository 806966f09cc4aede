"""Helpers shared by the benchmark scripts (not part of the package)."""

from __future__ import annotations

import json
import os
import time
import warnings
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
# The datasets (a folder with a manifest.csv) and the evaluation store the priors are built from;
# AUTOMETA_BENCH_CORPUS / AUTOMETA_BENCH_STORE point them elsewhere (e.g. the corpus/ folder,
# whose manifest marks held-aside tasks with split=test, and the store of its evaluations).
DATASETS = Path(os.environ.get("AUTOMETA_BENCH_CORPUS") or ROOT.parent / "shared" / "datasets")
STORE = Path(os.environ.get("AUTOMETA_BENCH_STORE") or ROOT / "stores" / "corpus.sqlite")
LODO = ROOT / "runs" / "lodo-priors"


def manifest() -> pd.DataFrame:
    return pd.read_csv(DATASETS / "manifest.csv")


def load(name: str):
    from autometa.data import load_dataset

    m = manifest().set_index("name")
    return load_dataset(DATASETS / m.loc[name, "file"], m.loc[name, "target"])


def snapshot_store(refresh: bool) -> Path:
    """A frozen copy of the evaluation store, so every LODO prior sees the same table."""
    import sqlite3

    snap = LODO / "store-snapshot.sqlite"
    if snap.exists() and not refresh:
        return snap
    LODO.mkdir(parents=True, exist_ok=True)
    for old in LODO.glob("*/prior.stamp"):
        old.unlink()
    src = sqlite3.connect(f"file:{STORE}?mode=ro", uri=True)
    dst = sqlite3.connect(snap.with_suffix(".tmp"))
    src.backup(dst)
    dst.close()
    src.close()
    os.replace(snap.with_suffix(".tmp"), snap)
    snap.with_suffix(".id").write_text(time.strftime("%Y-%m-%dT%H:%M:%S"))
    return snap


def build_priors(names: list[str], snap: Path, method: str) -> pd.DataFrame:
    """Leave-one-dataset-out priors, cached under runs/lodo-priors/<dataset>/."""
    from autometa.prior import fit_prior

    ident = snap.with_suffix(".id")
    stamp = f"{ident.read_text() if ident.exists() else 'unknown'} {method}"
    rows = []
    for name in names:
        out = LODO / name
        if (out / "prior.stamp").exists() and (out / "prior.stamp").read_text() == stamp:
            rows.append({"dataset": name, "seconds": 0.0, "cached": True})
            continue
        t = time.monotonic()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit_prior(
                snap,
                out,
                exclude_tasks=[name],
                method=method,
                build_command=f"benchmarks/_common.py build_priors (leave out {name})",
            )
        manifest_ = json.loads((out / "manifest.json").read_text())
        assert name not in manifest_["tasks"], name  # leave-one-dataset-out holds
        (out / "prior.stamp").write_text(stamp)
        rows.append({"dataset": name, "seconds": time.monotonic() - t, "cached": False})
    return pd.DataFrame(rows)
