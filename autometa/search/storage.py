"""Optuna storages for shared studies, and the description a shared study carries."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from autometa.exceptions import AutoMetaError

__all__ = ["SPEC_KEY", "check_spec", "data_fingerprint", "resolve_storage"]

SPEC_KEY = "autometa_spec"


def resolve_storage(storage: Any) -> Any:
    """An Optuna storage from a URL.

    ``None`` keeps the study in memory; ``journal:///path/to/file.log`` (or a path ending in
    ``.log`` / ``.journal``) is a journal file that processes on one machine share; any other
    string is a database URL for SQLAlchemy (``sqlite:///study.db``, ``postgresql://...``),
    which processes on several machines can share. Storage objects pass through.
    """
    if storage is None or not isinstance(storage, str):
        return storage
    import optuna

    path = None
    if storage.startswith("journal://"):
        path = storage[len("journal://") :]
    elif storage.endswith((".log", ".journal")) and "://" not in storage:
        path = storage
    if path is not None:
        from optuna.storages.journal import JournalFileBackend, JournalStorage

        return JournalStorage(JournalFileBackend(path))
    if "://" not in storage:
        raise ValueError(
            f"The 'storage' parameter must be an Optuna storage URL such as "
            f"'sqlite:///study.db', 'postgresql://user@host/db' or 'journal:///path/study.log'. "
            f"Got {storage!r} instead."
        )
    return optuna.storages.RDBStorage(storage, heartbeat_interval=30, grace_period=120)


def data_fingerprint(X: pd.DataFrame, y: np.ndarray) -> str:
    """A short hash of a typed table and its labels: workers must search the same data."""
    import hashlib

    h = hashlib.sha1()
    h.update(pd.util.hash_pandas_object(X, index=False).to_numpy().tobytes())
    h.update(",".join(map(str, X.columns)).encode())
    h.update(np.asarray(y, dtype=np.int64).tobytes())
    return h.hexdigest()[:16]


def check_spec(study: Any, spec: dict) -> dict:
    """Record ``spec`` on a new study, or check that a shared study describes the same search."""
    stored = study.user_attrs.get(SPEC_KEY)
    if stored is None:
        study.set_user_attr(SPEC_KEY, spec)
        return spec
    for key in ("fingerprint", "metric", "families", "cv"):
        if key in spec and stored.get(key) != spec[key]:
            raise AutoMetaError(
                f"Study {study.study_name!r} was started for a different search: its {key} is "
                f"{stored.get(key)!r}, this one's is {spec[key]!r}. Use the same data and "
                "settings, or another study name."
            )
    return stored
