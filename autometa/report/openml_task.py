"""Loading a dataset from an OpenML task for the report, failing fast without a server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from autometa.exceptions import AutoMetaError

__all__ = ["load_openml_task"]


def load_openml_task(
    task_id: int, *, cache_dir: str | Path | None = None, server: str | None = None
) -> tuple[pd.DataFrame, pd.Series, str]:
    """The data of an OpenML task through openml-python: ``(X, y, name)``.

    One connection attempt only, so a machine without network access fails at once rather
    than retrying. A task already in openml-python's cache loads without the server.

    Parameters
    ----------
    task_id : int
        An OpenML supervised-classification task id.
    cache_dir : str or Path, optional
        openml-python's cache directory (default: the client's own setting).
    server : str, optional
        The OpenML API URL (default: the client's own setting, normally www.openml.org).

    Raises
    ------
    autometa.AutoMetaError
        If the task cannot be fetched; the message suggests a local file instead.
    """
    import openml

    if cache_dir is not None:
        openml.config.set_root_cache_directory(str(Path(cache_dir).expanduser()))
    if server is not None:
        openml.config.server = server
    openml.config.connection_n_retries = 1
    try:
        task: Any = openml.tasks.get_task(
            int(task_id), download_splits=False, download_data=True, download_qualities=False
        )
        dataset = task.get_dataset()
        X, y, _, _ = dataset.get_data(target=task.target_name, dataset_format="dataframe")
    except Exception as exc:  # noqa: BLE001 - openml raises many types (requests, XML, ...)
        text = f"{type(exc).__name__}: {exc}"
        text = text if len(text) < 300 else text[:300] + " ..."
        raise AutoMetaError(
            f"Could not get OpenML task {task_id} from {openml.config.server} ({text}). "
            "Without access to the OpenML server, download the data elsewhere and pass the "
            "file instead: autometa report data.arff --target CLASS (CSV, Parquet or ARFF)."
        ) from exc
    y = pd.Series(y, name=str(task.target_name))
    if isinstance(y.dtype, pd.CategoricalDtype):
        y = y.astype(object).where(y.notna(), np.nan)
    name = f"OpenML task {int(task_id)} ({dataset.name})"
    return X.reset_index(drop=True), y.reset_index(drop=True), name
