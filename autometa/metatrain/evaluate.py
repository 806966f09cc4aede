"""Scoring one configuration on one fold of one prepared task (runs inside a worker)."""

from __future__ import annotations

import os
import time
import traceback
from pathlib import Path
from typing import Any

__all__ = ["evaluate_job", "fold_metrics"]

# Prepared tables, by path, kept by each worker process (the whole corpus fits in memory).
_DATA: dict[str, Any] = {}


def _frame(job: dict[str, Any], data: Any = None) -> Any:
    if data is not None:
        return data
    import pandas as pd

    path = job["data_path"]
    if path not in _DATA:
        _DATA[path] = pd.read_parquet(Path(path))
    return _DATA[path]


def fold_metrics(y_true: Any, proba: Any, n_classes: int) -> dict[str, float]:
    """ROC AUC (one-vs-rest macro over the classes present), accuracy and log loss.

    ``proba`` has shape (n_rows, n_classes). A class absent from ``y_true`` is left out of the
    macro average; with a single class in ``y_true`` the AUC is NaN.
    """
    import numpy as np
    from sklearn.metrics import log_loss, roc_auc_score

    y = np.asarray(y_true)
    p = np.clip(np.asarray(proba, dtype="float64"), 1e-15, 1.0)
    p = p / p.sum(axis=1, keepdims=True)
    present = np.unique(y)
    if len(present) < 2:
        auc = float("nan")
    elif n_classes == 2:
        auc = float(roc_auc_score(y == 1, p[:, 1]))
    else:
        auc = float(np.mean([roc_auc_score(y == c, p[:, c]) for c in present]))
    return {
        "roc_auc": auc,
        "accuracy": float(np.mean(p.argmax(axis=1) == y)),
        "log_loss": float(log_loss(y, p, labels=list(range(n_classes)))),
    }


def evaluate_job(job: dict[str, Any], data: Any = None) -> dict[str, Any]:
    """Fit ``job["config"]`` on the training rows of fold ``job["fold"]`` and score it.

    Never raises: a failure is returned as ``state="failed"`` with the error message.
    """
    out: dict[str, Any] = {
        "task": job["task"],
        "config_id": job["config_id"],
        "fold": int(job["fold"]),
        "state": "failed",
    }
    try:
        out.update(_evaluate(job, data))
        out["state"] = "ok"
    except Exception as exc:  # a failing configuration is a result, not a crash
        tb = traceback.format_exception_only(type(exc), exc)
        out["error"] = "".join(tb).strip()[:2000]
    out["finished_at"] = time.time()
    return out


def _evaluate(job: dict[str, Any], data: Any) -> dict[str, Any]:
    import warnings

    import numpy as np
    from threadpoolctl import threadpool_limits

    from autometa.space import build_pipeline

    frame = _frame(job, data)
    fold_col = frame["__fold__"].to_numpy()
    used = fold_col >= 0
    k = int(job["fold"])
    train, test = used & (fold_col != k), fold_col == k
    if not test.any():
        raise ValueError(f"Fold {k} of task {job['task']!r} has no rows.")
    X = frame.drop(columns=["__y__", "__fold__"])
    # Column names carry no information for a model; plain ones avoid libraries' name rules
    # (LightGBM rejects JSON special characters in feature names).
    X.columns = [f"f{i}" for i in range(X.shape[1])]
    y = frame["__y__"].to_numpy()
    n_classes = int(job["n_classes"])
    present = np.unique(y[train])
    if len(present) < 2:
        raise ValueError("The training rows of this fold hold a single class.")
    y_train = np.searchsorted(present, y[train])  # contiguous labels 0..k'-1
    model = build_pipeline(job["config"], random_state=int(job.get("random_state", 0)), n_jobs=1)
    X_train, X_test = X.loc[train].reset_index(drop=True), X.loc[test].reset_index(drop=True)
    with threadpool_limits(1), warnings.catch_warnings(), _PeakMemory() as memory:
        warnings.simplefilter("ignore")
        t0, c0 = time.perf_counter(), time.process_time()
        model.fit(X_train, y_train)
        t1, c1 = time.perf_counter(), time.process_time()
        part = model.predict_proba(X_test)
        t2 = time.perf_counter()
    proba = np.zeros((int(test.sum()), n_classes))
    classes = np.asarray(getattr(model, "classes_", np.arange(len(present))), dtype=int)
    proba[:, present[classes]] = part
    metrics = fold_metrics(y[test], proba, n_classes)
    return {
        **metrics,
        "fit_time": t1 - t0,
        "fit_cpu_time": c1 - c0,
        "predict_time": t2 - t1,
        "fit_memory_mb": memory.peak_increase_mb,
        "n_train": int(train.sum()),
        "n_test": int(test.sum()),
    }


class _PeakMemory:
    """The peak resident memory of this process above its level on entry, sampled every 20 ms.

    Fit memory as a planner needs it: what fitting and predicting add to the process (the
    task's table is already loaded when it starts).
    """

    def __init__(self, interval: float = 0.02) -> None:
        self.interval = interval
        self.peak_increase_mb = float("nan")

    def __enter__(self) -> _PeakMemory:
        import threading

        import psutil

        self._process = psutil.Process()
        self._base = self._peak = self._process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            self._peak = max(self._peak, self._process.memory_info().rss)

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()
        self._peak = max(self._peak, self._process.memory_info().rss)
        self.peak_increase_mb = (self._peak - self._base) / 2**20


def worker_main(conn: Any) -> None:
    """Loop of a local worker process: receive a job, send back its result; None stops."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("MKL_NUM_THREADS", "1")
    import logging
    import warnings

    warnings.simplefilter("ignore")
    logging.getLogger("lightgbm").setLevel(logging.ERROR)
    while True:
        try:
            job = conn.recv()
        except (EOFError, KeyboardInterrupt):
            return
        if job is None:
            return
        conn.send(evaluate_job(job))
