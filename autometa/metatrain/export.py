"""Export of a store's evaluation table (Parquet), so a prior can be rebuilt without the store."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from autometa.metatrain.store import EvalStore

__all__ = ["export_evaluations", "read_export"]


def export_evaluations(store_path: str | Path, out_dir: str | Path) -> dict[str, Any]:
    """Write ``evaluations.parquet`` (zstd), ``configs.json`` and ``tasks.csv`` into ``out_dir``.

    Files are written to a temporary name and renamed, so a reader never sees half a file.

    Returns
    -------
    summary : dict
        Number of evaluations, tasks and configurations exported.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with EvalStore(store_path) as store:
        ev = store.evaluations()
        configs = store.configs()
        tasks = store.tasks()
    from autometa.metatrain.runner import fold_digest

    tasks["folds_sha256"] = [
        fold_digest(p) if p and Path(p).exists() else "" for p in tasks["data_path"].astype(str)
    ]
    tasks = tasks.drop(columns=["data_path", "added"], errors="ignore")
    _atomic(
        out / "evaluations.parquet", lambda p: ev.to_parquet(p, index=False, compression="zstd")
    )
    _atomic(
        out / "configs.json",
        lambda p: Path(p).write_text(
            json.dumps([{"config_id": k, **v} for k, v in configs.items()], indent=1)
        ),
    )
    _atomic(out / "tasks.csv", lambda p: tasks.to_csv(p, index=False))
    return {"evaluations": len(ev), "tasks": len(tasks), "configs": len(configs)}


def read_export(out_dir: str | Path) -> tuple[Any, Any]:
    """The evaluations and tasks of a folder written by :func:`export_evaluations`."""
    import pandas as pd

    folder = Path(out_dir)
    evals = pd.read_parquet(folder / "evaluations.parquet")
    tasks = pd.read_csv(folder / "tasks.csv", keep_default_na=False)
    if "folds_sha256" not in tasks:
        tasks["folds_sha256"] = ""
    return evals, tasks


def _atomic(path: Path, write: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    os.replace(tmp, path)
