"""Quality of the search against its peers at equal wall-clock budgets, and the anytime curve.

Every system gets the same outer stratified folds (seed 0), the same budget and one thread:

- ``autometa_warm``: AutoMetaClassifier with a leave-one-dataset-out prior (built from a
  snapshot of the evaluation store without the dataset's evaluations; cached on disk);
- ``autometa_cold``: the same with ``prior=None``;
- ``optuna_lgbm``: a plain Optuna TPE loop over LightGBM hyperparameters with cross-validation;
- ``flaml``: FLAML ``AutoML``; ``flaml_zeroshot``: ``flaml.default.LGBMClassifier`` (no budget);
- ``autogluon``: ``TabularPredictor(presets="medium_quality")`` run in ``.venv-bench``;
- ``lightgbm``, ``random_forest``, ``logistic_regression``: library defaults (no budget).

Searches optimise autometa's default metric (ROC AUC for binary, log loss for multiclass);
every system is scored on the outer test fold by ROC AUC (one-vs-rest macro), accuracy and log
loss. Results are appended to a CSV as they finish (``--resume`` skips finished cells). Then:
normalised scores, ranks, wins/ties/losses, the targets, the anytime curve and the plots.

    python benchmarks/anytime.py --n-datasets 12 --folds 1 --budgets 10 30
    python benchmarks/anytime.py --report-only --write-docs docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def _source() -> Path:
    """The autometa source to benchmark (``--src``, default this repository), put first on the
    path; this folder is taken off it, or its ``metafeatures.py`` script would shadow the
    ``metafeatures`` package (and autometa would fall back to its simple meta-features)."""
    src = sys.argv[sys.argv.index("--src") + 1] if "--src" in sys.argv else str(ROOT)
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
    sys.path.insert(0, str(Path(src).resolve()))
    return Path(src).resolve()


def _import(name: str):
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


for _flag, _var in (("--corpus", "AUTOMETA_BENCH_CORPUS"), ("--store", "AUTOMETA_BENCH_STORE")):
    if _flag in sys.argv:  # read by _common at import; workers inherit the environment
        os.environ[_var] = str(Path(sys.argv[sys.argv.index(_flag) + 1]).resolve())
SRC = _source()
_common = _import("_common")
DATASETS, load, manifest = _common.DATASETS, _common.load, _common.manifest
S = _import("anytime_systems")

RESULTS = HERE / "results"
STORE, LODO = _common.STORE, _common.LODO
snapshot_store, build_priors = _common.snapshot_store, _common.build_priors
BENCH_PY = ROOT / ".venv-bench" / "bin" / "python"
BUDGETED = ["autometa_warm", "autometa_cold", "optuna_lgbm", "flaml", "autogluon"]
DEFAULTS = ["flaml_zeroshot", "lightgbm", "random_forest", "logistic_regression"]
SYSTEMS = BUDGETED + DEFAULTS
COLUMNS = [
    "dataset",
    "fold",
    "system",
    "budget",
    "status",
    "roc_auc",
    "accuracy",
    "log_loss",
    "fit_time",
    "predict_time",
    "n_trials",
    "val_score",
    "opt_metric",
    "n_train",
    "n_classes",
    "info",
    "error",
    "finished",
]


# ----------------------------------------------------------------------------- data and scores
def select_datasets(n: int, pool: str, seed: int = 0) -> list[str]:
    """``n`` datasets spread over sizes: sort by rows, cut in ``n`` groups, draw one per group.

    Only datasets whose smallest class has at least 3 rows (so each of 3 outer folds sees every
    class); with ``pool="heldout"`` only those the few-shot learner never trained on.
    """
    m = manifest()
    m = m[m["minority"] >= 3]
    if pool == "test":  # a corpus's held-aside tasks (--corpus corpus), never meta-trained on
        m = m[m["split"] == "test"]
    elif pool == "heldout":
        from autometa.fewshot.sampler import corpus_split

        m = m[[corpus_split(x) == "heldout" for x in m["name"]]]
    names = m.sort_values(["n_rows", "name"])["name"].tolist()
    rng = np.random.default_rng(seed)
    return [str(g[rng.integers(len(g))]) for g in np.array_split(np.array(names), n) if len(g)]


def outer_folds(y: np.ndarray, folds: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified outer folds, seed 0; ``folds=1`` is the first fold of the 3-fold split."""
    from sklearn.model_selection import StratifiedKFold

    cv = StratifiedKFold(max(folds, 3) if folds == 1 else folds, shuffle=True, random_state=0)
    return list(cv.split(np.zeros(len(y)), y))[:folds]


# ----------------------------------------------------------------------------- runs
def autogluon_skip_reason() -> str | None:
    if not BENCH_PY.exists():
        return f"{BENCH_PY} does not exist (create it and pip install autogluon.tabular there)"
    r = subprocess.run(
        [str(BENCH_PY), "-c", "import autogluon.tabular, autometa"],
        capture_output=True,
        text=True,
        cwd=SRC,
    )
    return None if r.returncode == 0 else f"import failed in .venv-bench: {r.stderr[-300:]}"


# ----------------------------------------------------------------------------- the runs
def _append(path: Path, rows: list[dict]) -> None:
    frame = pd.DataFrame(rows).reindex(columns=COLUMNS)
    frame.to_csv(path, mode="a", header=not path.exists(), index=False)


def merge(parts: list[Path], out: Path) -> None:
    """Combine the results of runs made in parallel (each with its own ``--out``) into
    ``out``, with their anytime curves; a cell run twice keeps the run of the last file
    (its result row and all its trials: none of the earlier run's are left behind)."""

    cells = ["dataset", "fold", "system", "budget"]

    def combine(paths: list[Path], keys: list[str], target: Path) -> int:
        frames = [pd.read_csv(q) for q in paths if q.exists()]
        if not frames:
            return 0
        rows = frames[0]
        for frame in frames[1:]:
            rerun = rows.set_index(cells).index.isin(frame.set_index(cells).index)
            rows = pd.concat([rows[~rerun], frame], ignore_index=True)
        rows = rows.drop_duplicates(keys, keep="last")
        tmp = target.with_suffix(".tmp")
        rows.to_csv(tmp, index=False)
        os.replace(tmp, target)
        return len(rows)

    n = combine(parts, cells, out)
    curve = [q.with_name(q.stem + "_curves.csv") for q in parts]
    m = combine(curve, [*cells, "trial"], out.with_name(out.stem + "_curves.csv"))
    print(f"{out}: {n} result rows, {m} trial rows from {len(parts)} files")


def warm_up(prior: str | None) -> None:
    """Import and exercise every system once on toy data, so the first one timed does not pay
    for imports the others then get for free."""
    import flaml.automl  # noqa: F401
    import flaml.default  # noqa: F401
    import optuna  # noqa: F401
    from sklearn.datasets import make_classification

    from autometa import AutoMetaClassifier

    X, y = make_classification(300, 6, random_state=0)
    X = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for kw in [
            {"prior": prior, "n_trials": 3},
            {"prior": None, "n_trials": 3},
            {"prior": None, "fewshot": True},
        ]:
            AutoMetaClassifier(time_budget=10, random_state=0, **kw).fit(X.iloc[:150], y[:150])
        for system in DEFAULTS:
            S.run_default(system, X, y)


def worker(args) -> None:
    """Run the pending cells of one dataset (all its folds), appending rows as they finish."""
    from sklearn.preprocessing import LabelEncoder

    cells = json.loads(Path(args.cells).read_text())
    X, y = S.plain_names(*load(args.dataset))
    le = LabelEncoder().fit(np.asarray(y).astype(str))
    yi = le.transform(np.asarray(y).astype(str)).astype(np.int64)
    k = len(le.classes_)
    opt = "roc_auc" if k == 2 else "log_loss"
    prior = str(LODO / args.dataset) if any(c["system"] == "autometa_warm" for c in cells) else None
    folds = outer_folds(yi, args.folds)
    t = time.monotonic()
    warm_up(prior)
    print(f"{args.dataset}: warm-up {time.monotonic() - t:.1f} s", flush=True)
    for cell in cells:
        fold, system, budget = cell["fold"], cell["system"], float(cell["budget"])
        tr, te = folds[fold]
        Xtr, Xte = X.iloc[tr].reset_index(drop=True), X.iloc[te].reset_index(drop=True)
        row = {
            "dataset": args.dataset,
            "fold": fold,
            "system": system,
            "budget": budget,
            "opt_metric": opt,
            "n_train": len(tr),
            "n_classes": k,
            "status": "ok",
        }
        extra: dict = {}
        try:
            if system == "constant":
                p = np.tile(np.bincount(yi[tr], minlength=k) / len(tr), (len(te), 1))
                row.update(S.metrics(yi[te], p), fit_time=0.0, predict_time=0.0)
            elif system == "autogluon":
                reason = autogluon_skip_reason()
                if reason:
                    raise RuntimeError(f"AutoGluon skipped: {reason}")
                spec = {
                    "dataset": args.dataset,
                    "classes": list(le.classes_),
                    "budget": budget,
                    "train": tr.tolist(),
                    "test": te.tolist(),
                }
                r = subprocess.run(
                    [str(BENCH_PY), __file__, "--ag-cell", json.dumps(spec), "--src", str(SRC)],
                    capture_output=True,
                    text=True,
                    cwd=ROOT,
                    timeout=4 * budget + 300,
                )
                lines = [ln for ln in r.stdout.splitlines() if ln.startswith("{")]
                if r.returncode or not lines:
                    raise RuntimeError(f"autogluon exit {r.returncode}: {r.stderr[-400:]}")
                row.update(json.loads(lines[-1]))
            else:
                t = time.monotonic()
                if system in DEFAULTS:
                    model, extra = S.run_default(system, Xtr, yi[tr])
                elif system.startswith("autometa"):
                    model, extra = S.run_autometa(
                        Xtr,
                        yi[tr],
                        budget,
                        prior if system == "autometa_warm" else None,
                        args.search_seed,
                    )
                elif system == "optuna_lgbm":
                    model, extra = S.run_optuna_lgbm(Xtr, yi[tr], budget, opt, k)
                else:
                    model, extra = S.run_flaml(Xtr, yi[tr], budget, opt)
                row["fit_time"] = time.monotonic() - t
                t = time.monotonic()
                p = S.align(model.predict_proba(Xte), model.classes_, k)
                row["predict_time"] = time.monotonic() - t
                row.update(S.metrics(yi[te], p))
        except Exception as exc:  # a failing system is a result, not the end of the run
            row.update(status="failed", error=f"{type(exc).__name__}: {exc}"[:400])
        curve = extra.pop("curve", None)
        row.update(extra, finished=time.strftime("%Y-%m-%d %H:%M:%S"))
        if curve is not None:
            curve = curve.assign(dataset=args.dataset, fold=fold, system=system, budget=budget)
            cols = [
                "dataset",
                "fold",
                "system",
                "budget",
                "trial",
                "family",
                "source",
                "state",
                "score",
                "finished_at",
                "elapsed",
            ]
            path = Path(args.out).with_name(Path(args.out).stem + "_curves.csv")
            curve[cols].to_csv(path, mode="a", header=not path.exists(), index=False)
        _append(Path(args.out), [row])
        print(
            f"{args.dataset:24s} fold {fold} {system:20s} {budget:4.0f}s {row['status']:6s} "
            f"auc={row.get('roc_auc', float('nan')):.4f} fit={row.get('fit_time', 0):.1f}s "
            f"{row.get('info', '') or ''} {row.get('error', '') or ''}",
            flush=True,
        )


def _git_describe(src: Path) -> str:
    stamp = src / "SOURCE"
    if stamp.exists():
        return stamp.read_text().strip()
    r = subprocess.run(
        ["git", "-C", str(src), "describe", "--always", "--dirty"], capture_output=True, text=True
    )
    return f"git {r.stdout.strip()}" if r.returncode == 0 else "unknown version"


def run(args) -> None:
    out = Path(args.out).resolve()  # workers run in the source tree (--src)
    names = args.datasets or select_datasets(args.n_datasets, args.pool)
    m = manifest().set_index("name")
    print(f"datasets ({len(names)}):")
    print(m.loc[names, ["n_rows", "n_features", "n_classes", "minority"]].to_string())
    print(
        f"outer folds: {args.folds} ({'first of 3' if args.folds == 1 else 'stratified'}, "
        f"seed 0); budgets {[float(b) for b in args.budgets]} s; systems {args.systems}; "
        f"autometa random_state {args.search_seed}"
    )
    print(
        "threads: every system runs with 1 thread (n_jobs=1, OMP_NUM_THREADS=1): the machine "
        "has 2 cores shared with other jobs, so absolute times are noisy."
    )
    import autometa
    from autometa.prior.features import extractor_name

    print(
        f"autometa source: {Path(autometa.__file__).parent.parent} "
        f"(--src; {_git_describe(SRC)}); meta-feature extractor {extractor_name()}"
    )
    reason = autogluon_skip_reason() if "autogluon" in args.systems else None
    if reason:
        print(f"AutoGluon will be skipped: {reason}")
    if "autometa_warm" in args.systems:
        snap = snapshot_store(args.refresh_snapshot)
        import sqlite3

        con = sqlite3.connect(f"file:{snap}?mode=ro", uri=True)
        n = con.execute(
            "select count(*), count(distinct task), count(distinct config_id) "
            "from evaluations where state = 'ok'"
        ).fetchone()
        con.close()
        print(
            f"store snapshot {snap.relative_to(ROOT)}: {n[0]} ok evaluations, {n[1]} tasks, "
            f"{n[2]} configurations"
        )
        t = build_priors(names, snap, args.prior_method)
        print(
            f"LODO priors (method={args.prior_method}): built {int((~t.cached).sum())} in "
            f"{t.seconds.sum():.0f} s (median {t.seconds[~t.cached].median():.1f} s each), "
            f"{int(t.cached.sum())} cached"
        )
    done = set()
    if args.resume and out.exists():
        old = pd.read_csv(out)
        done = set(zip(old.dataset, old.fold, old.system, old.budget.astype(float), strict=True))
    out.parent.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PYTHONWARNINGS": "ignore",
        "PYTHONPATH": str(SRC),
    }
    for name in names:
        cells = [
            {"fold": f, "system": s, "budget": float(b)}
            for f in range(args.folds)
            for b in args.budgets
            for s in args.systems
            if s in BUDGETED
        ]
        cells += [
            {"fold": f, "system": s, "budget": 0.0}
            for f in range(args.folds)
            for s in ["constant"] + [s for s in args.systems if s in DEFAULTS]
        ]
        cells = [c for c in cells if (name, c["fold"], c["system"], c["budget"]) not in done]
        if not cells:
            continue
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
            json.dump(cells, fh)
        limit = sum(3 * c["budget"] + 60 for c in cells) + 120
        cmd = [
            sys.executable,
            __file__,
            "--worker",
            "--dataset",
            name,
            "--cells",
            fh.name,
            "--folds",
            str(args.folds),
            "--out",
            str(out),
            "--src",
            str(SRC),
            "--search-seed",
            str(args.search_seed),
        ]
        try:  # cwd: worker processes autometa starts (python -m ...) import the same source
            subprocess.run(cmd, cwd=SRC, env=env, timeout=limit)
        except subprocess.TimeoutExpired:
            print(f"{name}: worker passed its {limit:.0f} s limit and was stopped", flush=True)
        have = set(
            zip(
                *[pd.read_csv(out)[c] for c in ["dataset", "fold", "system", "budget"]], strict=True
            )
        )
        lost = [c for c in cells if (name, c["fold"], c["system"], c["budget"]) not in have]
        _append(
            out,
            [
                {
                    "dataset": name,
                    **c,
                    "status": "crashed",
                    "error": "worker died or timed out",
                    "finished": time.strftime("%F %T"),
                }
                for c in lost
            ],
        )
        os.unlink(fh.name)
    _import("anytime_report").report(out, args.write_docs, args.tie)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", nargs="+", default=None)
    ap.add_argument("--n-datasets", type=int, default=12)
    ap.add_argument(
        "--pool",
        choices=["heldout", "all", "test"],
        default="heldout",
        help="heldout: only datasets the few-shot learner never trained on; test: the "
        "corpus manifest's split=test tasks (with --corpus)",
    )
    ap.add_argument(
        "--corpus",
        default=None,
        help="a dataset folder with manifest.csv instead of ../shared/datasets (e.g. corpus)",
    )
    ap.add_argument(
        "--store", default=None, help="the evaluation store the leave-one-out priors come from"
    )
    ap.add_argument("--folds", type=int, default=3)
    ap.add_argument("--budgets", nargs="+", type=float, default=[10.0, 30.0, 60.0])
    ap.add_argument("--systems", nargs="+", default=SYSTEMS, choices=SYSTEMS)
    ap.add_argument("--prior-method", default="knn", choices=["knn", "auto"])
    ap.add_argument(
        "--search-seed",
        type=int,
        default=0,
        help="random_state of autometa warm/cold (their CV splits and TPE); folds stay seed 0",
    )
    ap.add_argument("--refresh-snapshot", action="store_true")
    ap.add_argument("--resume", action="store_true")
    ap.add_argument(
        "--src",
        default=str(ROOT),
        help="autometa source tree to benchmark (e.g. an exported commit)",
    )
    ap.add_argument("--out", default=str(RESULTS / "anytime.csv"))
    ap.add_argument("--tie", type=float, default=0.001, help="ROC AUC difference counted a tie")
    ap.add_argument("--report-only", action="store_true")
    ap.add_argument("--write-docs", default=None, help="update this page's anytime section")
    ap.add_argument(
        "--merge",
        nargs="+",
        default=None,
        metavar="CSV",
        help="combine these result files (runs made in parallel) into --out, then report",
    )
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--dataset", help=argparse.SUPPRESS)
    ap.add_argument("--cells", help=argparse.SUPPRESS)
    ap.add_argument("--ag-cell", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.ag_cell:
        print(json.dumps(S.run_autogluon_cell(json.loads(args.ag_cell), load)))
    elif args.worker:
        worker(args)
    elif args.merge:
        merge([Path(q).resolve() for q in args.merge], Path(args.out).resolve())
        _import("anytime_report").report(Path(args.out), args.write_docs, args.tie)
    elif args.report_only:
        _import("anytime_report").report(Path(args.out), args.write_docs, args.tie)
    else:
        run(args)


if __name__ == "__main__":
    assert DATASETS.exists(), DATASETS
    main()
