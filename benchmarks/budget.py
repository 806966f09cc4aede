"""Does fit keep its time budget, and how much memory does it take?

Each fit runs in a fresh process, so its peak resident memory is its own. Prints wall clock
against ``time_budget`` (the promise: within budget + 10% + 2 s) and peak RSS.

    python benchmarks/budget.py                       # default datasets, budgets 10 and 30 s
    python benchmarks/budget.py --budgets 10 --datasets letter --synthetic 200000x100
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import sys
import time

import numpy as np
import pandas as pd

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent))
from _common import load  # noqa: E402


def synthetic(rows: int, cols: int, seed: int = 0):
    from sklearn.datasets import make_classification

    X, y = make_classification(rows, cols, n_informative=min(cols, 10), random_state=seed)
    return pd.DataFrame(X, columns=[f"f{i}" for i in range(cols)]), y


def _child(spec: str, budget: float, families, queue) -> None:
    from autometa import AutoMetaClassifier

    if spec.count("x") == 1 and spec.replace("x", "").isdigit():
        rows, cols = map(int, spec.split("x"))
        X, y = synthetic(rows, cols)
    else:
        X, y = load(spec)
    start = time.monotonic()
    try:
        clf = AutoMetaClassifier(time_budget=budget, random_state=0, families=families).fit(X, y)
        status, n_trials = "ok", len(clf.leaderboard_)
    except Exception as exc:  # report, don't hide
        status, n_trials = f"error: {type(exc).__name__}: {exc}"[:80], 0
    wall = time.monotonic() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put((wall, peak_mb, status, n_trials, X.shape))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--datasets", nargs="+", default=["credit.a", "anneal", "mushroom", "letter", "5000x50"]
    )
    ap.add_argument("--budgets", nargs="+", type=float, default=[10.0, 30.0])
    ap.add_argument("--families", nargs="+", default=None)
    ap.add_argument(
        "--corpus", type=int, default=0, help="add N corpus datasets spread evenly over sizes"
    )
    args = ap.parse_args()
    if args.corpus:
        from _common import manifest

        m = manifest().sort_values("n_rows").reset_index(drop=True)
        picks = np.linspace(0, len(m) - 1, args.corpus).round().astype(int)
        args.datasets = list(dict.fromkeys(list(m.loc[picks, "name"]) + args.datasets))
    ctx = mp.get_context("spawn")
    rows = []
    for spec in args.datasets:
        for budget in args.budgets:
            queue = ctx.Queue()
            proc = ctx.Process(target=_child, args=(spec, budget, args.families, queue))
            proc.start()
            wall, peak, status, n_trials, shape = queue.get()
            proc.join()
            limit = budget * 1.1 + 2
            rows.append(
                {
                    "dataset": spec,
                    "shape": f"{shape[0]}x{shape[1]}",
                    "budget_s": budget,
                    "wall_s": round(wall, 2),
                    "ratio": round(wall / budget, 3),
                    "within": wall <= limit,
                    "peak_rss_mb": round(peak),
                    "trials": n_trials,
                    "status": status,
                }
            )
            print(pd.DataFrame(rows[-1:]).to_string(index=False, header=len(rows) == 1), flush=True)
    table = pd.DataFrame(rows)
    print()
    print(table.to_string(index=False))
    print(
        f"\nwithin budget + 10% + 2 s: {int(table.within.sum())}/{len(table)}; "
        f"median wall/budget {np.median(table.ratio):.3f}; max {table.ratio.max():.3f}; "
        f"max peak RSS {table.peak_rss_mb.max()} MB"
    )


if __name__ == "__main__":
    main()
