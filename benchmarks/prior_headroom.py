"""How much a warm start can gain over the family defaults, from the stored evaluation table.

A warm start beats a cold start only if the prior's candidates include configurations that
beat the family defaults the cold start opens with. This measures that headroom on every
task of a meta-training store, with the task's own evaluations (what no prior can know):

- in-sample: the best candidate's mean ROC AUC over the task's folds minus the best family
  default's, both picked and scored on the same folds (optimistic: the maximum of many noisy
  estimates);
- selected: the best candidate and the best default picked on all folds but one and scored
  on the one left out, averaged over the folds (what choosing among the candidates on the
  task's own data would gain).

Then, for the warm start on small data (``autometa.estimator.POOL_MAX_ROWS``): how well the
best of a short pool, picked on all folds but one and scored on the one left out, does
against the best of all candidates picked the same way. The pools: the family defaults, and
the top 8 of a k-nearest-tasks prior (k = 5, learned distance, refitted without the task)
with and without the defaults. ``--exclude`` leaves tasks out of this table (not out of the
priors), e.g. the anytime benchmark's datasets.

Usage::

    python benchmarks/prior_headroom.py [--store stores/corpus.sqlite] [--exclude TASK ...]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import wilcoxon

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout's packages

from autometa.metatrain.store import EvalStore  # noqa: E402
from autometa.space import config_id, default_configs  # noqa: E402

SIZES = [0, 300, 1000, 5000, np.inf]
POOL_SIZES = [0, 100, 200, 300, 1000, np.inf]
POOL_TOP = 8
TIE = 0.001


def headroom(table: pd.DataFrame, default_ids: set[str]) -> dict[str, float]:
    """In-sample and selected gains of one task's (config x fold) ROC AUC table;
    ``default_ids`` holds the ids of the family defaults."""
    table = table.dropna(axis=0, how="any")  # configurations scored on every fold
    defaults = table[table.index.isin(default_ids)]  # their rows
    if table.shape[1] < 2 or defaults.empty:
        return {"in_sample": np.nan, "selected": np.nan}
    in_sample = table.mean(axis=1).max() - defaults.mean(axis=1).max()
    gains = []
    for fold in table.columns:
        rest = [f for f in table.columns if f != fold]
        best = table[rest].mean(axis=1).idxmax()
        best_default = defaults[rest].mean(axis=1).idxmax()
        gains.append(table.at[best, fold] - defaults.at[best_default, fold])
    return {"in_sample": float(in_sample), "selected": float(np.mean(gains))}


def selected_score(table: pd.DataFrame, pool: list[str]) -> float:
    """ROC AUC of the pool's best configuration picked on all folds but one and scored on the
    one left out, averaged over the folds (``table``: configurations x folds)."""
    table = table.reindex([c for c in pool if c in table.index]).dropna(axis=0, how="any")
    if table.empty or table.shape[1] < 2:
        return np.nan
    scores_ = []
    for fold in table.columns:
        rest = [f for f in table.columns if f != fold]
        scores_.append(table.at[table[rest].mean(axis=1).idxmax(), fold])
    return float(np.mean(scores_))


def pool_table(store: str, evals: pd.DataFrame, defaults: set[str]) -> pd.DataFrame:
    """Per task: the selected score of each pool (see the module's docstring)."""
    from autometa.prior import scores
    from autometa.prior.features import scale_metafeatures
    from autometa.prior.fit import _median_distance, load_metadata

    meta = load_metadata(store)
    raw = scores.raw_scores(meta["evaluations"], "roc_auc")
    mf = meta["metafeatures"].reindex(raw.index)
    mf = mf.loc[:, mf.notna().any(axis=0)]
    mf = mf[sorted(mf.columns)]
    norm = scores.normalised_scores(raw)
    tasks, ids, values = list(norm.index), list(norm.columns), norm.to_numpy()
    Z, _, _ = scale_metafeatures(mf)
    out = []
    for i, task in enumerate(tasks):
        rest = np.delete(np.arange(len(tasks)), i)
        weights = scores.metric_weights(Z[rest], values[rest])
        length = _median_distance(Z[rest], weights)
        expected, _, _ = scores.knn_predict(Z[i], Z[rest], values[rest], 5, length, weights)
        top = [ids[j] for j in np.argsort(-expected, kind="stable")[:POOL_TOP]]
        table = evals[evals.task == task].pivot_table(
            index="config_id", columns="fold", values="roc_auc"
        )
        default_ids = [c for c in ids if c in defaults]
        out.append(
            {
                "task": task,
                "all": selected_score(table, ids),
                "defaults": selected_score(table, default_ids),
                f"prior top {POOL_TOP}": selected_score(table, top),
                f"prior top {POOL_TOP} + defaults": selected_score(
                    table, list(dict.fromkeys(top + default_ids))
                ),
            }
        )
    return pd.DataFrame(out).set_index("task")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", default="stores/corpus.sqlite")
    ap.add_argument("--exclude", nargs="*", default=[], help="tasks left out of the pool table")
    args = ap.parse_args(argv)
    with EvalStore(args.store) as store:
        evals = store.evaluations()
        rows = store.tasks().set_index("name")["n_rows"]
    defaults = {config_id(c) for c in default_configs()}
    evals = evals.dropna(subset=["roc_auc"])
    out = []
    for task, frame in evals.groupby("task"):
        table = frame.pivot_table(index="config_id", columns="fold", values="roc_auc")
        out.append({"task": task, "n_rows": rows.get(task, np.nan), **headroom(table, defaults)})
    res = pd.DataFrame(out).dropna(subset=["selected"])
    res["size"] = pd.cut(res.n_rows, SIZES, right=True)
    scored = set(evals.config_id)
    n_cfg, n_def = len(scored), len(scored & defaults)
    print(
        f"{args.store}: {len(res)} tasks, {n_cfg} candidate configurations "
        f"({n_def} family defaults); ROC AUC of the best candidate minus the best default"
    )
    header = f"{'rows':<16}{'tasks':>6}{'in-sample mean':>16}{'median':>8}"
    header += f"{'selected mean':>15}{'median':>8}{'W/T/L':>11}{'p':>7}"
    print(header)
    groups = [(str(k), g) for k, g in res.groupby("size", observed=True)] + [("all", res)]
    for name, g in groups:
        d = g.selected.to_numpy()
        wtl = f"{(d > TIE).sum()}/{(abs(d) <= TIE).sum()}/{(d < -TIE).sum()}"
        p = wilcoxon(d).pvalue if len(d) > 1 and (d != 0).any() else float("nan")
        print(
            f"{name:<16}{len(g):>6}{g.in_sample.mean():>16.4f}{g.in_sample.median():>8.4f}"
            f"{d.mean():>15.4f}{np.median(d):>8.4f}{wtl:>11}{p:>7.2f}"
        )
    pools = pool_table(args.store, evals, defaults)
    pools = pools.drop(index=[t for t in args.exclude if t in pools.index])
    pools["size"] = pd.cut(rows.reindex(pools.index), POOL_SIZES, right=True)
    print(
        f"\nSmall pools against all {n_cfg} candidates ({len(pools)} tasks): ROC AUC of the "
        "pool's best picked on all folds but one, scored on the one left out, minus that of "
        "all candidates; mean, W/T/L"
    )
    names = [c for c in pools.columns if c not in ("all", "size")]
    print(f"{'rows':<16}{'tasks':>6}" + "".join(f"{n:>28}" for n in names))
    groups = [(str(k), g) for k, g in pools.groupby("size", observed=True)] + [("all", pools)]
    for name, g in groups:
        cells = []
        for n in names:
            d = (g[n] - g["all"]).dropna().to_numpy()
            wtl = f"{(d > TIE).sum()}/{(abs(d) <= TIE).sum()}/{(d < -TIE).sum()}"
            cells.append(f"{d.mean():+.4f} {wtl}")
        print(f"{name:<16}{len(g):>6}" + "".join(f"{c:>28}" for c in cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
