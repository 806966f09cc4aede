"""Export of a store's evaluation table (Parquet), so a prior can be rebuilt without the store."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from autometa.metatrain.store import EvalStore

__all__ = ["export_evaluations"]


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
        tasks = store.tasks().drop(columns=["data_path", "added"], errors="ignore")
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


def _atomic(path: Path, write: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    os.replace(tmp, path)
