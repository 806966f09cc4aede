"""Ensemble size and mixing weight of the few-shot learner on the tiny-data tasks.

``FewShotClassifier(method="icl+fomaml")`` averages the probabilities of the in-context
transformer (``icl``) and of first-order MAML (``fomaml``), each with ``n_estimators``
members. This study fits both parts with 8 members once per task and repeat, and scores
(ROC AUC, as in benchmarks/fewshot.py, same tasks and splits) the first 2, 4 and 8 members
of each, mixed as ``w * icl + (1 - w) * fomaml`` for w in 0, 0.25, 0.5, 0.75, 1, as a
geometric mean, and as 8 members of one part with 4 of the other. The first ``n`` members
of an 8-member fit are exactly the members of an ``n``-member fit (members are drawn in
order from the same seed). With more than 10 classes the member count is set by the output
codes, and every column uses all members.

    python benchmarks/fewshot_ensemble.py --group seen --repeats 3 --out seen.csv
    python benchmarks/fewshot_ensemble.py --group held-out --repeats 10 --out held.csv
    python benchmarks/fewshot_ensemble.py --report held.csv     # against n4_w0.5, the default

Choose on ``seen`` (datasets the weights were meta-trained on), confirm on ``held-out``.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fewshot as bench  # noqa: E402

from autometa.fewshot import FewShotClassifier, load_weights  # noqa: E402
from autometa.fewshot._arff import load_dataset  # noqa: E402

SIZES = (2, 4, 8)
WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)
DEFAULT = "n4_w0.5"


def _first_members(clf: FewShotClassifier, X, n: int) -> np.ndarray:
    """Probabilities of ``clf`` restricted to its first ``n`` members."""
    members = clf.members_
    clf.members_, clf._support_kv = members[:n], None
    try:
        return clf.predict_proba(X)
    finally:
        clf.members_, clf._support_kv = members, None


def study_task(X, y, size, repeat: int, max_test: int = 1000) -> dict | None:
    """Scores of every ensemble variant on one split (None when the split is unusable)."""
    classes_all = np.unique(y)
    split = bench.task_split(y, size, repeat, max_test)
    if split is None:
        return None
    tr, te = split
    proba = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for method in ("icl", "fomaml"):
            clf = FewShotClassifier(method=method, n_estimators=8, random_state=repeat)
            clf.fit(X.iloc[tr], y[tr])
            if len(clf.classes_) > clf._arch.max_classes:  # output codes: all members
                p = clf.predict_proba(X.iloc[te])
                proba.update({(method, n): p for n in SIZES})
            else:
                proba.update({(method, n): _first_members(clf, X.iloc[te], n) for n in SIZES})
    classes = clf.classes_

    def auc(p):
        return bench.score_proba(p, classes, y[te], classes_all)[0]

    rec = {}
    for n in SIZES:
        for w in WEIGHTS:
            rec[f"n{n}_w{w}"] = auc(w * proba["icl", n] + (1 - w) * proba["fomaml", n])
        g = np.sqrt(np.clip(proba["icl", n], 1e-12, 1) * np.clip(proba["fomaml", n], 1e-12, 1))
        rec[f"n{n}_geo"] = auc(g / g.sum(1, keepdims=True))
    rec["icl8_fomaml4"] = auc(0.5 * proba["icl", 8] + 0.5 * proba["fomaml", 4])
    rec["icl4_fomaml8"] = auc(0.5 * proba["icl", 4] + 0.5 * proba["fomaml", 8])
    return rec


def report(files: list) -> str:
    """Mean ROC AUC of every variant over tasks, and its paired difference to the default."""
    df = pd.concat(pd.read_csv(f) for f in files)
    per_task = df.drop(columns=["repeat", "dataset"]).groupby(["task", "size"]).mean()
    base = per_task[DEFAULT]
    lines = [f"{len(per_task)} tasks; W/T/L against {DEFAULT} (ties within 0.002)"]
    for col in per_task.columns:
        d = per_task[col] - base
        w, t, lose, p = bench.paired(d)
        lines.append(f"{col:14s} {per_task[col].mean():.4f}  {d.mean():+.4f}  "
                     f"W/T/L {w}/{t}/{lose}  Wilcoxon p = {p:.3f}")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=str(bench.ROOT.parent / "shared" / "datasets"))
    ap.add_argument("--group", choices=("held-out", "seen"), default="seen")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--datasets", default=None, help="comma-separated names (default: all)")
    ap.add_argument("--out", default=None, help="CSV of every (task, repeat) result")
    ap.add_argument("--report", nargs="+", metavar="CSV", default=None,
                    help="print the comparison of these result files and exit")
    args = ap.parse_args(argv)
    if args.report:
        print(report(args.report))
        return 0
    _, meta, _ = load_weights(None)
    seen = set(meta["data"]["corpus_train"]) | set(meta["data"]["corpus_validation"])
    manifest = pd.read_csv(Path(args.corpus) / "manifest.csv")
    manifest = manifest[manifest.name.isin(seen) == (args.group == "seen")]
    if args.datasets:
        manifest = manifest[manifest.name.isin(args.datasets.split(","))]
    rows = []
    for row in manifest.itertuples():
        X, y_raw = load_dataset(Path(args.corpus) / row.file, row.target)
        y = pd.Categorical(y_raw.astype(str)).codes.astype(np.int64)
        for name, size in bench.tasks_for(row.name, len(y)):
            for r in range(args.repeats):
                rec = study_task(X, y, size, r)
                if rec is not None:
                    rows.append({"dataset": name, "task": f"{name}@{size}", "size": str(size),
                                 "repeat": r, **rec})
            print(name, size, flush=True)
            if args.out:
                pd.DataFrame(rows).to_csv(args.out, index=False)
    if args.out:
        print(report([args.out]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
