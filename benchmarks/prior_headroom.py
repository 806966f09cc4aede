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

Usage::

    python benchmarks/prior_headroom.py [--store stores/corpus.sqlite]
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", default="stores/corpus.sqlite")
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
