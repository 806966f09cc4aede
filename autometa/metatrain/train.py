"""``meta_train``: run the evaluations, then fit the prior, in one call."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from autometa.metatrain.progress import ProgressCallback
from autometa.metatrain.runner import run_evaluations

__all__ = ["meta_train"]


def meta_train(
    source: Any,
    out_dir: str | Path,
    *,
    store_path: str | Path | None = None,
    n_configs: int = 100,
    configs: Any = None,
    families: Any = None,
    folds: int = 3,
    max_rows: int | None = 2000,
    time_limit: float = 30.0,
    n_workers: int = 1,
    scheduler: Any = None,
    progress: ProgressCallback | None = None,
    metric: str = "roc_auc",
    method: str = "auto",
    build_command: str | None = None,
    random_state: int = 0,
) -> dict[str, Any]:
    """Evaluate candidate configurations on the source's tasks and fit a prior from them.

    The evaluations go to ``store_path`` (default: ``<out_dir>/../<name>-store/store.sqlite``,
    outside the artifact) and resume if it exists; see :func:`run_evaluations` and
    :func:`autometa.prior.fit_prior` for the parameters.

    Returns
    -------
    summary : dict
        The run's summary plus ``"prior"``: the artifact folder.
    """
    from autometa.prior import fit_prior

    out = Path(out_dir)
    store = (
        Path(store_path)
        if store_path is not None
        else (out.parent / f"{out.name}-store" / "store.sqlite")
    )
    summary = run_evaluations(
        source,
        store,
        n_configs=n_configs,
        configs=configs,
        families=families,
        folds=folds,
        max_rows=max_rows,
        time_limit=time_limit,
        n_workers=n_workers,
        scheduler=scheduler,
        progress=progress,
        random_state=random_state,
    )
    if progress is not None:
        progress.message("fitting the prior")
    fit_prior(
        store,
        out,
        metric=metric,
        method=method,
        build_command=build_command,
        random_state=random_state,
    )
    summary["prior"] = str(out)
    return summary
