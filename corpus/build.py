"""Build the meta-training corpus: run the source modules, drop duplicates, write data + manifest.

Usage (from the repository root)::

    .venv/bin/python corpus/build.py                      # every source
    .venv/bin/python corpus/build.py --only packages      # one source (others' rows are kept)
    .venv/bin/python corpus/build.py --only packages --names rds_mlbench_Glass,keel_adult
    .venv/bin/python corpus/build.py --force              # rewrite every parquet

Sources are the modules ``corpus/sources/<name>.py`` listed in ``SOURCES`` (in priority order:
``shared`` > ``packages`` > ``github``); each exposes ``tasks() -> Iterator[Task]`` (optionally
``tasks(names=...)`` to yield only some). A module that does not exist is skipped with a note.

What the driver does with each task
-----------------------------------
* column names become ``str`` (duplicates after that get a ``.1``, ``.2`` suffix);
* rows whose target is missing are dropped (counted in ``notes``);
* ``object`` columns whose every non-missing value parses as a number are converted to numbers
  (only strings a parser left unparsed; everything else keeps its dtype: categoricals stay
  ``category``, strings stay strings; mixed-type object columns become strings);
* a task needs >= 20 rows and >= 2 classes, and a target that is not a continuous number
  (float target with non-integer values) -- otherwise it is rejected (printed, not written);
* above 200,000 rows it is subsampled to 200,000, stratified by the target with seed 0
  (per-class quota by largest remainder, at least one row per class; rows keep their order);
* it is written to ``data/<name>.parquet`` (zstd). The parquet's schema metadata carries
  ``corpus.raw_sha256`` and ``corpus.fingerprint``; a task whose parquet already exists with the
  same ``raw_sha256`` is not rewritten (incremental; ``--force`` or ``--names`` rewrites).

Duplicates
----------
Each task gets a content fingerprint taken *before* subsampling: ``n_rows``, its sorted class
counts, and for every feature column ``(n_unique, mean rounded to 4 significant digits)`` (mean
only for numeric columns), plus the normalised column names. Candidates are visited in priority
order (source priority, then more rows first, then meaningful column names before generic ones,
then name); a candidate is dropped when, compared
with an already kept task,

* **near-duplicate**: the same number of classes, sorted class proportions each within 0.01,
  ``n_rows`` within 2%, and >= 60% of the columns of the wider task matched one-to-one (two
  numeric columns by their means, within 1%; otherwise by n_unique, within max(1, 2%)); or
* **variant / row subset** (the obvious cases only): the same number of classes, >= 80% of the
  normalised column names in common (of the wider task; not for generic names such as ``a1``,
  ``V2``, ``t17``), the candidate has no more rows than the kept one, >= 70% of the common numeric
  columns have means within 10% and >= 70% of the common non-numeric ones have between half and
  all of the kept one's number of levels.

The 89 ``shared`` tasks are never dropped against one another (they are the fixed core).
``NOT_DUPLICATES`` lists pairs checked by hand to be different data; ``FORCE_DUPLICATES`` adds
known duplicates the fingerprint misses. Dropped tasks go to ``duplicates.csv`` (``name, source,
duplicate_of, reason``) and their parquet to ``.cache/dropped/``.

Held-aside test split
---------------------
Among the kept tasks *not* from ``shared``, 40 get ``split=test``, all others ``train``. The new
tasks are put in size bands by ``n_rows``: ``<1k``, ``1k-10k``, ``10k+``. Band quotas are
proportional to the bands' task counts (largest remainder), except that ``10k+`` gets at least
8 when it has that many (taken from the largest other band). Within a band, tasks are ranked by
``sha256("corpus-test:" + name)`` and the first ``quota`` are test. The rule looks only at names
and row counts, never at scores; adding tasks later changes membership only where a newcomer's
hash ranks inside its band's quota (or the quota itself moves by one): existing test tasks
otherwise stay test.

Merging
-------
``manifest.csv`` / ``duplicates.csv`` rows of sources (or task names) not run this time are kept
as they are; kept ones take part in the dedup again (their fingerprint is read from their
parquet's metadata). The final merge runs under a file lock (``.cache/build.lock``) so two
engineers can build different sources at once.
"""

from __future__ import annotations

import argparse
import csv
import fcntl
import hashlib
import importlib
import inspect
import json
import math
import re
import shutil
import sys
import time
import traceback
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent
DATA = ROOT / "data"
CACHE = ROOT / ".cache"
DROPPED = CACHE / "dropped"
MANIFEST = ROOT / "manifest.csv"
DUPLICATES = ROOT / "duplicates.csv"

SOURCES = ["shared", "packages", "github"]  # priority order
PREFIX = {"shared": "shared:", "packages": "pypi:", "github": "github:"}
PRIORITY = {name: i for i, name in enumerate(SOURCES)}

MAX_ROWS = 200_000
MIN_ROWS = 20
N_TEST = 40
MIN_TEST_LARGE = 8
SIZE_LIMIT = 150 * 1024 * 1024

COLUMNS = [
    "name", "file", "target", "source", "licence", "url", "raw_sha256", "sha256", "n_rows",
    "n_rows_original", "n_features", "n_numeric", "n_categorical", "n_classes", "minority",
    "majority", "missing_fraction", "max_cardinality", "subsampled", "split", "notes",
]
DUP_COLUMNS = ["name", "source", "duplicate_of", "reason"]

# Pairs checked by hand: different data despite similar fingerprints.
NOT_DUPLICATES: set[frozenset[str]] = set()
# name -> (duplicate_of, reason): duplicates the fingerprint misses.
FORCE_DUPLICATES: dict[str, tuple[str, str]] = {}

_NAME_OK = re.compile(r"^[A-Za-z0-9_.-]+$")


def log(*args: object) -> None:
    print(*args, flush=True)


def module_of(source: str) -> str:
    for mod, prefix in PREFIX.items():
        if source.startswith(prefix):
            return mod
    return source.split(":", 1)[0]


def norm_name(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# --------------------------------------------------------------------------- cleaning
def _unique_names(cols: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for c in cols:
        base, k = c, seen.get(c, 0)
        while c in seen:
            k += 1
            c = f"{base}.{k}"
        seen[base] = k
        seen[c] = 0
        out.append(c)
    return out


def _is_numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s.dtype) and not isinstance(s.dtype, pd.CategoricalDtype)


def clean(frame: pd.DataFrame, target: str) -> tuple[pd.DataFrame, str, list[str]]:
    """Return the frame typed for parquet, the target's (str) name and notes."""
    notes: list[str] = []
    frame = frame.copy()
    old = [str(c) for c in frame.columns]
    tpos = [str(c) for c in frame.columns].index(str(target))
    frame.columns = _unique_names(old)
    target = frame.columns[tpos]
    frame = frame.reset_index(drop=True)
    converted = []
    for col in frame.columns:
        s = frame[col]
        if s.dtype == object or pd.api.types.is_string_dtype(s.dtype) and not isinstance(
            s.dtype, pd.CategoricalDtype
        ):
            nonnull = s.dropna()
            if len(nonnull) and col != target:
                if s.dtype == object and not all(isinstance(v, str) for v in nonnull.iloc[:1000]):
                    kinds = {type(v) for v in nonnull}
                    if kinds <= {int, float, bool, np.int64, np.float64, np.bool_}:
                        frame[col] = pd.to_numeric(s, errors="coerce")
                        continue
                stripped = nonnull.astype(str).str.strip()
                num = pd.to_numeric(stripped, errors="coerce")
                if num.notna().all() and (stripped != "").all():
                    frame[col] = pd.to_numeric(s.astype(str).str.strip().where(s.notna()), errors="coerce")
                    converted.append(col)
                    continue
            if s.dtype == object:
                frame[col] = s.map(lambda v: v if v is None or isinstance(v, str) or (
                    isinstance(v, float) and math.isnan(v)) else str(v))
        elif isinstance(s.dtype, pd.CategoricalDtype):
            cats = s.cat.categories
            if len(cats) and cats.dtype == object and not all(isinstance(v, str) for v in cats):
                frame[col] = s.astype(object).map(lambda v: v if v is None or (
                    isinstance(v, float) and math.isnan(v)) else str(v)).astype("category")
    if converted:
        notes.append(f"driver: {len(converted)} numeric-string column(s) parsed as numbers")
    return frame, target, notes


def subsample(frame: pd.DataFrame, target: str, n: int) -> pd.DataFrame:
    y = frame[target].astype(str).to_numpy()
    classes, inverse, counts = np.unique(y, return_inverse=True, return_counts=True)
    exact = counts * (n / len(y))
    quota = np.maximum(np.floor(exact).astype(int), 1)
    quota = np.minimum(quota, counts)
    rest = n - quota.sum()
    if rest > 0:
        order = np.argsort(-(exact - np.floor(exact)), kind="stable")
        for i in order:
            if rest == 0:
                break
            if quota[i] < counts[i]:
                quota[i] += 1
                rest -= 1
    while quota.sum() > n:  # many singleton classes: trim the largest
        quota[np.argmax(quota)] -= 1
    rng = np.random.default_rng(0)
    keep = []
    for k in range(len(classes)):
        idx = np.flatnonzero(inverse == k)
        keep.append(rng.choice(idx, size=quota[k], replace=False))
    rows = np.sort(np.concatenate(keep))
    return frame.iloc[rows].reset_index(drop=True)


def _round_sig(x: float, sig: int = 4) -> float | None:
    if x is None or not np.isfinite(x):
        return None
    if x == 0:
        return 0.0
    return float(round(x, sig - 1 - int(math.floor(math.log10(abs(x))))))


def fingerprint(frame: pd.DataFrame, target: str) -> dict:
    y = frame[target]
    counts = sorted((int(c) for c in y.value_counts(dropna=True).to_numpy()), reverse=True)
    cols = []
    names = []
    for col in frame.columns:
        if col == target:
            continue
        s = frame[col]
        nu = int(s.nunique(dropna=True))
        mean = None
        if _is_numeric(s) and s.dtype != bool:
            with np.errstate(all="ignore"):
                mean = _round_sig(float(pd.to_numeric(s, errors="coerce").astype(float).mean()))
        cols.append([nu, mean])
        names.append(norm_name(col))
    return {"n": int(len(frame)), "cls": counts, "cols": cols, "names": names,
            "target": norm_name(target)}


def stats(frame: pd.DataFrame, target: str) -> dict:
    X = frame.drop(columns=[target])
    numeric = [c for c in X.columns if _is_numeric(X[c])]
    cat = [c for c in X.columns if c not in set(numeric)]
    counts = frame[target].value_counts(dropna=True)
    cells = X.shape[0] * X.shape[1]
    return {
        "n_rows": len(frame),
        "n_features": X.shape[1],
        "n_numeric": len(numeric),
        "n_categorical": len(cat),
        "n_classes": len(counts),
        "minority": int(counts.min()),
        "majority": int(counts.max()),
        "missing_fraction": round(float(X.isna().to_numpy().sum()) / cells, 6) if cells else 0.0,
        "max_cardinality": max((int(X[c].nunique(dropna=True)) for c in cat), default=0),
    }


def write_parquet(frame: pd.DataFrame, path: Path, meta: dict[str, str]) -> None:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    md = dict(table.schema.metadata or {})
    md.update({k.encode(): v.encode() for k, v in meta.items()})
    table = table.replace_schema_metadata(md)
    tmp = path.with_suffix(".parquet.tmp")
    pq.write_table(table, tmp, compression="zstd")
    tmp.replace(path)


def parquet_meta(path: Path) -> dict[str, str]:
    try:
        md = pq.read_schema(path).metadata or {}
    except Exception:
        return {}
    return {k.decode(): v.decode() for k, v in md.items() if k.startswith(b"corpus.")}


# --------------------------------------------------------------------------- one task
def process(task, force: bool) -> dict | None:
    """Clean, check and write one task; return its entry (row + fingerprint) or None."""
    name = task.name
    if not _NAME_OK.match(name):
        log(f"  REJECT {name}: name is not file-safe")
        return None
    path = DATA / f"{name}.parquet"
    old = None
    for p in (path, DROPPED / f"{name}.parquet"):
        if p.exists():
            old = p
            break
    if old is not None and not force:
        meta = parquet_meta(old)
        if meta.get("corpus.raw_sha256") == task.raw_sha256 and "corpus.row" in meta:
            row = json.loads(meta["corpus.row"])
            # source metadata may be corrected without touching the data
            row.update(source=task.source, licence=task.licence, url=task.url)
            return {"row": row, "fp": json.loads(meta["corpus.fingerprint"]), "path": old}
    frame, target, notes = clean(task.frame, task.target)
    n0 = len(frame)
    frame = frame[frame[target].notna()].reset_index(drop=True)
    if len(frame) < n0:
        notes.append(f"driver: {n0 - len(frame)} row(s) with missing target dropped")
    y = frame[target]
    if _is_numeric(y) and y.dtype.kind == "f" and not np.allclose(y, np.round(y)):
        log(f"  REJECT {name}: continuous (non-integer float) target")
        return None
    ncls = int(y.nunique())
    if len(frame) < MIN_ROWS or ncls < 2:
        log(f"  REJECT {name}: {len(frame)} rows, {ncls} classes")
        return None
    if frame.shape[1] < 2:
        log(f"  REJECT {name}: no feature column")
        return None
    fp = fingerprint(frame, target)
    n_orig = len(frame)
    subsampled = False
    if n_orig > MAX_ROWS:
        frame = subsample(frame, target, MAX_ROWS)
        subsampled = True
        notes.append(f"driver: subsampled {n_orig} -> {MAX_ROWS} rows, stratified by target, seed 0")
    st = stats(frame, target)
    row = {
        "name": name, "file": f"data/{name}.parquet", "target": target, "source": task.source,
        "licence": task.licence or "unknown", "url": task.url or "", "raw_sha256": task.raw_sha256,
        **st, "n_rows_original": n_orig, "subsampled": subsampled,
        "notes": "; ".join([n for n in [task.notes] + notes if n]),
    }
    meta = {"corpus.raw_sha256": task.raw_sha256, "corpus.fingerprint": json.dumps(fp),
            "corpus.row": json.dumps(row, default=str)}
    if old is not None and old != path:
        old.unlink()
    write_parquet(frame, path, meta)
    return {"row": row, "fp": fp, "path": path}


# --------------------------------------------------------------------------- dedup
def _close(a: float, b: float, rel: float) -> bool:
    return abs(a - b) <= rel * max(abs(a), abs(b)) + 1e-9


def _nu_close(x: int, y: int) -> bool:
    return abs(x - y) <= max(1, 0.02 * max(x, y))


def _matched(ca: list, cb: list) -> int:
    """Columns of ``ca`` matched one-to-one with columns of ``cb``.

    Two numeric columns match when their means are within 1% (their numbers of distinct values
    may differ: a copy may round); otherwise (one or both non-numeric) when their numbers of
    distinct values are within max(1, 2%).
    """
    import bisect

    if len(ca) > len(cb):
        ca, cb = cb, ca
    used = [False] * len(cb)
    num_b = sorted((c[1], j) for j, c in enumerate(cb) if c[1] is not None)
    keys = [m for m, _ in num_b]
    hits = 0
    rest = []
    for c in ca:
        if c[1] is None:
            rest.append(c)
            continue
        lo = c[1] - 0.01 * abs(c[1]) - 1e-9
        hi = c[1] + 0.01 * abs(c[1]) + 1e-9
        found = False
        for k in range(bisect.bisect_left(keys, lo), len(keys)):
            if keys[k] > hi:
                break
            j = num_b[k][1]
            if not used[j] and _close(c[1], cb[j][1], 0.01):
                used[j] = found = True
                break
        if found:
            hits += 1
        else:
            rest.append(c)
    by_nu: dict[int, list[int]] = {}
    for j, c in enumerate(cb):
        if not used[j]:
            by_nu.setdefault(c[0], []).append(j)
    for c in rest:
        tol = max(1, int(0.02 * c[0]))
        found = False
        for nu in range(c[0] - tol, c[0] + tol + 1):
            for j in by_nu.get(nu, ()):
                if not used[j] and (c[1] is None or cb[j][1] is None):
                    used[j] = found = True
                    break
            if found:
                break
        hits += found
    return hits


_GENERIC = re.compile(r"^(a|v|x|t|f|c|px|col|attr|attribute|var|feature|pixel|d\d+t)?\d+$")


def _generic(names: list[str]) -> bool:
    """Column names that carry no meaning (a1, V2, t17, px300, ...)."""
    return sum(bool(_GENERIC.match(n)) for n in names) >= 0.5 * max(len(names), 1)


def compare(a: dict, b: dict) -> str | None:
    """Why candidate ``a`` duplicates kept ``b``, or None."""
    if len(a["cls"]) != len(b["cls"]):
        return None
    width = max(len(a["cols"]), len(b["cols"]), 1)
    na, nb = a["n"], b["n"]
    if abs(na - nb) <= 0.02 * max(na, nb):
        pa_ = np.array(a["cls"]) / na
        pb_ = np.array(b["cls"]) / nb
        if np.all(np.abs(pa_ - pb_) <= 0.01):
            m = _matched(a["cols"], b["cols"])
            if m >= 0.6 * width:
                return (f"near-duplicate: n_rows {na} vs {nb}, same class profile, "
                        f"{m}/{width} columns match")
    common = set(a["names"]) & set(b["names"])
    if (na <= nb and not _generic(a["names"]) and not _generic(b["names"])
            and len(common) >= 0.8 * max(len(set(a["names"])), len(set(b["names"])), 1)):
        ia = {n: c for n, c in zip(a["names"], a["cols"])}
        ib = {n: c for n, c in zip(b["names"], b["cols"])}
        num = [n for n in common if ia[n][1] is not None and ib[n][1] is not None]
        close = sum(_close(ia[n][1], ib[n][1], 0.10) for n in num)
        cat = [n for n in common if n not in set(num)]
        same_nu = sum(ia[n][0] <= ib[n][0] and ia[n][0] >= 0.5 * ib[n][0] for n in cat)
        if (num and close >= 0.7 * len(num) and (not cat or same_nu >= 0.7 * len(cat))) or (
                not num and cat and same_nu >= 0.8 * len(cat)):
            return (f"variant/row subset: {len(common)} of its columns by name, "
                    f"{close}/{len(num)} numeric means within 10%, "
                    f"{same_nu}/{len(cat)} categorical columns with similar levels, "
                    f"n_rows {na} <= {nb}")
    return None


def dedup(entries: dict[str, dict]) -> tuple[list[str], dict[str, tuple[str, str]]]:
    def key(name):
        e = entries[name]
        return (PRIORITY.get(module_of(e["row"]["source"]), 99), -e["fp"]["n"],
                _generic(e["fp"]["names"]), name)

    kept: list[str] = []
    dropped: dict[str, tuple[str, str]] = {}
    for name in sorted(entries, key=key):
        e = entries[name]
        mod = module_of(e["row"]["source"])
        if name in FORCE_DUPLICATES and FORCE_DUPLICATES[name][0] in entries:
            dropped[name] = FORCE_DUPLICATES[name]
            continue
        why = None
        for k in kept:
            if mod == "shared" and module_of(entries[k]["row"]["source"]) == "shared":
                continue
            if frozenset((name, k)) in NOT_DUPLICATES:
                continue
            r = compare(e["fp"], entries[k]["fp"])
            if r:
                why = (k, r)
                break
        if why:
            dropped[name] = why
        else:
            kept.append(name)
    return kept, dropped


# --------------------------------------------------------------------------- split
def band(n: int) -> str:
    return "<1k" if n < 1000 else ("1k-10k" if n < 10000 else "10k+")


def assign_split(rows: list[dict]) -> None:
    new = [r for r in rows if module_of(r["source"]) != "shared"]
    for r in rows:
        r["split"] = "train"
    if not new:
        return
    n_test = min(N_TEST, len(new))
    bands = {b: [r for r in new if band(int(r["n_rows"])) == b] for b in ("<1k", "1k-10k", "10k+")}
    exact = {b: n_test * len(v) / len(new) for b, v in bands.items()}
    quota = {b: int(math.floor(x)) for b, x in exact.items()}
    for b in sorted(exact, key=lambda b: (-(exact[b] - quota[b]), b))[: n_test - sum(quota.values())]:
        quota[b] += 1
    need = min(MIN_TEST_LARGE, len(bands["10k+"]))
    while quota["10k+"] < need:
        donor = max(("<1k", "1k-10k"), key=lambda b: quota[b])
        quota[donor] -= 1
        quota["10k+"] += 1
    for b, members in bands.items():
        ranked = sorted(members, key=lambda r: hashlib.sha256(f"corpus-test:{r['name']}".encode()).hexdigest())
        for r in ranked[: quota[b]]:
            r["split"] = "test"
    log(f"test split: {quota} (new tasks per band: { {b: len(v) for b, v in bands.items()} })")


# --------------------------------------------------------------------------- io
def read_csv_rows(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def write_csv_rows(path: Path, rows: list[dict], columns: list[str]) -> None:
    tmp = path.with_suffix(".csv.tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({c: r.get(c, "") for c in columns})
    tmp.replace(path)


def load_existing_entry(row: dict) -> dict | None:
    path = ROOT / row["file"]
    for p in (path, DROPPED / Path(row["file"]).name):
        if p.exists():
            meta = parquet_meta(p)
            if "corpus.fingerprint" in meta:
                return {"row": dict(row), "fp": json.loads(meta["corpus.fingerprint"]), "path": p}
            from autometa.data import load_dataset  # noqa: F401  (fallback: recompute)

            frame = pd.read_parquet(p)
            return {"row": dict(row), "fp": fingerprint(frame, row["target"]), "path": p}
    log(f"  WARNING: {row['name']} is in the manifest but {path} is missing: row dropped")
    return None


# --------------------------------------------------------------------------- main
def run_source(mod_name: str, names: set[str] | None, force: bool) -> tuple[dict, bool]:
    """Run one source module; return (entries by name, ok)."""
    try:
        mod = importlib.import_module(f"sources.{mod_name}")
    except ModuleNotFoundError as exc:
        if exc.name in (f"sources.{mod_name}",):
            log(f"[{mod_name}] no module corpus/sources/{mod_name}.py: skipped")
            return {}, False
        raise
    log(f"[{mod_name}] running")
    kwargs = {}
    if names is not None and "names" in inspect.signature(mod.tasks).parameters:
        kwargs["names"] = sorted(names)
    out: dict[str, dict] = {}
    t0 = time.time()
    it = iter(mod.tasks(**kwargs))
    while True:
        try:
            task = next(it)
        except StopIteration:
            break
        except Exception:
            log(f"[{mod_name}] the source raised; tasks so far are kept:\n{traceback.format_exc()}")
            return out, False
        if names is not None and task.name not in names:
            continue
        if task.name in out:
            log(f"  REJECT {task.name}: name yielded twice by {mod_name}")
            continue
        try:
            e = process(task, force or names is not None)
        except Exception:
            log(f"  ERROR {task.name}:\n{traceback.format_exc()}")
            continue
        if e is not None:
            out[task.name] = e
            r = e["row"]
            log(f"  {task.name}: {r['n_rows']}x{r['n_features']} k={r['n_classes']}")
    log(f"[{mod_name}] {len(out)} tasks in {time.time() - t0:.0f}s")
    return out, True


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", help="comma list of source modules (default: all)")
    ap.add_argument("--names", help="comma list of task names to rebuild (forces rewrite)")
    ap.add_argument("--force", action="store_true", help="rewrite every parquet")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    sys.path.insert(1, str(ROOT.parent))
    DATA.mkdir(exist_ok=True)
    DROPPED.mkdir(parents=True, exist_ok=True)
    mods = [m.strip() for m in args.only.split(",")] if args.only else list(SOURCES)
    for m in mods:
        if m not in PRIORITY:
            ap.error(f"unknown source {m!r}; known: {SOURCES}")
    names = {n.strip() for n in args.names.split(",")} if args.names else None

    fresh: dict[str, dict] = {}
    complete: set[str] = set()  # modules run fully (their stale rows are removed)
    for m in mods:
        got, ok = run_source(m, names, args.force)
        fresh.update(got)
        if ok and names is None:
            complete.add(m)

    with open(CACHE / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        entries: dict[str, dict] = {}
        old_dups = []
        for row in read_csv_rows(MANIFEST) + read_csv_rows(DUPLICATES):
            mod = module_of(row["source"])
            if row["name"] in fresh or mod in complete:
                continue
            if "file" in row:
                e = load_existing_entry(row)
                if e:
                    entries[row["name"]] = e
            else:
                old_dups.append(row)
        clash = set(entries) & set(fresh)
        assert not clash
        for n, e in fresh.items():
            other = entries.get(n)
            entries[n] = e
        kept, dropped = dedup(entries)
        # keep old duplicate rows of sources not run, unless their name is now kept
        dup_rows = [r for r in old_dups if r["name"] not in entries]
        for n, (of, why) in sorted(dropped.items()):
            dup_rows.append({"name": n, "source": entries[n]["row"]["source"], "duplicate_of": of,
                             "reason": why})
        # place files
        for n in kept:
            p = entries[n]["path"]
            if p.parent != DATA:
                shutil.move(p, DATA / p.name)
                entries[n]["path"] = DATA / p.name
        for n in dropped:
            p = entries[n]["path"]
            if p.parent == DATA and p.exists():
                shutil.move(p, DROPPED / p.name)
        rows = []
        for n in kept:
            r = dict(entries[n]["row"])
            r["sha256"] = sha256_file(DATA / f"{n}.parquet")
            rows.append(r)
        rows.sort(key=lambda r: (PRIORITY.get(module_of(r["source"]), 99), r["name"]))
        assign_split(rows)
        # stray parquets of tasks no source yields any more
        known = {f"{n}.parquet" for n in kept}
        for p in DATA.glob("*.parquet"):
            if p.name not in known:
                mod_guess = None
                meta = parquet_meta(p)
                if "corpus.row" in meta:
                    mod_guess = module_of(json.loads(meta["corpus.row"])["source"])
                if mod_guess in complete or mod_guess is None:
                    shutil.move(p, DROPPED / p.name)
        write_csv_rows(MANIFEST, rows, COLUMNS)
        write_csv_rows(DUPLICATES, dup_rows, DUP_COLUMNS)

    # summary
    total = sum((DATA / f"{r['name']}.parquet").stat().st_size for r in rows)
    by_mod: dict[str, int] = {}
    for r in rows:
        by_mod[module_of(r["source"])] = by_mod.get(module_of(r["source"]), 0) + 1
    log("\n==== summary ====")
    log(f"kept {len(rows)} tasks {by_mod}; dropped {len(dropped)} duplicates this run")
    for n, (of, why) in sorted(dropped.items()):
        log(f"  DUP {n} -> {of}: {why}")
    ni = lambda r, k: int(float(r[k]))  # noqa: E731
    bands = {b: sum(band(ni(r, "n_rows")) == b for r in rows) for b in ("<1k", "1k-10k", "10k+")}
    log(f"bands: {bands}")
    log(f"10k-1M rows: {sum(10000 <= ni(r, 'n_rows_original') <= 1_000_000 for r in rows)}; "
        f">=100 features: {sum(ni(r, 'n_features') >= 100 for r in rows)}; "
        f">=10 classes: {sum(ni(r, 'n_classes') >= 10 for r in rows)}; "
        f"missing: {sum(float(r['missing_fraction']) > 0 for r in rows)}; "
        f"categorical-heavy (>=50% cat): "
        f"{sum(ni(r, 'n_categorical') >= 0.5 * max(ni(r, 'n_features'), 1) for r in rows)}; "
        f"high-cardinality (>=100 levels): {sum(ni(r, 'max_cardinality') >= 100 for r in rows)}")
    log(f"data/ size: {total / 1e6:.1f} MB (limit {SIZE_LIMIT / 1e6:.0f} MB)"
        + ("  ** OVER THE LIMIT **" if total > SIZE_LIMIT else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
