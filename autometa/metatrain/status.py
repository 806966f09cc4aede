"""How far an evaluation run has got: coverage of its store by task size band."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from autometa.metatrain.store import EvalStore

__all__ = ["BANDS", "store_status"]

#: Size bands of the status table, by the rows a task is evaluated on: (label, low, high).
BANDS = (("<1k", 0, 999), ("1k-10k", 1000, 9999), ("10k+", 10000, None))


def _band(rows: float) -> str:
    for label, low, high in BANDS:
        if rows >= low and (high is None or rows <= high):
            return label
    return BANDS[-1][0]


def store_status(
    store_path: str | Path, *, folds: int = 3, now: float | None = None, window: float = 3600.0
) -> dict[str, Any]:
    """Coverage of an evaluation store: per size band and in total.

    A cell is one (task, configuration, fold); a task is complete when every configuration
    of the store has a result on each of its folds. Tasks are banded by the rows they are
    evaluated on (a fidelity ``name@f`` is a task of its own).

    Parameters
    ----------
    store_path : str or Path
        The SQLite store written by :func:`~autometa.metatrain.run_evaluations`.
    folds : int, default=3
        Folds per task (the run's ``folds``).
    now : float, optional
        The time to measure the recent rate against (a Unix time; default: now).
    window : float, default=3600
        Seconds over which the recent rate of finished cells is measured.

    Returns
    -------
    dict
        ``bands`` (a DataFrame: tasks, complete tasks, cells done and planned, share done,
        failed cells, fit CPU hours), ``total`` (the same over all tasks), ``rate_per_hour``
        (cells finished per hour over the window) and ``eta_hours`` (at that rate; NaN when
        nothing finished in the window).
    """
    path = Path(store_path)
    if not path.exists():
        raise FileNotFoundError(f"No evaluation store at {str(path)!r}.")
    with EvalStore(path) as store:
        tasks = store.tasks()
        n_configs = len(store.configs())
        ev = store.evaluations()
    now = time.time() if now is None else float(now)
    rows = tasks.set_index("name")["n_used"].astype(float)
    per_task = ev.groupby("task").agg(
        done=("state", "size"),
        failed=("state", lambda s: int((s != "ok").sum())),
        cpu=("fit_cpu_time", lambda s: float(np.nansum(s.to_numpy(dtype=float)))),
    )
    frame = pd.DataFrame({"rows": rows}).join(per_task, how="left").fillna(0.0)
    frame["band"] = [_band(r) for r in frame["rows"]]
    planned_per_task = n_configs * folds
    frame["complete"] = frame["done"] >= planned_per_task

    def summarise(part: pd.DataFrame) -> dict[str, Any]:
        planned = len(part) * planned_per_task
        return {
            "tasks": int(len(part)),
            "complete": int(part["complete"].sum()),
            "cells_done": int(part["done"].sum()),
            "cells_planned": int(planned),
            "share_done": float(part["done"].sum() / planned) if planned else float("nan"),
            "failed": int(part["failed"].sum()),
            "fit_cpu_hours": float(part["cpu"].sum() / 3600.0),
        }

    bands = pd.DataFrame(
        {label: summarise(frame[frame["band"] == label]) for label, _, _ in BANDS}
    ).T
    total = summarise(frame)
    finished = ev["finished_at"].to_numpy(dtype=float)
    recent = int(np.sum((finished > now - window) & (finished <= now)))
    rate = recent * 3600.0 / window
    left = total["cells_planned"] - total["cells_done"]
    return {
        "configs": n_configs,
        "bands": bands,
        "total": total,
        "rate_per_hour": rate,
        "eta_hours": left / rate if rate > 0 else float("nan"),
    }
