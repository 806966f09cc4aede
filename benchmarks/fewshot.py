"""Tiny-data benchmark of the few-shot learner (see BENCHMARK.md, "Tiny data").

Tasks: corpus datasets with <= 200 rows (repeated stratified 2/3-1/3 splits), and larger
ones subsampled (stratified) to 32, 64 and 128 training rows, scored on the remaining rows
(at most --max-test of them). Datasets the shipped weights saw in meta-training (or used
for validation) are reported separately from the held-out ones.

    python benchmarks/fewshot.py                       # full run, writes docs/fewshot.md
    python benchmarks/fewshot.py --repeats 2 --max-datasets 8 --no-write   # quick run

With ``--methods maml,fomaml,...`` the meta-learning methods of
:mod:`autometa.fewshot.methods` join as systems ``fewshot-<method>`` (weights from
``--method-weights``), and a comparison table with fit and predict times is printed and
written to the "Meta-learning methods" block of docs/fewshot.md (the main block is then
left alone).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402

from autometa.fewshot import FewShotClassifier, load_weights  # noqa: E402
from autometa.fewshot._arff import load_dataset  # noqa: E402
from autometa.fewshot.classifier import PRECISIONS, _resolve_precision  # noqa: E402
from autometa.fewshot.family import METHOD as FEWSHOT_METHOD  # noqa: E402

SMALL = 200
SIZES = (32, 64, 128)


def _preprocessor(X: pd.DataFrame):
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    cats = [c for c in X.columns if isinstance(X[c].dtype, pd.CategoricalDtype)]
    nums = [c for c in X.columns if c not in cats]
    return ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(strategy="median", keep_empty_features=True),
                              StandardScaler()), nums),
        ("cat", OneHotEncoder(handle_unknown="ignore"), cats),
    ])


def _objectify(X: pd.DataFrame) -> pd.DataFrame:
    out = X.copy()
    for c in out.columns:
        if isinstance(out[c].dtype, pd.CategoricalDtype):
            out[c] = out[c].astype("object").where(out[c].notna(), np.nan)
    return out


def _weights_for(method: str, weights):
    """``--weights`` are the in-context model's (a path), or the parts' of a combined method
    (a dict such as ``{"icl": path, "fomaml": path}``, see ``--fomaml-weights``)."""
    from autometa.fewshot.classifier import COMBINED

    parts = weights if isinstance(weights, dict) else {"icl": weights}
    parts = {k: v for k, v in parts.items() if v is not None}
    if method in COMBINED:
        return {k: v for k, v in parts.items() if k in COMBINED[method]} or None
    return parts.get(method)


def make_systems(with_automl: bool, time_budget: float, weights=None,
                 search_only: bool = False, method: str = "icl", precision: str = "auto") -> dict:
    from lightgbm import LGBMClassifier
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    def fewshot(X, seed):
        return FewShotClassifier(method=method, random_state=seed, precision=precision,
                                 weights=_weights_for(method, weights)), X

    def logreg(X, seed):
        return make_pipeline(_preprocessor(X), LogisticRegression(max_iter=2000)), _objectify(X)

    def rf(X, seed):
        model = RandomForestClassifier(random_state=seed, n_jobs=1)
        return make_pipeline(_preprocessor(X), model), _objectify(X)

    def lgbm(X, seed):  # LightGBM rejects some characters in feature names
        renamed = X.set_axis([f"f{i}" for i in range(X.shape[1])], axis=1)
        return LGBMClassifier(random_state=seed, n_jobs=1, verbose=-1), renamed

    systems = {"fewshot": fewshot, "logreg": logreg, "rf": rf, "lightgbm": lgbm}
    if with_automl:
        def automl(X, seed, dataset=None):
            from autometa import AutoMetaClassifier

            extra = {"fewshot": False} if search_only else {}
            # the search's prior never saw the dataset it is scored on
            prior = lodo_prior(dataset) if dataset else "default"
            model = AutoMetaClassifier(
                time_budget=time_budget, random_state=seed, prior=prior, **extra
            )
            return model, X

        label = "autometa-search" if search_only else "autometa"
        systems[f"{label}-{time_budget:g}s"] = automl
    return systems


def lodo_prior(dataset: str) -> str:
    """The prior re-fitted without ``dataset``'s evaluations (cached in runs/lodo-priors)."""
    _common.build_priors([dataset], _common.snapshot_store(False), "knn")  # quiet itself
    return str(_common.LODO / dataset)


def automl_available(time_budget: float) -> str | None:
    """None when AutoMetaClassifier fits; otherwise the reason it is skipped."""
    try:
        from autometa import AutoMetaClassifier
    except Exception as exc:  # noqa: BLE001
        return f"autometa.AutoMetaClassifier is not importable ({exc.__class__.__name__}: {exc})"
    try:
        rng = np.random.default_rng(0)
        X = pd.DataFrame(rng.normal(size=(40, 3)), columns=["a", "b", "c"])
        y = (X["a"] > 0).astype(int)
        AutoMetaClassifier(time_budget=min(time_budget, 3), random_state=0).fit(X, y)
    except Exception as exc:  # noqa: BLE001
        return f"AutoMetaClassifier.fit failed ({exc.__class__.__name__}: {exc})"
    return None


def stratified_take(y: np.ndarray, n_take: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of a stratified sample of n_take rows (every class once when possible)."""
    classes, counts = np.unique(y, return_counts=True)
    share = counts / counts.sum() * n_take
    take = np.maximum(np.floor(share).astype(int), 1 if n_take >= len(classes) else 0)
    take = np.minimum(take, counts)
    while take.sum() < n_take:
        room = np.flatnonzero(take < counts)
        take[room[np.argmax((share - take)[room])]] += 1
    while take.sum() > n_take:
        take[np.argmax(take)] -= 1
    idx = [rng.choice(np.flatnonzero(y == c), size=t, replace=False)
           for c, t in zip(classes, take, strict=True)]
    return np.sort(np.concatenate(idx))


def score(model, X_te, y_te, classes_all) -> tuple[float, float]:
    return score_proba(model.predict_proba(X_te), model.classes_, y_te, classes_all)


def score_proba(proba, classes, y_te, classes_all) -> tuple[float, float]:
    """ROC AUC (one-vs-rest macro over the classes present) and accuracy of probabilities
    whose columns are ``classes``."""
    from sklearn.metrics import accuracy_score, roc_auc_score

    full = np.zeros((len(y_te), len(classes_all)))
    cols = np.searchsorted(classes_all, classes)
    full[:, cols] = proba
    present = np.unique(y_te)
    acc = accuracy_score(y_te, classes_all[np.argmax(full, axis=1)])
    if len(present) == 2:
        p = full[:, present[1]] / np.maximum(full[:, present].sum(1), 1e-12)
        return float(roc_auc_score(y_te == present[1], p)), acc
    sub = full[:, present] + 1e-12
    sub /= sub.sum(1, keepdims=True)
    return float(roc_auc_score(y_te, sub, multi_class="ovr", average="macro",
                               labels=present)), acc


def tasks_for(name: str, n_rows: int) -> list:
    """``(name, size)`` tasks of a dataset: used whole when small, else subsampled to each
    size that leaves at least 10 rows to score."""
    if n_rows <= SMALL:
        return [(name, "all")]
    return [(name, s) for s in SIZES if n_rows - s >= 10]


def task_split(y: np.ndarray, size, repeat: int, max_test: int):
    """Training and scored rows of one repeat of a task; None when either has one class."""
    rng = np.random.default_rng(1000 + repeat)
    tr = stratified_take(y, int(round(len(y) * 2 / 3)) if size == "all" else int(size), rng)
    te = np.setdiff1d(np.arange(len(y)), tr)
    if len(te) > max_test:
        te = np.sort(rng.choice(te, size=max_test, replace=False))
    if len(np.unique(y[te])) < 2 or len(np.unique(y[tr])) < 2:
        return None
    return tr, te


def paired(d: pd.Series, tie: float = 0.002) -> tuple[int, int, int, float]:
    """Wins, ties (within ``tie``) and losses of per-task differences, and the Wilcoxon
    signed-rank p-value of the non-zero ones (NaN with fewer than 6)."""
    from scipy.stats import wilcoxon

    nonzero = d[d != 0]
    p = wilcoxon(nonzero).pvalue if len(nonzero) >= 6 else float("nan")
    return int((d > tie).sum()), int((d.abs() <= tie).sum()), int((d < -tie).sum()), p


def run_task(X, y, size, repeats, systems, max_test, automl_repeats, dataset=None,
             automl_from=0):
    classes_all = np.unique(y)
    rows = []
    for r in range(repeats):
        split = task_split(y, size, r, max_test)
        if split is None:
            continue
        tr, te = split
        for sys_name, make in systems.items():
            if sys_name.startswith("autometa") and not automl_from <= r < automl_repeats:
                continue
            auto = sys_name.startswith("autometa")
            model, Xs = make(X, r, dataset) if auto else make(X, r)
            t0 = time.perf_counter()
            fit_s = float("nan")
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    model.fit(Xs.iloc[tr], y[tr])
                    fit_s = time.perf_counter() - t0
                    auc, acc = score(model, Xs.iloc[te], y[te], classes_all)
            except Exception as exc:  # noqa: BLE001 - a failure is a result too
                print(f"  {sys_name} failed: {exc.__class__.__name__}: {exc}", flush=True)
                auc = acc = float("nan")
            seconds = time.perf_counter() - t0
            rows.append({"system": sys_name, "repeat": r, "auc": auc, "acc": acc,
                         "seconds": seconds, "fit_s": fit_s, "predict_s": seconds - fit_s})
    return rows


def time_predict(n_query=1000, n_support=128, n_features=10, repeats=7, weights=None,
                 method="icl", precision="auto") -> dict:
    """Median wall time of predict_proba (1 thread) at ``precision``, and, when that is not
    float32 on this machine, float32's in the same run (the calls alternate)."""
    from sklearn.datasets import make_classification

    X, y = make_classification(n_query + n_support, n_features, random_state=0)
    resolved = _resolve_precision(precision, "cpu")
    kinds = {"": precision} if resolved is None else {"": precision, "float32_": "float32"}
    clfs = {}
    for key, prec in kinds.items():
        clf = FewShotClassifier(method=method, random_state=0, n_jobs=1, precision=prec,
                                weights=_weights_for(method, weights))
        t0 = time.perf_counter()
        clf.fit(X[:n_support], y[:n_support])
        clfs[key] = (clf, time.perf_counter() - t0)
        clf.predict_proba(X[n_support:])  # warm-up
    times = {key: [] for key in kinds}
    cpu = []
    for _ in range(repeats):
        for key, (clf, _) in clfs.items():
            t0, c0 = time.perf_counter(), time.process_time()
            clf.predict_proba(X[n_support:])
            times[key].append(time.perf_counter() - t0)
            if key == "":
                cpu.append(time.process_time() - c0)
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    out = {"load": load, "fit_s": clfs[""][1], "cpu_s": float(np.median(cpu)),
           "n_estimators": clfs[""][0].n_estimators, "n_features": n_features,
           "method": method, "precision": precision,
           "dtype": "float32" if resolved is None else str(resolved).removeprefix("torch."),
           "matmul_gflops": matmul_gflops()}
    for key, t in times.items():
        out[f"{key}median_s"], out[f"{key}min_s"] = float(np.median(t)), float(np.min(t))
    return out


def timing_line(t: dict) -> str:
    """One line of :func:`time_predict`'s figures."""
    line = (f"predict_proba 1000 x 128 ({t['dtype']}): median {t['median_s'] * 1000:.1f} ms, "
            f"min {t['min_s'] * 1000:.1f} ms, CPU time {t['cpu_s'] * 1000:.1f} ms "
            f"(n_estimators={t['n_estimators']}); fit {t['fit_s'] * 1000:.1f} ms")
    if "float32_median_s" in t:
        line += (f"; float32 in the same run: median {t['float32_median_s'] * 1000:.1f} ms "
                 f"({t['float32_median_s'] / t['median_s']:.2f}x)")
    return line + (f"; machine: {t['matmul_gflops']:.0f} GFLOP/s on a 1024 x 1024 matrix "
                   f"product; load {t['load']}")


def matmul_gflops(n: int = 1024, repeats: int = 10) -> float:
    """The machine's speed at the moment: float32 GFLOP/s of an n x n matrix product on one
    torch thread (the same machine has measured 1.5x apart at different times)."""
    import torch

    from autometa.fewshot.classifier import _torch_threads

    a, b = torch.randn(n, n), torch.randn(n, n)
    with _torch_threads(1):
        a @ b
        t0 = time.perf_counter()
        for _ in range(repeats):
            a @ b
        return 2 * n**3 * repeats / (time.perf_counter() - t0) / 1e9


def summarise(df: pd.DataFrame) -> pd.DataFrame:
    """Per system: mean AUC/accuracy over tasks and mean rank (ranks per task on mean AUC)."""
    per_task = df.groupby(["task", "system"])[["auc", "acc", "seconds"]].mean().reset_index()
    full = per_task.pivot(index="task", columns="system", values="auc")
    failed = full.isna().any(axis=1)
    if failed.any():
        print(f"{int(failed.sum())} task(s) left out of the ranks (a system failed): "
              + ", ".join(full.index[failed]))
    full = full[~failed]
    ranks = full.rank(axis=1, ascending=False).mean()
    wins = {s: int((full.rank(axis=1, ascending=False)[s] == 1).sum()) for s in full.columns}
    agg = per_task[per_task.task.isin(full.index)].groupby("system").agg(
        auc=("auc", "mean"), acc=("acc", "mean"), seconds=("seconds", "mean"))
    agg["rank"] = ranks
    agg["first_places"] = pd.Series(wins)
    agg["tasks"] = len(full)
    agg = agg.sort_values("rank")
    agg.attrs["ranked"] = list(full.index)  # the tasks of the means and ranks
    return agg


def matched_repeats(df: pd.DataFrame) -> pd.DataFrame | None:
    """``df`` restricted to the (task, repeat) pairs on which an autometa system ran, when it
    ran on fewer repeats than the others (None otherwise): the comparison on equal splits."""
    auto = df[df.system.str.startswith("autometa")]
    if auto.empty:
        return None
    pairs = set(zip(auto.task, auto.repeat, strict=True))
    if len(pairs) == len(set(zip(df.task, df.repeat, strict=True))):
        return None
    return df[[p in pairs for p in zip(df.task, df.repeat, strict=True)]]


def _search_repeats(df: pd.DataFrame) -> str:
    """Which repeats the autometa systems of ``df`` ran on, e.g. ``0-4``."""
    reps = sorted(df[df.system.str.startswith("autometa")].repeat.unique())
    if not reps:
        return "none"
    if reps == list(range(reps[0], reps[-1] + 1)):
        return f"{reps[0]}-{reps[-1]}" if len(reps) > 1 else str(reps[0])
    return ", ".join(map(str, reps))


def _part_metadata(method: str, path) -> dict:
    """The metadata of a method's weights (``path``, else the shipped ones)."""
    from autometa.fewshot.methods import default_weights
    from autometa.fewshot.weights import read_weight_files

    return read_weight_files(path, default=default_weights(method))[1]


def markdown(tables: dict, timing: dict, notes: list, command: str, meta: dict,
             fomaml_meta: dict | None = None) -> str:
    icl = (f"{meta.get('steps')} meta-training steps "
           f"({meta.get('elapsed_s', 0) / 60:.0f} min on one CPU thread)")
    weights = f"Weights: {icl}"
    if fomaml_meta:
        weights = (f"Weights: in-context model {icl}; first-order MAML "
                   f"{fomaml_meta.get('steps')} steps "
                   f"({fomaml_meta.get('elapsed_s', 0) / 60:.0f} min)")
    lines = [f"Command: `{command}`", "", weights + ".", ""]
    header = ["| system | mean ROC AUC | mean accuracy | mean rank | first places | "
              "fit+predict s |", "|---|---|---|---|---|---|"]

    def rows(agg):
        return [f"| {s} | {r.auc:.4f} | {r.acc:.4f} | {r['rank']:.2f} | "
                f"{int(r.first_places)} / {int(r.tasks)} | {r.seconds:.2f} |"
                for s, r in agg.iterrows()]

    for title, (agg, by_size, matched) in tables.items():
        lines += [f"### {title}", "", *header, *rows(agg)]
        if matched is not None:
            lines += ["", f"The same, every system on the repeats the search ran on "
                      f"({matched[1]}) only:", "", *header, *rows(matched[0])]
        lines += ["", "Mean ROC AUC by training-set size (the same tasks):", "",
                  "| size | " + " | ".join(by_size.columns) + " |",
                  "|---|" + "---|" * len(by_size.columns)]
        for size, r in by_size.iterrows():
            lines.append(f"| {size} | " + " | ".join(f"{v:.4f}" for v in r) + " |")
        lines.append("")
    lines += [f"predict_proba of FewShotClassifier(method={timing['method']!r}), "
              f"{timing['n_query']} query rows x {timing['n_support']} support "
              f"rows x {timing['n_features']} features, n_estimators={timing['n_estimators']}, "
              f"precision={timing['precision']!r} ({timing['dtype']} here), "
              f"1 thread: median {timing['median_s'] * 1000:.0f} ms (min "
              f"{timing['min_s'] * 1000:.0f} ms) over 7 calls, median CPU time "
              f"{timing['cpu_s'] * 1000:.0f} ms; "
              + (f"float32 in the same run (calls alternating): median "
                 f"{timing['float32_median_s'] * 1000:.0f} ms; " if "float32_median_s" in timing
                 else "")
              + f"fit {timing['fit_s'] * 1000:.0f} ms; load average {timing['load']}; "
              f"machine speed {timing['matmul_gflops']:.0f} GFLOP/s (1024 x 1024 float32 "
              "matrix product, 1 thread).",
              ""]
    lines += [f"Note: {n}" for n in notes]
    return "\n".join(lines) + "\n"


def method_systems(names: list, template: str | None, notes: list) -> dict:
    """Systems ``fewshot-<method>`` for the meta-learning methods (weights from template)."""
    from autometa.fewshot.methods import METHODS, default_weights

    out = {}
    for m in names:
        if m == "icl":  # the in-context transformer alone (the shipped or --weights weights)
            out["fewshot-icl"] = lambda X, seed: (FewShotClassifier(random_state=seed), X)
            continue
        if m not in METHODS:
            raise SystemExit(f"unknown method {m!r}; expected some of {sorted(METHODS)}")
        if template:
            path = template.format(method=m)
        elif default_weights(m).is_file():
            path = None
        else:
            path = str(ROOT / "runs" / f"fewshot-{m}" / "best.pt")
        _, wmeta = _method_meta(m, path)
        notes.append(f"fewshot-{m}: {wmeta.get('steps')} meta-training steps, "
                     f"{wmeta.get('elapsed_s', 0) / 60:.1f} min on one CPU thread, weights "
                     f"{'shipped' if path is None else path}.")

        def make(X, seed, m=m, path=path):
            return FewShotClassifier(method=m, weights=path, random_state=seed), X

        out[f"fewshot-{m}"] = make
    return out


def _method_meta(method: str, path):
    from autometa.fewshot.methods import load_method

    learner = load_method(method, path)
    return learner, learner.metadata


def methods_markdown(frames: dict, command: str, meta: dict, notes: list) -> str:
    """Table of every system: mean ROC AUC, mean rank, first places, fit and predict s."""
    lines = [f"Command: `{command}`", "",
             f"In-context model (`fewshot`): {meta.get('steps')} meta-training steps "
             f"({meta.get('elapsed_s', 0) / 60:.0f} min on one CPU thread).", ""]
    lines += [f"- {n}" for n in notes] + [""]
    for title, df in frames.items():
        agg = summarise(df)
        times = df.groupby("system")[["fit_s", "predict_s"]].median()
        lines += [f"#### {title}", "",
                  "| system | mean ROC AUC | mean accuracy | mean rank | first places | "
                  "fit s (median) | predict s (median) |", "|---|---|---|---|---|---|---|"]
        for s, r in agg.iterrows():
            lines.append(f"| {s} | {r.auc:.4f} | {r.acc:.4f} | {r['rank']:.2f} | "
                         f"{int(r.first_places)} / {int(r.tasks)} | "
                         f"{times.loc[s, 'fit_s']:.3f} | {times.loc[s, 'predict_s']:.3f} |")
        lines.append("")
    return "\n".join(lines) + "\n"


def _size_key(size: str) -> tuple:
    """Sort key of a task size: row counts in numeric order, then "all"."""
    return (not size.isdigit(), int(size) if size.isdigit() else 0)


def compare(base: str, other: str, system: str = "fewshot") -> str:
    """Paired comparison of two ``--out`` files, per group of datasets and per training-set
    size: mean ROC AUC over the splits (task, repeat) both hold, wins/ties/losses of
    ``other`` (ties within 0.002) and the Wilcoxon signed-rank p-value of the per-task
    differences.

    ``base`` and ``other`` are ``FILE`` or ``FILE:SYSTEM`` (default system: ``system``), so
    two systems of one run can be compared too.
    """
    def load(spec):
        path, _, name = spec.partition(":")
        df = pd.read_csv(path, dtype={"size": str})  # "all" or a row count, in every file
        return df[df.system == (name or system)].set_index(["group", "size", "task", "repeat"]).auc

    # the splits both files scored (the search runs on the first repeat only), per task
    a, b = load(base), load(other)
    both = a.index.intersection(b.index)
    a, b = (v[both].groupby(level=["group", "size", "task"]).mean() for v in (a, b))
    diff = (b - a).dropna()
    lines = []
    for group, d_group in diff.groupby(level="group"):
        by_size = dict(list(d_group.groupby(level="size")))
        order = sorted(by_size, key=_size_key)
        parts = [("all sizes", d_group)] + [(f"size {size}", by_size[size]) for size in order]
        for label, d in parts:
            w, t, lose, p = paired(d)
            lines.append(f"{group}, {label}: {len(d)} tasks, mean ROC AUC "
                         f"{a[d.index].mean():.4f} ({base}) -> {b[d.index].mean():.4f} "
                         f"({other}), difference {d.mean():+.4f}, W/T/L {w}/{t}/{lose}, "
                         f"Wilcoxon p = {p:.3f}")
    return "\n".join(lines)


def write_block(doc: Path, marker: str, block: str) -> None:
    """Replace the text between ``<!-- marker:start -->`` and ``<!-- marker:end -->``."""
    text = doc.read_text()
    start, end = f"<!-- {marker}:start -->", f"<!-- {marker}:end -->"
    if start not in text:
        text = text.rstrip("\n") + f"\n\n{start}\n{end}\n"
    text = re.sub(re.escape(start) + ".*" + re.escape(end),
                  lambda _: f"{start}\n{block}{end}", text, flags=re.S)
    doc.write_text(text)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "datasets"))
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--seen-repeats", type=int, default=None,
                    help="repeats for the datasets seen in meta-training (default: --repeats)")
    ap.add_argument("--max-datasets", type=int, default=None, help="per group (quick runs)")
    ap.add_argument("--datasets", default=None, help="comma-separated names (default: all)")
    ap.add_argument("--max-test", type=int, default=1000, help="cap on scored rows")
    ap.add_argument("--no-automl", action="store_true")
    ap.add_argument("--automl-repeats", type=int, default=1,
                    help="autometa runs on the repeats from --automl-from up to this one, "
                         "excluded (a 10 s fit per task and repeat)")
    ap.add_argument("--automl-from", type=int, default=0,
                    help="first repeat autometa runs on (more repeats of the search in several "
                         "calls; join their --out files with --reuse)")
    ap.add_argument("--automl-on-seen", action="store_true",
                    help="also run autometa on the datasets seen in meta-training")
    ap.add_argument("--time-budget", type=float, default=10.0)
    ap.add_argument("--automl-search-only", action="store_true",
                    help="AutoMetaClassifier(fewshot=False): the search without the few-shot "
                         "learner (by default it takes the tiny training sets, and it is one of "
                         "the search's families)")
    ap.add_argument("--skip-seen", action="store_true", help="skip meta-training datasets")
    ap.add_argument("--only-seen", action="store_true",
                    help="only the datasets seen in meta-training (to choose settings on)")
    ap.add_argument("--systems", default=None,
                    help="comma-separated systems to run (default: all)")
    ap.add_argument("--ecoc-factor", type=int, default=None,
                    help="output-code members factor of FewShotClassifier (default: "
                         "autometa.fewshot.classifier.ECOC_FACTOR)")
    ap.add_argument("--out", default=None,
                    help="write every (task, system, repeat) result to this CSV")
    ap.add_argument("--reuse", default=None, metavar="FILE", nargs="+",
                    help="earlier --out files of the same splits: the systems they have and "
                         "this run does not (see --systems) are taken from them into the tables, "
                         "e.g. to score new weights against the baselines and the search of a "
                         "full run; a (system, task, repeat) in several files keeps the last")
    ap.add_argument("--compare", nargs=2, metavar=("BASE", "OTHER"), default=None,
                    help="compare two --out files (system 'fewshot' unless --systems) and exit")
    ap.add_argument("--weights", default=None, help="weights to benchmark (default: shipped)")
    ap.add_argument("--fomaml-weights", default=None,
                    help="weights of the first-order MAML part of 'icl+fomaml' (default: "
                         "shipped)")
    ap.add_argument("--fewshot-method", default=FEWSHOT_METHOD,
                    help="the learner of the 'fewshot' system (default: the one AutoMetaClassifier "
                         f"uses, {FEWSHOT_METHOD!r})")
    ap.add_argument("--precision", default="auto", choices=PRECISIONS,
                    help="FewShotClassifier(precision=...) of the fewshot system and the timing")
    ap.add_argument("--timing-only", action="store_true",
                    help="only time predict_proba (1000 x 128, 1 thread) and exit")
    ap.add_argument("--no-write", action="store_true", help="do not update docs/fewshot.md")
    ap.add_argument("--doc", default=str(ROOT / "docs" / "fewshot.md"))
    ap.add_argument("--methods", default=None,
                    help="comma-separated meta-learning methods to compare (e.g. "
                         "maml,fomaml,reptile,protonet,relation,siamese)")
    ap.add_argument("--method-weights", default=None,
                    help="weights of the methods, a path template with {method} (default: "
                         "the shipped weights, else runs/fewshot-{method}/best.pt)")
    args = ap.parse_args(argv)
    command = "python benchmarks/fewshot.py " + " ".join(sys.argv[1:] if argv is None else argv)
    if args.compare:
        print(compare(*args.compare, (args.systems or "fewshot").split(",")[0]))
        return 0
    weights = {"icl": args.weights, "fomaml": args.fomaml_weights}
    if args.timing_only:
        print(timing_line(time_predict(weights=weights, method=args.fewshot_method,
                                       precision=args.precision)))
        return 0
    if (args.only_seen or (args.systems and not args.reuse)) and not args.no_write:
        args.no_write = True
        print("NOTE: --only-seen/--systems runs do not write docs/fewshot.md")
    if args.ecoc_factor is not None:
        from autometa.fewshot import classifier

        classifier.ECOC_FACTOR = args.ecoc_factor

    _, meta, _ = load_weights(args.weights)
    seen = set(meta["data"].get("corpus_train", [])) | set(meta["data"].get("corpus_validation",
                                                                            []))
    manifest = pd.read_csv(Path(args.corpus) / "manifest.csv")
    if args.datasets:
        manifest = manifest[manifest.name.isin(args.datasets.split(","))]
    notes = []
    reason = None if args.no_automl else automl_available(args.time_budget)
    if reason:
        notes.append(f"the full autometa search was skipped: {reason}.")
        print("NOTE:", notes[-1])
    systems = make_systems(not args.no_automl and reason is None, args.time_budget, weights,
                           args.automl_search_only, args.fewshot_method, args.precision)
    notes.append(f"fewshot is FewShotClassifier(method={args.fewshot_method!r}).")
    if not args.no_automl and reason is None and not args.automl_search_only:
        from autometa.estimator import FEWSHOT_MAX_ROWS

        notes.append(f"AutoMetaClassifier's default hands training sets of at most "
                     f"{FEWSHOT_MAX_ROWS} rows to the few-shot learner and searches over every "
                     "family, the few-shot learner included, above that; "
                     "--automl-search-only compares with the search without it.")
    method_notes: list = []
    if args.methods:
        systems.update(method_systems(args.methods.split(","), args.method_weights,
                                      method_notes))
    if args.systems:
        unknown = set(args.systems.split(",")) - set(systems)
        if unknown:
            ap.error(f"unknown system(s) {sorted(unknown)}; expected some of {sorted(systems)}")
        systems = {k: v for k, v in systems.items() if k in args.systems.split(",")}
    if not args.no_automl and reason is None:
        notes.append("autometa ran on the held-out datasets only"
                     + (" (and the seen ones)" if args.automl_on_seen else "")
                     + ", on the repeats named below."
                     + " Its prior is re-fitted without the dataset it is scored on "
                     "(leave-one-dataset-out, as in the anytime benchmark).")
    if args.seen_repeats is not None and not args.skip_seen:
        notes.append(f"datasets seen in meta-training: {args.seen_repeats} repeats "
                     f"(held-out: {args.repeats}).")
    reused = None
    if args.reuse:
        reused = pd.concat([pd.read_csv(f, dtype={"size": str}) for f in args.reuse])
        reused = reused.drop_duplicates(["group", "system", "task", "repeat"], keep="last")
        kept = sorted(set(reused.system) - set(systems))
        reused = reused[reused.system.isin(kept)]
        notes.append(f"the rows of {', '.join(kept)} come from earlier runs on the same "
                     f"splits ({', '.join(args.reuse)}); this run scored {', '.join(systems)}.")
    groups = {} if args.only_seen else {"held-out datasets (never seen in meta-training)":
                                         manifest[~manifest.name.isin(seen)]}
    if not args.skip_seen:
        groups["datasets used in meta-training or validation (optimistic for fewshot)"] = (
            manifest[manifest.name.isin(seen)])
    tables, frames, written = {}, {}, []
    for title, sub in groups.items():
        held = title.startswith("held-out")
        group_systems = systems if held or args.automl_on_seen else {
            k: v for k, v in systems.items() if not k.startswith("autometa")}
        if args.max_datasets:
            sub = sub.sort_values("n_rows").iloc[:: max(1, len(sub) // args.max_datasets)]
            sub = sub.iloc[: args.max_datasets]
        results = []
        print(f"\n== {title}: {len(sub)} datasets", flush=True)
        for row in sub.itertuples():
            X, y_raw = load_dataset(Path(args.corpus) / row.file, row.target)
            y = pd.Categorical(y_raw.astype(str)).codes.astype(np.int64)
            for name, size in tasks_for(row.name, len(y)):
                t0 = time.perf_counter()
                reps = args.repeats if held or args.seen_repeats is None else args.seen_repeats
                rows = run_task(X, y, size, reps, group_systems, args.max_test,
                                args.automl_repeats, dataset=row.name,
                                automl_from=args.automl_from)
                for r in rows:
                    r.update(task=f"{name}@{size}", size=str(size))
                results += rows
                means = pd.DataFrame(rows).groupby("system").auc.mean() if rows else {}
                print(f"{name:28s} {str(size):>4s} " + " ".join(
                    f"{s}={v:.3f}" for s, v in dict(means).items())
                    + f"  ({time.perf_counter() - t0:.0f}s)", flush=True)
        df = pd.DataFrame(results)
        if reused is not None:
            old = reused[(reused.group == ("held-out" if held else "seen"))
                         & reused.task.isin(df.task.unique())]
            df = pd.concat([df, old.drop(columns="group")], ignore_index=True)
        reps = _search_repeats(df)
        if reps != "none":
            notes.append(f"{title.split(' (')[0]}: autometa ran on repeat(s) {reps}, the "
                         f"other systems on {df.repeat.nunique()}.")
        if args.out:
            written.append(df.assign(group="held-out" if held else "seen"))
            pd.concat(written).to_csv(args.out, index=False)
        agg = summarise(df)
        by_size = (df[df.task.isin(agg.attrs["ranked"])]
                   .groupby(["size", "system"]).auc.mean().unstack())
        order = sorted(by_size.index, key=_size_key)
        by_size = by_size.loc[order]
        matched = matched_repeats(df)
        if matched is not None:
            matched = (summarise(matched), f"repeat{'s' if '-' in reps or ',' in reps else ''} "
                       f"{reps}")
            print(f"\n{title}, on the search's {matched[1]} only\n"
                  f"{matched[0].round(4).to_string()}")
        tables[title] = (agg, by_size, matched)
        frames[title] = df
        print(f"\n{title}\n{agg.round(4).to_string()}\n\nmean ROC AUC by size\n"
              f"{by_size.round(4).to_string()}")
    timing = time_predict(weights=weights, method=args.fewshot_method, precision=args.precision)
    timing.update(n_query=1000, n_support=128)
    print("\n" + timing_line(timing))
    if args.methods:
        block = methods_markdown(frames, command, meta, method_notes)
        print("\n" + block)
        if not args.no_write:
            write_block(Path(args.doc), "methods-benchmark", block)
            print(f"wrote {args.doc}")
        return 0
    if not args.no_write:
        doc = Path(args.doc)
        empty = "<!-- benchmark:start -->\n<!-- benchmark:end -->\n"
        text = doc.read_text() if doc.exists() else empty
        fomaml_meta = (_part_metadata("fomaml", args.fomaml_weights)
                       if "fomaml" in args.fewshot_method.split("+") else None)
        block = markdown(tables, timing, notes, command, meta, fomaml_meta)
        text = re.sub(r"<!-- benchmark:start -->.*<!-- benchmark:end -->",
                      lambda _: "<!-- benchmark:start -->\n" + block + "<!-- benchmark:end -->",
                      text, flags=re.S)
        doc.write_text(text)
        print(f"wrote {doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
