"""Reading tables from files: ARFF (as Weka and OpenML write it), CSV and Parquet."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["load_arff", "load_dataset", "read_table"]

# Weka writes ``@attribute name integer [1,10]`` (a bounded integer); liac-arff only knows
# ``integer``. The bounds carry no information a learner uses, so they are dropped.
_WEKA_RANGE = re.compile(
    r"^(\s*@attribute\s+.+?\s+(?:integer|real|numeric))\s*[\[(][^\])]*[\])]\s*$", re.IGNORECASE
)


def _arff_text(path: Path) -> str:
    raw = path.read_bytes()
    if path.suffix.lower() == ".gz":
        import gzip

        raw = gzip.decompress(raw)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.lstrip()[:1] == "@" and line.lstrip()[:5].lower() == "@data":
            break
        m = _WEKA_RANGE.match(line)
        if m:
            lines[i] = m.group(1)
    return "\n".join(lines)


def load_arff(path: str | Path) -> pd.DataFrame:
    """Read an ARFF file into a DataFrame.

    Nominal attributes become ``category`` columns (with the declared categories), numeric
    ones ``float64``, strings ``object``; ``?`` is missing.

    Raises
    ------
    ValueError
        If the file is not valid ARFF; the message names the file.
    """
    import arff  # liac-arff

    path = Path(path)
    try:
        data = arff.loads(_arff_text(path))
    except Exception as exc:  # liac-arff raises its own BadLayout, BadDataFormat, ...
        raise ValueError(f"Could not parse ARFF file {str(path)!r}: {exc}") from exc
    names = [name for name, _ in data["attributes"]]
    frame = pd.DataFrame(data["data"], columns=names)
    for name, kind in data["attributes"]:
        if isinstance(kind, list):
            frame[name] = pd.Categorical(frame[name], categories=list(dict.fromkeys(kind)))
        elif str(kind).upper() in {"REAL", "NUMERIC", "INTEGER"}:
            frame[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64")
    return frame


def _sniff_delimiter(path: Path, sample_bytes: int = 65536) -> str:
    """The delimiter of a CSV file, guessed from its first lines (',' when unsure).

    Knowing it lets pandas use its C parser (about ten times faster than the sniffing
    Python parser on large files).
    """
    import csv
    import gzip

    opener = gzip.open if path.suffix.lower() == ".gz" else open
    with opener(path, "rt", encoding="utf-8", errors="replace", newline="") as fh:
        sample = fh.read(sample_bytes)
    if "\n" in sample and len(sample) == sample_bytes:
        sample = sample[: sample.rindex("\n")]  # whole lines only
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV, Parquet or ARFF file, chosen by its extension."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"No such data file: {str(path)!r}.")
    suffix = "".join(path.suffixes[-2:]).lower() if path.suffix == ".gz" else path.suffix.lower()
    if suffix in {".arff", ".arff.gz"}:
        return load_arff(path)
    if suffix in {".csv", ".csv.gz", ".tsv", ".txt"}:
        sep = "\t" if suffix == ".tsv" else _sniff_delimiter(path)
        return pd.read_csv(path, sep=sep, engine="c")
    if suffix in {".parquet", ".pq"}:
        return pd.read_parquet(path)
    raise ValueError(
        f"Unsupported data file {str(path)!r}: expected a .csv, .tsv, .parquet or .arff file."
    )


def load_dataset(path: str | Path, target: str | None = None) -> tuple[pd.DataFrame, pd.Series]:
    """Read a data file and split it into features and target.

    Parameters
    ----------
    path : str or Path
        A CSV, Parquet or ARFF file.
    target : str, optional
        The class column. Default: the last column (the ARFF convention).

    Returns
    -------
    X : DataFrame of shape (n_rows, n_features)
    y : Series of shape (n_rows,)
    """
    frame = read_table(path)
    if target is None:
        target = str(frame.columns[-1])
    if target not in frame.columns:
        raise ValueError(
            f"Target column {target!r} is not in {str(path)!r}. "
            f"Columns are: {', '.join(map(str, frame.columns[:30]))}"
            + (" ..." if frame.shape[1] > 30 else "")
        )
    y = frame[target]
    X = frame.drop(columns=[target])
    if isinstance(y.dtype, pd.CategoricalDtype):
        y = y.astype(object).where(y.notna(), np.nan)
    return X, y.rename(target)
