"""Task sources for meta-training: a local folder of data files, or OpenML tasks.

A source yields :class:`TaskSpec` objects; :func:`prepare_task` turns one into the typed,
subsampled table (with its fold assignment) that the evaluation runner scores configurations on.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from autometa.exceptions import AutoMetaError

__all__ = [
    "LocalSource",
    "OpenMLSource",
    "PreparedTask",
    "TaskSpec",
    "prepare_task",
    "resolve_source",
]

logger = logging.getLogger(__name__)

_DATA_SUFFIXES = (".arff", ".arff.gz", ".csv", ".csv.gz", ".tsv", ".parquet", ".pq")
_OFFLINE_HINT = (
    "Meta-training on OpenML needs the OpenML server (or a client cache holding these tasks). "
    "Without network access, train on a local folder of data files instead: "
    "--source DIR (a folder of ARFF/CSV/Parquet files with a manifest.csv of name,file,target)."
)


@dataclass(frozen=True)
class TaskSpec:
    """A classification task to meta-train on.

    Attributes
    ----------
    name : str
        Unique task name (the key in the evaluation store).
    load : callable
        ``load() -> (X, y, folds)``: features, labels, and either None (the runner draws
        stratified folds) or an int array of shape (n_rows,) giving each row's test fold.
    origin : str
        Where the task comes from (a file path or an OpenML task id), for the record.
    """

    name: str
    load: Callable[[], tuple[pd.DataFrame, pd.Series, np.ndarray | None]] = field(repr=False)
    origin: str = ""


@dataclass
class PreparedTask:
    """A task ready to be evaluated: typed features, int labels, each row's fold (or -1)."""

    name: str
    frame: pd.DataFrame  # typed features + "__y__" (int codes) + "__fold__" (-1 = not used)
    n_rows: int
    n_features: int
    n_classes: int
    n_used: int
    subsampled: bool
    origin: str
    classes: list[str]


# --------------------------------------------------------------------------- local folder
class LocalSource:
    """A folder of ARFF/CSV/Parquet files, described by a ``manifest.csv``.

    The manifest has at least the columns ``name``, ``file`` (relative to the folder) and
    ``target``; other columns are ignored. Without a manifest every data file in the folder is
    a task whose target is its last column.

    Parameters
    ----------
    path : str or Path
        The folder, or the manifest file itself.
    names : sequence of str, optional
        Only these tasks (in this order).
    split : str, optional
        Only the tasks whose manifest column ``split`` has this value (such as ``"train"``, to
        keep a corpus's held-aside test tasks out of meta-training).
    """

    def __init__(
        self, path: str | Path, names: Sequence[str] | None = None, split: str | None = None
    ) -> None:
        self.path = Path(path)
        self.names = names
        self.split = split

    def __repr__(self) -> str:
        return f"LocalSource({str(self.path)!r})"

    def describe(self) -> str:
        return f"local:{self.path.resolve()}"

    def tasks(self) -> list[TaskSpec]:
        path = self.path
        if path.is_file():
            manifest, root = path, path.parent
        elif path.is_dir():
            manifest, root = path / "manifest.csv", path
        else:
            raise FileNotFoundError(f"No such task folder or manifest: {str(path)!r}.")
        rows: list[dict[str, str]]
        if manifest.exists():
            with open(manifest, newline="", encoding="utf-8") as fh:
                rows = list(csv.DictReader(fh))
            missing = {"name", "file", "target"} - set(rows[0] if rows else {})
            if missing:
                raise ValueError(
                    f"The manifest {str(manifest)!r} must have the columns name, file and "
                    f"target. Missing: {sorted(missing)}."
                )
        else:
            files = sorted(p for p in root.rglob("*") if str(p).lower().endswith(_DATA_SUFFIXES))
            rows = [
                {"name": p.name.split(".")[0], "file": str(p.relative_to(root)), "target": ""}
                for p in files
            ]
        if self.split is not None:
            if rows and "split" not in rows[0]:
                raise ValueError(
                    f"The manifest {str(manifest)!r} has no 'split' column to select "
                    f"split={self.split!r} from."
                )
            rows = [r for r in rows if (r.get("split") or "").strip() == self.split]
        if not rows:
            raise ValueError(f"No tasks found in {str(path)!r}.")
        by_name: dict[str, TaskSpec] = {}
        for row in rows:
            name = row["name"].strip()
            if name in by_name:
                raise ValueError(f"Task name {name!r} appears twice in {str(manifest)!r}.")
            file = root / row["file"].strip()
            target = (row.get("target") or "").strip() or None
            by_name[name] = TaskSpec(name, _file_loader(file, target), origin=str(file))
        if self.names is None:
            return list(by_name.values())
        unknown = [n for n in self.names if n not in by_name]
        if unknown:
            raise ValueError(f"Unknown task names {unknown} in {str(path)!r}.")
        return [by_name[n] for n in self.names]


def _file_loader(file: Path, target: str | None) -> Callable[[], Any]:
    def load() -> tuple[pd.DataFrame, pd.Series, None]:
        from autometa.data import load_dataset

        X, y = load_dataset(file, target)
        return X, y, None

    return load


# --------------------------------------------------------------------------- OpenML
class OpenMLSource:
    """OpenML supervised-classification tasks, with each task's own cross-validation splits.

    Parameters
    ----------
    suite : str or int, optional
        A benchmark suite alias or id, such as ``"OpenML-CC18"`` (99).
    task_ids : sequence of int, optional
        Task ids (used instead of, or in addition to, the suite's).
    cache_dir : str or Path, optional
        openml-python's cache directory (default: the client's own setting).
    server : str, optional
        The OpenML XML API URL (default: the client's own setting).
    n_retries : int, default=1
        Connection attempts per call: a machine without network access fails fast.
    """

    def __init__(
        self,
        suite: str | int | None = None,
        task_ids: Sequence[int] | None = None,
        *,
        cache_dir: str | Path | None = None,
        server: str | None = None,
        n_retries: int = 1,
    ) -> None:
        self.suite = suite
        self.task_ids = task_ids
        self.cache_dir = cache_dir
        self.server = server
        self.n_retries = n_retries

    def __repr__(self) -> str:
        return f"OpenMLSource(suite={self.suite!r}, task_ids={self.task_ids!r})"

    def describe(self) -> str:
        return f"openml:suite={self.suite},tasks={list(self.task_ids or [])}"

    def _configure(self) -> Any:
        import openml

        if self.cache_dir is not None:
            openml.config.set_root_cache_directory(str(self.cache_dir))
        if self.server is not None:
            openml.config.server = self.server
        openml.config.connection_n_retries = max(1, int(self.n_retries))
        openml.config.retry_policy = "robot"
        return openml

    def tasks(self) -> list[TaskSpec]:
        if self.suite is None and not self.task_ids:
            raise ValueError("OpenMLSource needs a suite or task ids. Got neither.")
        openml = self._configure()
        ids = [int(t) for t in (self.task_ids or [])]
        if self.suite is not None:
            try:
                suite = openml.study.get_suite(self.suite)
            except Exception as exc:
                raise AutoMetaError(
                    f"Could not get the OpenML suite {self.suite!r}: {_short(exc)}. "
                    + _OFFLINE_HINT
                ) from exc
            ids += [int(t) for t in suite.tasks or [] if int(t) not in ids]
        return [
            TaskSpec(f"openml-{tid}", self._loader(tid), origin=f"openml:task/{tid}") for tid in ids
        ]

    def _loader(self, task_id: int) -> Callable[[], Any]:
        def load() -> tuple[pd.DataFrame, pd.Series, np.ndarray]:
            openml = self._configure()
            try:
                task = openml.tasks.get_task(
                    task_id, download_splits=True, download_data=True, download_qualities=False
                )
                dataset = task.get_dataset()
                X, y, _, _ = dataset.get_data(target=task.target_name, dataset_format="dataframe")
                n_repeats, n_folds, _ = task.get_split_dimensions()
            except Exception as exc:
                raise AutoMetaError(
                    f"Could not get OpenML task {task_id}: {_short(exc)}. " + _OFFLINE_HINT
                ) from exc
            folds = np.full(len(X), -1, dtype=np.int64)
            for k in range(n_folds):
                _, test = task.get_train_test_split_indices(fold=k, repeat=0)
                folds[np.asarray(test)] = k
            return X.reset_index(drop=True), pd.Series(y).reset_index(drop=True), folds

        return load


def _short(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) < 300 else text[:300] + " ..."


def resolve_source(
    source: Any,
) -> LocalSource | OpenMLSource:
    """Turn a source argument into a source object.

    Accepts a source object, a folder or manifest path, ``"openml:SUITE"`` / ``"OpenML-CC18"``
    (a suite alias), or a list of OpenML task ids.
    """
    if isinstance(source, (LocalSource, OpenMLSource)):
        return source
    if isinstance(source, (list, tuple)) and all(isinstance(t, int) for t in source):
        return OpenMLSource(task_ids=list(source))
    if isinstance(source, (str, Path)):
        text = str(source)
        if text.lower().startswith("openml:"):
            return OpenMLSource(suite=text.split(":", 1)[1])
        if text.lower().startswith("openml-") and not Path(text).exists():
            return OpenMLSource(suite=text)
        return LocalSource(text)
    raise TypeError(
        "The 'source' parameter must be a folder path, 'openml:SUITE', a list of OpenML task "
        f"ids or a source object. Got {source!r} instead."
    )


# --------------------------------------------------------------------------- preparation
def prepare_task(
    spec: TaskSpec, *, folds: int, max_rows: int | None, random_state: int = 0
) -> PreparedTask:
    """Load a task, type its columns, subsample it (stratified) and assign folds.

    Rows with a missing label are dropped. With the task's own folds (OpenML) only the first
    ``folds`` folds are evaluated, and subsampling keeps each kept row's fold.
    """
    from sklearn.model_selection import StratifiedKFold

    from autometa.data import TableEncoder

    X, y, given = spec.load()
    keep = ~pd.isna(y.to_numpy())
    X, y = X.loc[keep].reset_index(drop=True), y.loc[keep].reset_index(drop=True)
    if given is not None:
        given = np.asarray(given)[keep]
    frame = TableEncoder().fit_transform(X)
    labels = y.astype(str).to_numpy()
    classes, codes = np.unique(labels, return_inverse=True)
    if len(classes) < 2:
        raise ValueError(f"Task {spec.name!r} has fewer than two classes.")
    n = len(frame)
    rng = np.random.default_rng(random_state)
    used = np.ones(n, dtype=bool)
    if max_rows is not None and n > max_rows:
        used = _stratified_subset(codes, max_rows, rng)
    fold = np.full(n, -1, dtype=np.int64)
    idx = np.flatnonzero(used)
    if given is not None:
        fold[idx] = given[idx]
        if not (fold[idx] >= 0).all():
            raise ValueError(f"Task {spec.name!r}: some rows belong to no test fold.")
        if fold.max() + 1 < folds:
            raise ValueError(
                f"Task {spec.name!r} has {fold.max() + 1} folds; {folds} were requested."
            )
    else:
        counts = np.bincount(codes[idx])
        n_splits = int(min(folds, max(2, counts.max())))
        skf = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=random_state)
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # classes rarer than the number of folds
            for k, (_, test) in enumerate(skf.split(np.zeros(len(idx)), codes[idx])):
                fold[idx[test]] = k
    frame["__y__"] = codes.astype(np.int64)
    frame["__fold__"] = fold
    return PreparedTask(
        name=spec.name,
        frame=frame,
        n_rows=n,
        n_features=X.shape[1],
        n_classes=len(classes),
        n_used=int(used.sum()),
        subsampled=bool(n > int(used.sum())),
        origin=spec.origin,
        classes=[str(c) for c in classes],
    )


def _stratified_subset(codes: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """A boolean mask of ``size`` rows keeping class shares (each class keeps >= 3 rows)."""
    n = len(codes)
    counts = np.bincount(codes)
    want = np.maximum(np.minimum(counts, 3), np.floor(counts * size / n)).astype(int)
    # hand out the rows lost to flooring to the largest remainders
    rest = size - want.sum()
    if rest > 0:
        frac = counts * size / n - np.floor(counts * size / n)
        for c in np.argsort(-frac)[:rest]:
            if want[c] < counts[c]:
                want[c] += 1
    mask = np.zeros(n, dtype=bool)
    for c, k in enumerate(want):
        rows = np.flatnonzero(codes == c)
        mask[rng.choice(rows, size=min(k, len(rows)), replace=False)] = True
    return mask


def iter_specs(source: Any) -> Iterator[TaskSpec]:
    """The task specs of a source (resolved with :func:`resolve_source`)."""
    yield from resolve_source(source).tasks()
