"""The evaluation runner: every (task, configuration, fold) cell scored once, stored as it goes."""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
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
    fidelities: Sequence[int] = (),
    random_state: int,
    progress: ProgressCallback | None,
) -> list[dict[str, Any]]:
    """Prepare (or reuse) each task's table; returns the usable tasks with their fold counts.

    A task of more than twice a fidelity's rows is also prepared as a stratified subsample of
    that many rows, named ``"<task>@<rows>"``, so rankings can be compared across sizes.
    """
    root = store.path.parent / (store.path.stem + "-tasks")
    root.mkdir(parents=True, exist_ok=True)
    known = store.tasks().set_index("name") if not store.tasks().empty else pd.DataFrame()
    specs = resolve_source(source).tasks()
    out = []
    queue = [(spec, max_rows) for spec in specs]
    i = 0
    while i < len(queue):
        spec, rows = queue[i]
        i += 1
        if progress is not None:
            progress.message(f"preparing task {i}/{len(queue)}: {spec.name}")
        path = _task_file(root, spec.name)
        if spec.name in known.index and path.exists():
            meta = known.loc[spec.name]
            fold_col = pd.read_parquet(path, columns=["__fold__"])["__fold__"].to_numpy()
            n_classes = int(meta["n_classes"])
            n_rows, n_used = int(meta["n_rows"]), int(meta["n_used"])
        else:
            try:
                task = prepare_task(spec, folds=folds, max_rows=rows, random_state=random_state)
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
            n_classes, n_rows, n_used = task.n_classes, task.n_rows, task.n_used
        if rows == max_rows:  # a task at its full size: queue its subsampled fidelities
            queue += [
                (replace(spec, name=f"{spec.name}@{f}"), int(f))
                for f in sorted(fidelities)
                if n_rows > 2 * f
            ]
        n_folds = int(min(folds, fold_col.max() + 1))
        out.append(
            {
                "name": spec.name,
                "data_path": str(path),
                "n_folds": n_folds,
                "n_classes": n_classes,
                "n_used": n_used,
            }
        )
    return out


def _applicable(family: str, n_train: int) -> bool:
    """Whether a family is tried on a training set of ``n_train`` rows (its ``max_rows``)."""
    from autometa.space import FAMILIES

    limit = FAMILIES[family].max_rows if family in FAMILIES else None
    return limit is None or n_train <= limit


def run_evaluations(
    source: Any,
    store_path: str | Path,
    *,
    n_configs: int = 100,
    configs: Sequence[dict[str, Any]] | None = None,
    pool: str | None = None,
    families: Sequence[str] | None = None,
    folds: int = 3,
    max_rows: int | None = 2000,
    fidelities: Sequence[int] = (),
    max_task_rows: int | None = None,
    time_limit: float = 30.0,
    n_workers: int = 1,
    scheduler: Any = None,
    progress: ProgressCallback | None = None,
    random_state: int = 0,
    seed_from: str | Path | None = None,
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
    pool : {"sobol"}, optional
        The space-filling pool of :func:`autometa.metatrain.pool.candidate_pool` instead
        (about 300 configurations over every family, the shipped prior's among them).
    families : list of str, optional
        Restrict the sampled candidates to these model families.
    folds : int, default=3
        Stratified folds per task (the first ``folds`` of an OpenML task's own splits).
    max_rows : int or None, default=2000
        Larger tasks are subsampled (stratified) to this many rows.
    fidelities : sequence of int, default=()
        Also evaluate each task of more than twice ``f`` rows on a stratified subsample of
        ``f`` rows (the task ``"<name>@<f>"``), for each ``f``.
    max_task_rows : int, optional
        Evaluate only the tasks (and fidelities) of at most this many rows in this run; the
        others stay in the store for a later run (cheap cells first).
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
    seed_from : str or Path, optional
        An earlier store whose evaluations are copied in where they are the same cell: the
        same task with the same rows, labels and folds (checked row by row), the same
        configuration. Saves re-running them when a store is started anew with more tasks,
        configurations or a larger row cap.

    Returns
    -------
    summary : dict
        ``total`` cells, ``done`` before this run, ``new`` evaluations and their ``states``.
    """
    _check_positive("n_configs", n_configs)
    _check_positive("folds", folds)
    _check_positive("max_rows", max_rows, allow_none=True)
    _check_positive("max_task_rows", max_task_rows, allow_none=True)
    for f in fidelities:
        _check_positive("fidelities", f)
    if configs is not None and pool is not None:
        raise ValueError("Pass either 'configs' or 'pool' to run_evaluations, not both.")
    if pool not in (None, "sobol"):
        raise ValueError(
            f"The 'pool' parameter of run_evaluations must be 'sobol' or None. Got {pool!r}."
        )
    _check_positive("time_limit", time_limit, kind=float)
    _check_positive("n_workers", n_workers)
    if folds < 2:
        raise ValueError(f"The 'folds' parameter of run_evaluations must be >= 2. Got {folds}.")
    from autometa.space import config_id

    store = EvalStore(store_path)
    try:
        settings = {"folds": int(folds), "max_rows": max_rows, "random_state": int(random_state)}
        if fidelities:
            settings["fidelities"] = sorted(int(f) for f in fidelities)
        store.check_settings(settings)
        tasks = _prepare_tasks(
            store,
            source,
            folds=folds,
            max_rows=max_rows,
            fidelities=fidelities,
            random_state=random_state,
            progress=progress,
        )
        if max_task_rows is not None:
            tasks = [t for t in tasks if t["n_used"] <= max_task_rows]
        tasks.sort(key=lambda t: t["n_used"])  # within a configuration, cheap tasks first
        if configs is not None:
            counts: dict[str, int] = {}
            planned = []
            for cfg in configs:
                counts[cfg["family"]] = counts.get(cfg["family"], -1) + 1
                planned.append((config_id(cfg), dict(cfg), counts[cfg["family"]]))
        elif pool == "sobol":
            from autometa.metatrain.pool import candidate_pool, pool_configs
            from autometa.prior import default_prior_path

            planned = candidate_pool(
                keep=pool_configs(default_prior_path()), random_state=random_state
            )
            if families is not None:
                planned = [p for p in planned if p[1]["family"] in set(families)]
        else:
            planned = plan_configs(n_configs, random_state=random_state, families=families)
        store.add_configs(planned)
        if seed_from is not None:
            copied = seed_store(store, seed_from, tasks)
            if progress is not None:
                progress.message(f"copied {copied} evaluations from {seed_from}")
        ordered = order_configs(planned)
        done = store.done_keys()
        cells = [
            (cid, cfg, t, k)
            for cid, cfg in ordered
            for t in tasks
            if _applicable(cfg["family"], t["n_used"] - t["n_used"] // t["n_folds"])
            for k in range(t["n_folds"])
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


def fold_digest(path: str | Path) -> str:
    """sha256 of a prepared task's labels and fold assignment, row by row."""
    frame = pd.read_parquet(path, columns=["__y__", "__fold__"])
    data = np.ascontiguousarray(frame.to_numpy(dtype=np.int64))
    return hashlib.sha256(data.tobytes()).hexdigest()


def seed_store(store: EvalStore, other: str | Path, tasks: list[dict[str, Any]]) -> int:
    """Copy ``other``'s evaluations of cells identical to this store's; returns how many.

    ``other`` is an evaluation store or a folder written by
    :func:`~autometa.metatrain.export_evaluations`. A task is the same when its name, its
    labels and its folds agree row by row (so the models saw the same training rows); only
    configurations this store holds are copied. Cells already in the store are kept.
    """
    from autometa.metatrain.export import read_export

    other_path = Path(other)
    if other_path.is_dir():
        evals, src_tasks = read_export(other_path)
    elif other_path.exists():
        with EvalStore(other_path) as src:
            evals, src_tasks = src.evaluations(), src.tasks()
        digests = []
        for path in src_tasks["data_path"].astype(str):
            p = Path(path)
            if not p.exists():  # a path relative to where the store was made
                p = other_path.parent / Path(*p.parts[1:])
            digests.append(fold_digest(p) if p.exists() else "")
        src_tasks = src_tasks.assign(folds_sha256=digests)
    else:
        raise FileNotFoundError(f"No evaluation store or export to seed from at {str(other)!r}.")
    digest = dict(zip(src_tasks["name"], src_tasks["folds_sha256"], strict=True))
    same = {t["name"] for t in tasks if digest.get(t["name"]) == fold_digest(t["data_path"])}
    rows = evals[evals["task"].isin(same) & evals["config_id"].isin(set(store.configs()))]
    copied = 0
    for rec in rows.to_dict("records"):
        rec = {k: (None if isinstance(v, float) and v != v else v) for k, v in rec.items()}
        copied += bool(store.add_result(rec))
    return copied


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
