"""Benchmark of the MLP family: epoch speed, and ROC AUC against simple defaults.

(a) speed: CPU and wall seconds per epoch on a synthetic 10,000 x 50 table (one torch
    thread), median over all epochs of ``--repeats`` fits, for the default architecture
    and a larger one.
(b) quality: 3-fold stratified CV (seed 0) on a subset of ../shared/datasets: ROC AUC
    (one-vs-rest macro for multiclass) of the MLP default and of ``--random-configs``
    random points of its space (the same points on every dataset), against LightGBM,
    random forest and logistic regression defaults. Prints a per-dataset table, then
    mean AUC / accuracy / log loss / rank / normalised score / fit seconds per system
    and wins, ties (|difference| < 0.001) and losses of the MLP default.

Usage::

    OMP_NUM_THREADS=1 python benchmarks/mlp.py --part all
    OMP_NUM_THREADS=1 python benchmarks/mlp.py --part quality --datasets iris wine
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT.parent / "shared" / "datasets"


# ----------------------------------------------------------------------------- speed
def bench_speed(repeats: int, epochs: int) -> None:
    from sklearn.datasets import make_classification

    from autometa.nas import MLP_FAMILY, MLPClassifier

    X, y = make_classification(
        n_samples=10_000, n_features=50, n_informative=20, n_classes=2, random_state=0
    )
    archs = {
        "default (256-128 funnel)": MLP_FAMILY.default(),
        "4x512 constant, batchnorm, residual": {
            **MLP_FAMILY.default(),
            "depth": 4,
            "width": 512,
            "shape": "constant",
            "normalization": "batch",
            "residual": True,
        },
    }
    print(f"(a) seconds per epoch, 10,000 x 50, 1 torch thread, {repeats} fits x {epochs} epochs")
    print(f"{'architecture':<38}{'batch':>6}{'cpu s/epoch':>13}{'wall s/epoch':>14}")
    for name, params in archs.items():
        for batch in (256, 1024):
            cpu, wall = [], []
            for r in range(repeats):
                marks: list[tuple[float, float]] = []

                def mark(epoch: int, loss: float, marks=marks) -> None:
                    marks.append((time.process_time(), time.perf_counter()))

                clf = MLPClassifier(
                    **{**params, "batch_size": batch},
                    max_epochs=epochs,
                    validation_fraction=0.0,
                    n_jobs=1,
                    device="cpu",
                    random_state=r,
                    epoch_callback=mark,
                )
                clf.fit(X, y)
                cpu += list(np.diff([m[0] for m in marks]))
                wall += list(np.diff([m[1] for m in marks]))
            print(f"{name:<38}{batch:>6}{np.median(cpu):>13.3f}{np.median(wall):>14.3f}")
    print()


# --------------------------------------------------------------------------- quality
def _load(row: pd.Series) -> tuple[pd.DataFrame, np.ndarray]:
    try:
        from autometa.data import load_dataset
    except ImportError:  # pragma: no cover - fallback when autometa.data is absent
        load_dataset = None
    if load_dataset is not None:
        X, y = load_dataset(DATASETS / row["file"], row["target"])
    else:
        import arff

        data = arff.load(open(DATASETS / row["file"]))
        frame = pd.DataFrame(data["data"], columns=[a for a, _ in data["attributes"]])
        y, X = frame.pop(row["target"]), frame
    keep = y.notna().to_numpy()
    _, y_enc = np.unique(y[keep].astype(str), return_inverse=True)
    return X[keep].reset_index(drop=True), y_enc


def _auc(y: np.ndarray, proba: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    if proba.shape[1] == 2:
        return float(roc_auc_score(y == 1, proba[:, 1]))
    scores = [
        roc_auc_score(y == k, proba[:, k])
        for k in range(proba.shape[1])
        if 0 < (y == k).sum() < len(y)
    ]
    return float(np.mean(scores))


def _fmt(value: object) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def _systems(n_random: int) -> dict[str, object]:
    import optuna
    from lightgbm import LGBMClassifier
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from autometa.data import preprocessing
    from autometa.nas import MLP_FAMILY

    def mlp(params):
        return lambda: MLP_FAMILY.build(params, random_state=0, n_jobs=1, device="cpu")

    systems = {"mlp default": mlp(MLP_FAMILY.default())}
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for i in range(n_random):
        params = MLP_FAMILY.suggest(study.ask())
        print(f"mlp rand{i}: " + ", ".join(f"{k}={_fmt(v)}" for k, v in params.items()))
        systems[f"mlp rand{i}"] = mlp(params)
    systems["lightgbm"] = lambda: LGBMClassifier(n_jobs=1, random_state=0, verbosity=-1)
    systems["random forest"] = lambda: make_pipeline(
        preprocessing.ordinal(), RandomForestClassifier(n_jobs=1, random_state=0)
    )
    systems["logistic reg"] = lambda: make_pipeline(
        preprocessing.onehot_scaled(), LogisticRegression(max_iter=1000)
    )
    return systems


def _warm_up() -> None:
    """One tiny fit, so torch's first-call set-up is not charged to the first system."""
    from autometa.nas import MLPClassifier

    rng = np.random.default_rng(0)
    MLPClassifier(max_epochs=2, random_state=0, device="cpu").fit(
        rng.normal(size=(40, 3)), np.arange(40) % 2
    )


def _evaluate(make, X, y, n_classes: int) -> dict[str, float]:
    from sklearn.base import clone
    from sklearn.metrics import accuracy_score, log_loss
    from sklearn.model_selection import StratifiedKFold

    from autometa.data import TableEncoder

    out = {"auc": [], "acc": [], "logloss": [], "seconds": []}
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
    for train, test in folds.split(np.zeros(len(y)), y):
        enc = TableEncoder().fit(X.iloc[train])
        X_tr, X_te = enc.transform(X.iloc[train]), enc.transform(X.iloc[test])
        model = clone(make())
        start = time.perf_counter()
        model.fit(X_tr, y[train])
        raw = model.predict_proba(X_te)
        out["seconds"].append(time.perf_counter() - start)
        proba = np.zeros((len(test), n_classes))
        proba[:, np.asarray(model.classes_, dtype=int)] = raw
        out["auc"].append(_auc(y[test], proba))
        out["acc"].append(accuracy_score(y[test], proba.argmax(axis=1)))
        clipped = np.clip(proba, 1e-15, 1.0)
        clipped /= clipped.sum(axis=1, keepdims=True)
        out["logloss"].append(log_loss(y[test], clipped, labels=np.arange(n_classes)))
    return {k: float(np.mean(v)) for k, v in out.items()}


def bench_quality(
    names: list[str] | None, min_rows: int, max_rows: int, count: int, n_random: int
) -> None:
    manifest = pd.read_csv(DATASETS / "manifest.csv")
    if names:
        chosen = manifest[manifest["name"].isin(names)]
    else:
        pool = manifest[manifest["n_rows"].between(min_rows, max_rows)].reset_index(drop=True)
        step = max(1, len(pool) // count)
        chosen = pool.iloc[::step].head(count)
    systems = _systems(n_random)
    _warm_up()
    print(
        f"(b) 3-fold stratified CV ROC AUC, seed 0, {len(chosen)} datasets"
        + ("" if names else f" (every {step}th of the {len(pool)} with {min_rows}-{max_rows} rows)")
    )
    short = {
        s: s.replace("mlp ", "").replace("random forest", "rf").replace("logistic reg", "logreg")
        for s in systems
    }
    print(f"{'dataset':<26}{'rows':>6}{'K':>4}" + "".join(f"{short[s]:>9}" for s in systems))
    results: dict[str, dict[str, dict[str, float]]] = {}
    for _, row in chosen.iterrows():
        X, y = _load(row)
        n_classes = int(y.max()) + 1
        res = {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for name, make in systems.items():
                res[name] = _evaluate(make, X, y, n_classes)
        results[row["name"]] = res
        print(
            f"{row['name'][:25]:<26}{len(y):>6}{n_classes:>4}"
            + "".join(f"{res[s]['auc']:>9.4f}" for s in systems),
            flush=True,
        )
    _summary(results, list(systems))


def _summary(results: dict, systems: list[str]) -> None:
    auc = pd.DataFrame({d: {s: r[s]["auc"] for s in systems} for d, r in results.items()}).T
    ranks = auc.rank(axis=1, ascending=False).mean()
    span = (auc.max(axis=1) - auc.min(axis=1)).replace(0.0, np.nan)
    norm = auc.sub(auc.min(axis=1), axis=0).div(span, axis=0).fillna(1.0).mean()
    print()
    print(f"{'system':<16}{'AUC':>8}{'acc':>8}{'logloss':>9}{'rank':>7}{'norm':>7}{'fit s':>8}")
    for s in systems:
        mean = {
            k: np.mean([r[s][k] for r in results.values()]) for k in ("acc", "logloss", "seconds")
        }
        print(
            f"{s:<16}{auc[s].mean():>8.4f}{mean['acc']:>8.4f}{mean['logloss']:>9.4f}"
            f"{ranks[s]:>7.2f}{norm[s]:>7.3f}{mean['seconds']:>8.2f}"
        )
    print()
    print("mlp default vs   wins  ties  losses   (ROC AUC, tie if |diff| < 0.001)")
    for other in systems[1:]:
        diff = auc["mlp default"] - auc[other]
        w, t = int((diff >= 0.001).sum()), int((diff.abs() < 0.001).sum())
        print(f"{other:<16}{w:>6}{t:>6}{len(diff) - w - t:>8}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["speed", "quality", "all"], default="all")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--datasets", nargs="*", help="manifest names (default: a spread subset)")
    parser.add_argument("--min-rows", type=int, default=100)
    parser.add_argument("--max-rows", type=int, default=1000)
    parser.add_argument("--count", type=int, default=12, help="number of datasets in the subset")
    parser.add_argument("--random-configs", type=int, default=3)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    if args.part in ("speed", "all"):
        bench_speed(args.repeats, args.epochs)
    if args.part in ("quality", "all"):
        bench_quality(args.datasets, args.min_rows, args.max_rows, args.count, args.random_configs)


if __name__ == "__main__":
    main()
