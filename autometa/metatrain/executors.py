"""Where evaluations run: local worker processes (killed on timeout) or a Dask cluster."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

from autometa.metatrain.evaluate import evaluate_job

__all__ = ["run_dask", "run_local"]

logger = logging.getLogger(__name__)

Job = dict[str, Any]
Result = dict[str, Any]


def _timeout_result(job: Job, limit: float) -> Result:
    return {
        "task": job["task"],
        "config_id": job["config_id"],
        "fold": int(job["fold"]),
        "state": "timeout",
        "error": f"The evaluation exceeded its time limit of {limit:g} s and was stopped.",
        "finished_at": time.time(),
    }


class _Worker:
    def __init__(self, ctx: Any) -> None:
        from autometa.metatrain.evaluate import worker_main

        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=worker_main, args=(child,), daemon=True)
        self.process.start()
        child.close()
        self.job: Job | None = None
        self.deadline = float("inf")

    def submit(self, job: Job, limit: float) -> None:
        self.job = job
        self.deadline = time.monotonic() + limit
        self.conn.send(job)

    def kill(self) -> None:
        try:
            self.process.kill()
            self.process.join(5)
        finally:
            self.conn.close()

    def stop(self) -> None:
        try:
            self.conn.send(None)
            self.process.join(5)
        except (OSError, BrokenPipeError):
            pass
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5)
        self.conn.close()


def run_local(
    jobs: Iterator[Job],
    on_result: Callable[[Result], None],
    *,
    n_workers: int = 1,
    time_limit: float = 30.0,
    grace: float = 15.0,
) -> None:
    """Run jobs in ``n_workers`` spawned processes; a job past its time limit kills its worker.

    A job may take ``time_limit + grace`` seconds (the grace covers loading the task's table
    the first time a worker sees it); a worker that dies (out of memory, a crash in native
    code) is replaced and its job recorded as failed.
    """
    import multiprocessing as mp
    from multiprocessing.connection import wait

    ctx = mp.get_context("spawn")
    limit = float(time_limit) + float(grace)
    workers = [_Worker(ctx) for _ in range(max(1, int(n_workers)))]
    exhausted = False
    try:
        while True:
            for i, w in enumerate(workers):
                if w.job is None and not exhausted:
                    job = next(jobs, None)
                    if job is None:
                        exhausted = True
                        break
                    try:
                        w.submit(job, limit)
                    except (OSError, BrokenPipeError):
                        workers[i] = _Worker(ctx)
                        workers[i].submit(job, limit)
            busy = [w for w in workers if w.job is not None]
            if not busy:
                return
            timeout = max(0.0, min(w.deadline for w in busy) - time.monotonic())
            ready = wait([w.conn for w in busy], timeout=timeout)
            for i, w in enumerate(workers):
                if w.job is None:
                    continue
                if w.conn in ready:
                    try:
                        result = w.conn.recv()
                    except (EOFError, OSError):
                        code = w.process.exitcode
                        result = {
                            "task": w.job["task"],
                            "config_id": w.job["config_id"],
                            "fold": int(w.job["fold"]),
                            "state": "failed",
                            "error": f"The worker process died (exit code {code}).",
                            "finished_at": time.time(),
                        }
                        w.kill()
                        workers[i] = _Worker(ctx)
                    else:
                        w.job = None
                    on_result(result)
                elif time.monotonic() >= w.deadline:
                    job = w.job
                    w.kill()
                    workers[i] = _Worker(ctx)
                    on_result(_timeout_result(job, time_limit))
    finally:
        for w in workers:
            if w.job is not None:
                w.kill()
            else:
                w.stop()


def _evaluate_with_data(job: Job, data: Any) -> Result:
    return evaluate_job(job, data)


def run_dask(
    jobs: Iterator[Job],
    on_result: Callable[[Result], None],
    *,
    scheduler: Any,
    load_frame: Callable[[Job], Any],
    time_limit: float = 30.0,
    grace: float = 15.0,
) -> None:
    """Run jobs on a Dask cluster (``scheduler`` is an address or a ``distributed.Client``).

    Each task's table is scattered once to the cluster. At most one job per worker thread is in
    flight, so a job's deadline runs from its submission; a job past it is cancelled and
    recorded as a timeout (a thread cannot be killed: the worker finishes it in the background).
    """
    from distributed import Client, wait

    client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
    own_client = client is not scheduler
    limit = float(time_limit) + float(grace)
    slots = max(1, sum(client.nthreads().values()))
    scattered: dict[str, Any] = {}
    running: dict[Any, tuple[Job, float]] = {}
    exhausted = False
    try:
        while True:
            while not exhausted and len(running) < slots:
                job = next(jobs, None)
                if job is None:
                    exhausted = True
                    break
                key = job["data_path"]
                if key not in scattered:
                    scattered[key] = client.scatter(load_frame(job), broadcast=True)
                fut = client.submit(_evaluate_with_data, job, scattered[key], pure=False)
                running[fut] = (job, time.monotonic() + limit)
            if not running:
                return
            timeout = max(0.01, min(d for _, d in running.values()) - time.monotonic())
            done, _ = wait(list(running), timeout=timeout, return_when="FIRST_COMPLETED")
            now = time.monotonic()
            for fut in list(running):
                job, deadline = running[fut]
                if fut in done:
                    del running[fut]
                    try:
                        result = fut.result()
                    except Exception as exc:
                        result = {
                            "task": job["task"],
                            "config_id": job["config_id"],
                            "fold": int(job["fold"]),
                            "state": "failed",
                            "error": f"{type(exc).__name__}: {exc}"[:2000],
                            "finished_at": time.time(),
                        }
                    on_result(result)
                elif now >= deadline:
                    del running[fut]
                    fut.cancel()
                    on_result(_timeout_result(job, time_limit))
    finally:
        for fut in running:
            fut.cancel()
        if own_client:
            client.close()
