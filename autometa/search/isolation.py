"""Fitting in a separate worker process, so a trial can be stopped when it runs out of time
or memory, and a crash (segfault, out-of-memory kill) in a library costs one trial, not the run.

The worker process is reused across trials; the training table is sent to it once per search.
"""

from __future__ import annotations

import os
import time
import uuid
from typing import Any

import numpy as np

__all__ = ["FoldRunner", "TrialMemoryError", "TrialTimeout"]

_DATA: dict[str, tuple[Any, np.ndarray]] = {}  # lives in the worker process only


class TrialTimeout(Exception):
    """A fit exceeded its time limit and its worker was stopped."""


class TrialMemoryError(Exception):
    """A fit exceeded the memory limit."""


def _init_worker(n_jobs: int) -> None:
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(max(1, n_jobs))


def _children_rss_mb(pids: Any = None) -> float:
    """Resident memory of the given processes (default: all children of this one), in MB."""
    import psutil

    total = 0
    procs = (
        psutil.Process().children(recursive=True)
        if pids is None
        else [psutil.Process(p) for p in pids if psutil.pid_exists(p)]
    )
    for child in procs:
        try:
            total += child.memory_info().rss
        except psutil.Error:
            pass
    return total / 2**20


class _MissingData(Exception):
    pass


def _fit_fold(token, payload, config, seed, n_jobs, device, train, test, n_classes, timeout):
    """Runs in the worker: build, fit, predict one fold. Returns (proba, fit seconds)."""
    from threadpoolctl import threadpool_limits

    from autometa import space
    from autometa.search.evaluation import aligned_proba, prepare_model

    if payload is not None:
        _DATA.clear()
        _DATA[token] = payload
    if token not in _DATA:
        raise _MissingData(token)
    X, y = _DATA[token]
    start = time.monotonic()
    try:
        with threadpool_limits(limits=max(1, n_jobs)):
            model = space.build_pipeline(config, random_state=seed, n_jobs=n_jobs, device=device)
            model = prepare_model(model, timeout)
            model.fit(X.iloc[train], y[train])
            proba = aligned_proba(model, X.iloc[test], n_classes)
    except MemoryError as exc:
        raise TrialMemoryError(f"the fit ran out of memory: {exc}") from None
    return proba, time.monotonic() - start


def _noop() -> None:
    import sklearn.ensemble  # noqa: F401  (the imports every fold needs)

    import autometa.space  # noqa: F401


class FoldRunner:
    """Runs folds in a reusable worker process with a time limit and a memory limit."""

    def __init__(
        self, X: Any, y: np.ndarray, *, n_jobs: int = 1, memory_limit_mb: float | None = None
    ) -> None:
        self._payload = (X, y)
        self._token = uuid.uuid4().hex
        self._n_jobs = n_jobs
        self._memory_limit_mb = memory_limit_mb
        self._sent = False
        self._pool = None

    def _executor(self):
        """This runner's own one-process pool (started on first use, after a stop again).

        Owning the pool, rather than sharing loky's reusable one, means a stop kills exactly
        this worker and never races with a pool being started elsewhere.
        """
        if self._pool is None:
            from joblib.externals.loky.process_executor import ProcessPoolExecutor

            self._pool = ProcessPoolExecutor(
                max_workers=1, initializer=_init_worker, initargs=(self._n_jobs,)
            )
            self._sent = False
        return self._pool

    def run(
        self,
        config: dict,
        seed: int,
        device: str,
        train: np.ndarray,
        test: np.ndarray,
        n_classes: int,
        timeout: float,
    ) -> tuple[np.ndarray, float]:
        from concurrent.futures import TimeoutError as FuturesTimeout

        from joblib.externals.loky.process_executor import TerminatedWorkerError

        for _attempt in range(2):
            payload = None if self._sent else self._payload
            executor = self._executor()
            future = executor.submit(
                _fit_fold,
                self._token,
                payload,
                config,
                seed,
                self._n_jobs,
                device,
                train,
                test,
                n_classes,
                timeout,
            )
            try:
                result = self._wait(future, timeout)
            except _MissingData:
                self._sent = False  # the worker was replaced: send the table again
                continue
            except FuturesTimeout:
                self.stop()
                raise TrialTimeout(
                    f"the fit took longer than its limit of {timeout:.1f} s"
                ) from None
            except TerminatedWorkerError as exc:
                self._sent = False
                raise TrialMemoryError(
                    f"the worker process died during the fit ({exc.__class__.__name__}); "
                    "most likely it ran out of memory"
                ) from None
            except BaseException:
                if not future.done():  # KeyboardInterrupt while waiting: stop the worker
                    self.stop()
                raise
            self._sent = True
            return result
        raise RuntimeError("the worker process lost the training data twice")

    def warm_up(self) -> None:
        """Start the worker process now (in the background), so that its start-up overlaps
        with other work instead of delaying the first trial."""
        try:
            self._executor().submit(_noop)
        except Exception:  # pragma: no cover - the first real fold will try again
            pass

    def _wait(self, future, timeout: float):
        """Wait for the fold, watching the worker's resident memory (RLIMIT_AS would count
        the virtual reservations of torch and OpenMP, so memory is polled instead)."""
        from concurrent.futures import TimeoutError as FuturesTimeout

        end = time.monotonic() + max(0.05, timeout)
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise FuturesTimeout()
            try:
                return future.result(timeout=min(0.1, left))
            except FuturesTimeout:
                pass
            if self._memory_limit_mb:
                workers = getattr(self._pool, "_processes", None)
                rss = _children_rss_mb(list(workers) if workers else None)
                if rss > self._memory_limit_mb:
                    self.stop()
                    raise TrialMemoryError(
                        f"the fit used {rss:.0f} MB, over the memory limit of "
                        f"{self._memory_limit_mb:.0f} MB"
                    )

    def close(self) -> None:
        """Stop the worker: the search is over."""
        self.stop()

    def stop(self) -> None:
        """Kill the worker (a new one starts with the next fold)."""
        pool, self._pool, self._sent = self._pool, None, False
        if pool is not None:
            try:
                pool.shutdown(wait=False, kill_workers=True)
            except Exception:  # pragma: no cover - best effort
                pass
