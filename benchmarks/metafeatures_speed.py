"""Speed of ``metafeatures.extract`` against pymfe, and its cost on a large table.

For each corpus dataset, both libraries compute the five groups (general, statistical,
info-theory, landmarking, model-based) in the same run; pymfe computes the features
both libraries define (``--pymfe-features shared``) or all its features of those
groups (``all``). pymfe runs in a child process with a time cap per dataset; a capped
dataset is reported as such and its ratio is a lower bound. pymfe cannot take missing
values, so it gets them imputed (numeric: column mean, nominal: "?"), outside its timing.
Rows without a label (two corpus files have some) are dropped for both.

Then all groups on a synthetic table (default 100,000 x 100), in a fresh process:
median time over repeats, first-call time, and peak extra memory (tracemalloc peak of
the extraction, and peak growth of the resident set sampled by psutil).

    python benchmarks/metafeatures_speed.py                      # whole corpus
    python benchmarks/metafeatures_speed.py --datasets 30 --skip-pymfe-over-rows 5000
"""

from __future__ import annotations

import argparse
import math
import multiprocessing as mp
import os
import re
import statistics
import sys
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared" / "datasets"
_WEKA_RANGE = re.compile(r"(?im)^(@attribute\s+.+?\s+)integer\s*\[[^\]]*\]\s*$")
GROUPS = ["general", "statistical", "info-theory", "landmarking", "model-based"]


def read_arff(path: Path, target: str) -> tuple[pd.DataFrame, pd.Series]:
    import arff

    data = arff.loads(_WEKA_RANGE.sub(r"\1numeric", path.read_text()))
    frame = pd.DataFrame(data["data"], columns=[name for name, _ in data["attributes"]])
    for name, kind in data["attributes"]:
        if isinstance(kind, list):
            frame[name] = pd.Categorical(frame[name], categories=kind)
        else:
            frame[name] = pd.to_numeric(frame[name])
    frame = frame[frame[target].notna()]  # a few corpus files have unlabelled rows
    return frame.drop(columns=target), frame[target]


def pymfe_input(X: pd.DataFrame) -> np.ndarray:
    out = {}
    for col in X.columns:
        if isinstance(X[col].dtype, pd.CategoricalDtype):
            out[col] = X[col].astype(object).where(X[col].notna(), "?").astype(str)
        else:
            out[col] = X[col].fillna(X[col].mean()).fillna(0.0)
    return pd.DataFrame(out).to_numpy(dtype=object)


def shared_pymfe_features() -> list[str]:
    from metafeatures import list_features

    names = list_features()["pymfe"].dropna()
    return sorted({name.split(".")[0] for name in names})


def _pymfe_child(path: str, target: str, features: list[str] | str, conn) -> None:
    from pymfe.mfe import MFE

    X, y = read_arff(Path(path), target)
    Xp, yp = pymfe_input(X), np.asarray(y.astype(str))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        mfe = MFE(
            groups=GROUPS,
            features=features,
            summary=["mean", "sd", "min", "max"],
            random_state=0,
            shuffle_cv_folds=True,
        )
        mfe.fit(Xp, yp, suppress_warnings=True)
        mfe.extract(suppress_warnings=True)
        conn.send(time.perf_counter() - start)


def time_pymfe(path: Path, target: str, features, cap: float) -> float | None:
    """Seconds pymfe took, or None when it hit the cap (then it is killed)."""
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_pymfe_child, args=(str(path), target, features, child))
    proc.start()
    result = parent.recv() if parent.poll(cap) else None
    if proc.is_alive():
        proc.kill()
    proc.join()
    return result


def time_ours(X, y, repeats: int, max_rows) -> float:
    import metafeatures

    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        metafeatures.extract(X, y, random_state=0, max_rows=max_rows)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _synthetic(rows: int, cols: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 5, rows)
    X = rng.normal(size=(rows, cols)) + np.outer(y, rng.normal(size=cols)) * 0.3
    return pd.DataFrame(X, columns=[f"f{j}" for j in range(cols)]), y


def _rss_reader():
    """A function returning the resident set size in bytes (psutil, else /proc)."""
    try:
        import psutil
    except ImportError:
        page = os.sysconf("SC_PAGE_SIZE")

        def rss() -> int:
            with open("/proc/self/statm") as f:
                return int(f.read().split()[1]) * page

        return rss
    proc = psutil.Process()
    return lambda: proc.memory_info().rss


def _synthetic_child(rows: int, cols: int, repeats: int, max_rows, conn) -> None:
    import tracemalloc

    import metafeatures

    X, y = _synthetic(rows, cols)
    metafeatures.extract(X.iloc[:500], y[:500], random_state=0)  # imports, warm caches
    rss = _rss_reader()
    base = rss()
    peak = [base]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], rss())
            time.sleep(0.005)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.perf_counter()
    mf = metafeatures.extract(X, y, random_state=0, max_rows=max_rows)
    first = time.perf_counter() - start
    done.set()
    sampler.join()
    times, cpu = [first], []
    for _ in range(repeats - 1):
        start, start_cpu = time.perf_counter(), time.process_time()
        metafeatures.extract(X, y, random_state=0, max_rows=max_rows)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    tracemalloc.start()
    metafeatures.extract(X, y, random_state=0, max_rows=max_rows)
    traced = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    conn.send(
        {
            "first": first,
            "median": statistics.median(times),
            "times": times,
            "cpu": statistics.median(cpu) if cpu else float("nan"),
            "rss_extra": peak[0] - base,
            "traced_peak": traced,
            "groups": dict(mf.times),
            "subsample": None if mf.subsample is None else int(mf.subsample.size),
        }
    )


def run_synthetic(rows: int, cols: int, repeats: int, max_rows) -> dict:
    ctx = mp.get_context("spawn")  # a fresh process: memory figures start clean
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_synthetic_child, args=(rows, cols, repeats, max_rows, child))
    proc.start()
    result = parent.recv()
    proc.join()
    return result


def print_table(title: str, columns: list[str], rows: list[list[str]]) -> None:
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:  # plain text
        print(title)
        widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(columns)]
        print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
        for r in rows:
            print("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)))
        return
    table = Table(title=title)
    for i, col in enumerate(columns):
        table.add_column(col, justify="left" if i == 0 else "right")
    for r in rows:
        table.add_row(*r)
    Console(width=160).print(table)


def run_corpus(manifest: pd.DataFrame, args, features, max_rows) -> None:
    import metafeatures

    X0, y0 = read_arff(SHARED / manifest.iloc[0]["file"], manifest.iloc[0]["target"])
    metafeatures.extract(X0, y0, random_state=0)  # warm-up: imports
    rows, done_ours, done_theirs, capped_ours, capped_theirs = [], [], [], [], []
    ratios = []
    for r in manifest.itertuples():
        X, y = read_arff(SHARED / r.file, r.target)
        ours = time_ours(X, y, args.repeats, max_rows)
        note = ""
        if args.skip_pymfe_over_rows and r.n_rows > args.skip_pymfe_over_rows:
            theirs, note = None, "pymfe skipped"
        else:
            theirs = time_pymfe(SHARED / r.file, r.target, features, args.pymfe_cap)
            if theirs is None:
                note = f"pymfe > {args.pymfe_cap:.0f}s cap"
        if theirs is not None:
            done_ours.append(ours)
            done_theirs.append(theirs)
            ratios.append(theirs / ours)
            ratio = f"{theirs / ours:.1f}x"
            their_s = f"{theirs:.3f}"
        elif note.endswith("cap"):
            capped_ours.append(ours)
            capped_theirs.append(args.pymfe_cap)
            ratio, their_s = f">{args.pymfe_cap / ours:.0f}x", f">{args.pymfe_cap:.0f}"
        else:
            ratio, their_s = "-", "-"
        rows.append(
            [
                r.name,
                str(r.n_rows),
                str(r.n_features),
                str(r.n_classes),
                f"{ours:.3f}",
                their_s,
                ratio,
                note,
            ]
        )
        print(f"  {r.name}: ours {ours:.3f}s, pymfe {their_s}s {note}", flush=True)

    print_table(
        "metafeatures.extract vs pymfe (seconds)",
        ["dataset", "rows", "cols", "classes", "ours", "pymfe", "pymfe/ours", "note"],
        rows,
    )
    if done_ours:
        total_ours, total_theirs = sum(done_ours), sum(done_theirs)
        geo = math.exp(statistics.mean(math.log(x) for x in ratios))
        print(
            f"total over {len(done_ours)} datasets where pymfe finished: ours "
            f"{total_ours:.2f}s, pymfe {total_theirs:.2f}s, ratio "
            f"{total_theirs / total_ours:.1f}x (geometric mean of ratios {geo:.1f}x, "
            f"min {min(ratios):.1f}x, max {max(ratios):.1f}x)"
        )
    if capped_ours:
        t_o = sum(done_ours) + sum(capped_ours)
        t_t = sum(done_theirs) + sum(capped_theirs)
        print(
            f"with {len(capped_ours)} capped dataset(s) counted at the cap: ours {t_o:.2f}s, "
            f"pymfe >{t_t:.2f}s, ratio >{t_t / t_o:.1f}x (lower bound)"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--datasets",
        type=int,
        default=None,
        help="only the N smallest corpus datasets (rows x columns)",
    )
    parser.add_argument("--only", default=None, help="comma-separated dataset names")
    parser.add_argument(
        "--skip-pymfe-over-rows",
        type=int,
        default=None,
        help="do not run pymfe on datasets with more rows",
    )
    parser.add_argument(
        "--pymfe-cap",
        type=float,
        default=120.0,
        help="seconds pymfe may take per dataset (default 120)",
    )
    parser.add_argument("--pymfe-features", choices=["shared", "all"], default="shared")
    parser.add_argument("--repeats", type=int, default=3, help="runs of ours (median)")
    parser.add_argument(
        "--max-rows",
        type=int,
        default=None,
        help="extract()'s max_rows (default: the library default)",
    )
    parser.add_argument(
        "--synthetic", default="100000x100", help="ROWSxCOLS of the synthetic table, or 'none'"
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")

    import metafeatures

    max_rows = args.max_rows if args.max_rows is not None else metafeatures.DEFAULT_MAX_ROWS
    manifest = pd.read_csv(SHARED / "manifest.csv")
    if args.only:
        manifest = manifest[manifest["name"].isin(args.only.split(","))]
    if args.datasets is not None:
        size = manifest["n_rows"] * manifest["n_features"]
        manifest = manifest.loc[size.sort_values(kind="stable").index[: args.datasets]]
    features = shared_pymfe_features() if args.pymfe_features == "shared" else "all"
    print(f"datasets: {len(manifest)} ({', '.join(manifest['name'])})")
    print(
        f"ours: all groups, max_rows={max_rows}, median of {args.repeats}; pymfe: "
        f"{args.pymfe_features} features of the same groups, 1 run, cap {args.pymfe_cap:.0f}s"
        + (f", skipped above {args.skip_pymfe_over_rows} rows" if args.skip_pymfe_over_rows else "")
    )

    print(
        "load average (1, 5, 15 min) at start: "
        + " ".join(f"{v:.1f}" for v in os.getloadavg())
        + f" on {os.cpu_count()} cores"
    )
    if len(manifest):
        run_corpus(manifest, args, features, max_rows)

    if args.synthetic != "none":
        n, p = (int(v) for v in args.synthetic.lower().split("x"))
        res = run_synthetic(n, p, args.repeats, max_rows)
        print_table(
            f"all groups on a synthetic {n:,} x {p} table (5 classes, max_rows={max_rows})",
            [
                "first call (s)",
                "median (s)",
                "runs (s)",
                "median CPU (s)",
                "peak extra traced (MB)",
                "peak extra RSS (MB)",
                "subsample",
            ],
            [
                [
                    f"{res['first']:.2f}",
                    f"{res['median']:.2f}",
                    " ".join(f"{t:.2f}" for t in res["times"]),
                    f"{res['cpu']:.2f}",
                    f"{res['traced_peak'] / 1e6:.0f}",
                    f"{res['rss_extra'] / 1e6:.0f}",
                    str(res["subsample"]),
                ]
            ],
        )
        print(
            "time per group (last run, s): "
            + ", ".join(f"{k} {v:.2f}" for k, v in res["groups"].items())
        )
    print("load average (1, 5, 15 min) at end: " + " ".join(f"{v:.1f}" for v in os.getloadavg()))


if __name__ == "__main__":
    main()
