"""The evaluation runner: every (task, configuration, fold) cell scored once, stored as it goes."""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from autometa.metatrain.progress import ProgressCallback
from autometa.metatrain.sources import prepare_task, resolve_source
from autometa.metatrain.store import EvalStore

__all__ = ["order_configs", "plan_configs", "run_evaluations"]

logger = logging.getLogger(__name__)


def _check_positive(name: str, value: Any, kind: type = int, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0
    if kind is int:
        ok = ok and float(value).is_integer()
    if not ok:
        raise ValueError(
            f"The '{name}' parameter of run_evaluations must be a {kind.__name__} > 0. "
            f"Got {value!r} instead."
        )


def plan_configs(
    n_configs: int, *, random_state: int = 0, families: Sequence[str] | None = None
) -> list[tuple[str, dict[str, Any], int]]:
    """``(config_id, config, rank_in_family)`` of the candidate configurations.

    The candidates are :func:`autometa.space.sample_configs`; the rank is the position of a
    configuration in its family's own random stream (0 = the family default), so adding a
    family later adds configurations without renumbering anyone else's.
    """
    from autometa.space import config_id, sample_configs

    out, seen = [], {}
    for cfg in sample_configs(n_configs, random_state=random_state, families=families):
        rank = seen.get(cfg["family"], 0)
        seen[cfg["family"]] = rank + 1
        out.append((config_id(cfg), cfg, rank))
    return out


def order_configs(planned: list[tuple[str, dict[str, Any], int]]) -> list[tuple[str, dict]]:
    """Evaluation order: by rank in family, then family, so any prefix covers every family."""
    from autometa.space import FAMILIES

    fam_index = {name: i for i, name in enumerate(FAMILIES)}
    key = sorted(planned, key=lambda t: (t[2], fam_index.get(t[1]["family"], len(fam_index))))
    return [(cid, cfg) for cid, cfg, _ in key]


def _task_file(root: Path, name: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:60]
    digest = hashlib.sha1(name.encode()).hexdigest()[:8]
    return root / f"{safe}-{digest}.parquet"


def _prepare_tasks(
    store: EvalStore,
    source: Any,
    *,
    folds: int,
    max_rows: int | None,
    random_state: int,
    progress: ProgressCallback | None,
) -> list[dict[str, Any]]:
    """Prepare (or reuse) each task's table; returns the usable tasks with their fold counts."""
    root = store.path.parent / (store.path.stem + "-tasks")
    root.mkdir(parents=True, exist_ok=True)
    known = store.tasks().set_index("name") if not store.tasks().empty else pd.DataFrame()
    specs = resolve_source(source).tasks()
    out = []
    for i, spec in enumerate(specs):
        if progress is not None:
            progress.message(f"preparing task {i + 1}/{len(specs)}: {spec.name}")
        path = _task_file(root, spec.name)
        if spec.name in known.index and path.exists():
            meta = known.loc[spec.name]
            fold_col = pd.read_parquet(path, columns=["__fold__"])["__fold__"].to_numpy()
            n_classes = int(meta["n_classes"])
        else:
            try:
                task = prepare_task(spec, folds=folds, max_rows=max_rows, random_state=random_state)
            except Exception as exc:
                from autometa.exceptions import AutoMetaError

                if isinstance(exc, AutoMetaError):
                    raise
                logger.warning("Task %s skipped: %s", spec.name, exc)
                continue
            tmp = path.with_suffix(".tmp")
            task.frame.to_parquet(tmp, index=False)
            tmp.replace(path)
            store.add_task(
                {
                    "name": task.name,
                    "origin": task.origin,
                    "n_rows": task.n_rows,
                    "n_features": task.n_features,
                    "n_classes": task.n_classes,
                    "n_used": task.n_used,
                    "subsampled": task.subsampled,
                    "data_path": str(path),
                }
            )
            fold_col = task.frame["__fold__"].to_numpy()
            n_classes = task.n_classes
        n_folds = int(min(folds, fold_col.max() + 1))
        out.append(
            {"name": spec.name, "data_path": str(path), "n_folds": n_folds, "n_classes": n_classes}
        )
    return out


def run_evaluations(
    source: Any,
    store_path: str | Path,
    *,
    n_configs: int = 100,
    configs: Sequence[dict[str, Any]] | None = None,
    families: Sequence[str] | None = None,
    folds: int = 3,
    max_rows: int | None = 2000,
    time_limit: float = 30.0,
    n_workers: int = 1,
    scheduler: Any = None,
    progress: ProgressCallback | None = None,
    random_state: int = 0,
) -> dict[str, Any]:
    """Score candidate configurations on every task, fold by fold, into a resumable store.

    Cells already in the store are skipped, so a killed run restarted with the same arguments
    resumes where it stopped, and a run with more configurations (or a new model family, or new
    tasks) evaluates just the missing cells. Configurations are the outer loop (in the
    interleaved order of :func:`autometa.space.sample_configs`), tasks the inner one, so a
    partial table covers every task for its first configurations. When fold 0 of a
    (task, configuration) times out, its other folds are recorded as timeouts without running.

    Parameters
    ----------
    source : str, Path, list of int or source object
        A folder of data files with a ``manifest.csv``, ``"openml:OpenML-CC18"``, OpenML task
        ids, or a :class:`LocalSource` / :class:`OpenMLSource`.
    store_path : str or Path
        The SQLite store (created if missing). Prepared task tables go beside it.
    n_configs : int, default=100
        About this many candidates from :func:`autometa.space.sample_configs`.
    configs : list of dict, optional
        Explicit candidate configurations instead.
    families : list of str, optional
        Restrict the sampled candidates to these model families.
    folds : int, default=3
        Stratified folds per task (the first ``folds`` of an OpenML task's own splits).
    max_rows : int or None, default=2000
        Larger tasks are subsampled (stratified) to this many rows.
    time_limit : float, default=30.0
        Seconds per evaluation; a longer one is stopped and stored as ``"timeout"``.
    n_workers : int, default=1
        Local worker processes (ignored with ``scheduler``).
    scheduler : str or distributed.Client, optional
        A Dask scheduler address (``"tcp://host:8786"``) or client to run on instead.
    progress : ProgressCallback, optional
        Receives ``start``, ``update`` (per finished evaluation), ``message`` and ``finish``.
    random_state : int, default=0
        Seeds the candidates, the subsampling, the folds and the models.

    Returns
    -------
    summary : dict
        ``total`` cells, ``done`` before this run, ``new`` evaluations and their ``states``.
    """
    _check_positive("n_configs", n_configs)
    _check_positive("folds", folds)
    _check_positive("max_rows", max_rows, allow_none=True)
    _check_positive("time_limit", time_limit, kind=float)
    _check_positive("n_workers", n_workers)
    if folds < 2:
        raise ValueError(f"The 'folds' parameter of run_evaluations must be >= 2. Got {folds}.")
    from autometa.space import config_id

    store = EvalStore(store_path)
    try:
        store.check_settings(
            {"folds": int(folds), "max_rows": max_rows, "random_state": int(random_state)}
        )
        tasks = _prepare_tasks(
            store,
            source,
            folds=folds,
            max_rows=max_rows,
            random_state=random_state,
            progress=progress,
        )
        if configs is not None:
            counts: dict[str, int] = {}
            planned = []
            for cfg in configs:
                counts[cfg["family"]] = counts.get(cfg["family"], -1) + 1
                planned.append((config_id(cfg), dict(cfg), counts[cfg["family"]]))
        else:
            planned = plan_configs(n_configs, random_state=random_state, families=families)
        store.add_configs(planned)
        ordered = order_configs(planned)
        done = store.done_keys()
        cells = [
            (cid, cfg, t, k) for cid, cfg in ordered for t in tasks for k in range(t["n_folds"])
        ]
        total = len(cells)
        n_done = sum((t["name"], cid, k) in done for cid, _, t, k in cells)
        states: dict[str, int] = {}
        timed_out: set[tuple[str, str]] = set()

        def record(result: dict[str, Any]) -> None:
            if store.add_result(result):
                states[result["state"]] = states.get(result["state"], 0) + 1
                if progress is not None:
                    progress.update(result)
            if result["state"] == "timeout":
                timed_out.add((result["task"], result["config_id"]))

        def jobs() -> Iterator[dict[str, Any]]:
            for cid, cfg, t, k in cells:
                if (t["name"], cid, k) in done:
                    continue
                if (t["name"], cid) in timed_out:
                    record(
                        {
                            "task": t["name"],
                            "config_id": cid,
                            "fold": k,
                            "state": "timeout",
                            "error": "Not run: an earlier fold of this configuration timed out.",
                            "finished_at": time.time(),
                        }
                    )
                    continue
                yield {
                    "task": t["name"],
                    "config_id": cid,
                    "config": cfg,
                    "fold": k,
                    "data_path": t["data_path"],
                    "n_classes": t["n_classes"],
                    "random_state": int(random_state),
                }

        if progress is not None:
            progress.start(total=total, done=n_done)
        try:
            if scheduler is not None:
                from autometa.metatrain.executors import run_dask

                run_dask(
                    jobs(),
                    record,
                    scheduler=scheduler,
                    time_limit=time_limit,
                    load_frame=lambda job: pd.read_parquet(job["data_path"]),
                )
            else:
                from autometa.metatrain.executors import run_local

                run_local(jobs(), record, n_workers=n_workers, time_limit=time_limit)
        finally:
            if progress is not None:
                progress.finish()
        return {
            "total": total,
            "done": n_done,
            "new": int(sum(states.values())),
            "states": states,
            "tasks": len(tasks),
            "configs": len(ordered),
            "store": str(store.path),
        }
    finally:
        store.close()


def cell_counts(store_path: str | Path) -> dict[str, Any]:
    """How many evaluations a store holds, by state, and how many (task, config) are complete."""
    with EvalStore(store_path) as store:
        ev = store.evaluations()
        n_tasks, n_cfg = len(store.tasks()), len(store.configs())
    by_state = ev["state"].value_counts().to_dict() if len(ev) else {}
    return {
        "evaluations": int(len(ev)),
        "states": {str(k): int(v) for k, v in by_state.items()},
        "tasks": n_tasks,
        "configs": n_cfg,
        "configs_started": int(ev["config_id"].nunique()) if len(ev) else 0,
        "mean_fit_time": float(np.nanmean(ev["fit_time"])) if len(ev) else float("nan"),
    }
