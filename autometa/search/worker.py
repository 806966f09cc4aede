"""A worker that joins a search running on a shared Optuna storage."""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np
from sklearn.preprocessing import LabelEncoder

from autometa.data import TableEncoder, check_target, to_frame
from autometa.exceptions import AutoMetaError
from autometa.search.evaluation import make_splits
from autometa.search.loop import SearchResult, run_search
from autometa.search.storage import SPEC_KEY, check_spec, data_fingerprint, resolve_storage

__all__ = ["run_worker"]


def run_worker(
    X: Any,
    y: Any,
    *,
    storage: str,
    study_name: str,
    time_budget: float = 60.0,
    n_trials: int | None = None,
    n_jobs: int = 1,
    device: str = "cpu",
    callback: Any = None,
) -> SearchResult:
    """Run trials for a study that an :class:`~autometa.AutoMetaClassifier` started.

    The study records what it searches (families, metric, folds, a fingerprint of the data);
    the worker must be given the same data and checks that it was.

    Raises
    ------
    AutoMetaError
        If the study does not exist, was not started by autometa, or is for other data.
    """
    import optuna

    start = time.monotonic()
    try:
        study = optuna.load_study(study_name=study_name, storage=resolve_storage(storage))
    except KeyError:
        raise AutoMetaError(
            f"No study named {study_name!r} in {storage!r}. Start the search first with "
            f"AutoMetaClassifier(storage=..., study_name={study_name!r}).fit(X, y)."
        ) from None
    spec = study.user_attrs.get(SPEC_KEY)
    if spec is None:
        raise AutoMetaError(f"Study {study_name!r} was not started by autometa.")
    frame = to_frame(X)
    Xt = TableEncoder().fit_transform(frame)
    labels = check_target(y, frame.shape[0])
    encoder = LabelEncoder().fit(labels)
    yc = encoder.transform(labels).astype(np.int64)
    check_spec(study, {"fingerprint": data_fingerprint(Xt, yc)})
    splits = make_splits(yc, int(spec["cv"]), int(spec["seed"]))
    worker_seed = int(spec["seed"]) + os.getpid()  # workers sample different points
    return run_search(
        Xt,
        yc,
        n_classes=len(encoder.classes_),
        families=list(spec["families"]),
        metric=spec["metric"],
        splits=splits,
        deadline=start + float(time_budget),
        n_trials=n_trials,
        seed=worker_seed % (2**31 - 1),
        storage=storage,
        study_name=study_name,
        n_jobs=n_jobs,
        device=device,
        callback=callback,
    )
