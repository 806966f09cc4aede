"""The systems compared by ``benchmarks/anytime.py`` and how their predictions are scored.

Each ``run_*`` function fits one system on a training split with one thread and returns the
fitted model (with ``predict_proba`` and ``classes_``) and a dict of extra figures.
"""

from __future__ import annotations

import tempfile
import time
import warnings

import numpy as np
import pandas as pd


def plain_names(X: pd.DataFrame, y):
    """Columns renamed c0, c1, ... for every system (LightGBM rejects names with JSON special
    characters, which FLAML and plain LightGBM pass through)."""
    return X.set_axis([f"c{i}" for i in range(X.shape[1])], axis=1), y


def align(proba, classes, k: int) -> np.ndarray:
    proba = np.asarray(proba, dtype=float)
    out = np.zeros((proba.shape[0], k))
    out[:, np.asarray(classes).astype(int)] = proba
    s = out.sum(1, keepdims=True)
    return np.where(s > 0, out / np.where(s > 0, s, 1), 1.0 / k)


def auc(y: np.ndarray, proba: np.ndarray) -> float:
    """ROC AUC; one-vs-rest macro over the classes present in ``y`` for multiclass."""
    from sklearn.metrics import roc_auc_score

    present = np.unique(y)
    if len(present) < 2:
        return float("nan")
    if proba.shape[1] == 2:
        return float(roc_auc_score(y, proba[:, 1]))
    p = proba[:, present] / np.clip(proba[:, present].sum(1, keepdims=True), 1e-15, None)
    yy = np.searchsorted(present, y)
    return float(
        roc_auc_score(yy, p[:, 1])
        if len(present) == 2
        else roc_auc_score(yy, p, multi_class="ovr", average="macro")
    )


def metrics(y: np.ndarray, proba: np.ndarray) -> dict:
    from sklearn.metrics import log_loss

    k = proba.shape[1]
    return {
        "roc_auc": auc(y, proba),
        "accuracy": float((proba.argmax(1) == y).mean()),
        "log_loss": float(log_loss(y, np.clip(proba, 1e-15, 1), labels=np.arange(k))),
    }


def cv_score(metric: str, y: np.ndarray, proba: np.ndarray) -> float:
    from sklearn.metrics import log_loss

    if metric == "log_loss":
        return -float(log_loss(y, np.clip(proba, 1e-15, 1), labels=np.arange(proba.shape[1])))
    return auc(y, proba)


def _prep(kind: str):
    from sklearn.compose import ColumnTransformer, make_column_selector
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

    cat, num = (
        make_column_selector(dtype_include="category"),
        make_column_selector(dtype_exclude="category"),
    )
    if kind == "onehot":
        return ColumnTransformer(
            [
                (
                    "num",
                    make_pipeline(
                        SimpleImputer(strategy="median", keep_empty_features=True), StandardScaler()
                    ),
                    num,
                ),
                ("cat", OneHotEncoder(handle_unknown="ignore"), cat),
            ]
        )
    return ColumnTransformer(
        [
            ("num", "passthrough", num),
            ("cat", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1), cat),
        ]
    )


def run_default(system: str, Xtr, ytr):
    from sklearn.pipeline import make_pipeline

    if system == "flaml_zeroshot":
        from flaml.default import LGBMClassifier as ZeroShot

        return ZeroShot(n_jobs=1).fit(Xtr, ytr), {}
    if system == "lightgbm":
        from lightgbm import LGBMClassifier

        return LGBMClassifier(n_jobs=1, verbosity=-1, random_state=0).fit(Xtr, ytr), {}
    if system == "random_forest":
        from sklearn.ensemble import RandomForestClassifier

        model = make_pipeline(_prep("ordinal"), RandomForestClassifier(n_jobs=1, random_state=0))
        return model.fit(Xtr, ytr), {}
    from sklearn.linear_model import LogisticRegression

    model = make_pipeline(_prep("onehot"), LogisticRegression(max_iter=2000))
    return model.fit(Xtr, ytr), {}


def _stop_idle_worker() -> None:
    """Stop the reusable trial worker process a previous fit left idle, so every fit starts as
    a user's first fit does (warm and cold start alike pay for starting it)."""
    from joblib.externals.loky import reusable_executor

    executor = getattr(reusable_executor, "_executor", None)
    if executor is not None:
        executor.shutdown(wait=True, kill_workers=True)


def run_autometa(Xtr, ytr, budget: float, prior, seed: int = 0) -> tuple:
    from autometa import AutoMetaClassifier

    _stop_idle_worker()
    t0, seen = time.monotonic(), []
    clf = AutoMetaClassifier(
        time_budget=budget,
        prior=prior,
        random_state=seed,
        n_jobs=1,
        callback=lambda r: seen.append((r.number, time.monotonic() - t0)),
    )
    clf.fit(Xtr, ytr)
    lb = clf.leaderboard_.copy()
    lb["elapsed"] = lb["trial"].map(dict(seen))  # seconds since fit() started
    extra = {
        "n_trials": len(lb),
        "val_score": clf.best_score_,
        "curve": lb,
        "info": f"best={clf.best_config_['family']} "
        + " ".join(f"{k}={v:.1f}" for k, v in getattr(clf, "timings_", {}).items()),
    }
    return clf, extra


def run_optuna_lgbm(Xtr, ytr, budget: float, metric: str, k: int) -> tuple:
    """A plain Optuna TPE loop over LightGBM with stratified CV, stopped at the budget."""
    import optuna
    from lightgbm import LGBMClassifier
    from sklearn.model_selection import StratifiedKFold

    from autometa.space import FAMILIES

    start = time.monotonic()
    deadline = start + budget
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    n_splits = int(max(2, min(5 if len(ytr) <= 5000 else 3, np.bincount(ytr).min())))
    splits = list(StratifiedKFold(n_splits, shuffle=True, random_state=0).split(Xtr, ytr))
    fold_time: dict[int, float] = {}

    def make(p: dict) -> LGBMClassifier:
        return LGBMClassifier(**p, subsample_freq=1, n_jobs=1, verbosity=-1, random_state=0)

    def objective(trial: optuna.Trial) -> float:
        p = FAMILIES["lightgbm"].suggest(trial)  # autometa's LightGBM ranges
        oof, t = np.zeros((len(ytr), k)), time.monotonic()
        for tr, va in splits:
            if time.monotonic() > deadline:
                raise optuna.TrialPruned("out of time")
            m = make(p).fit(Xtr.iloc[tr], ytr[tr])
            oof[va] = align(m.predict_proba(Xtr.iloc[va]), m.classes_, k)
        fold_time[trial.number] = (time.monotonic() - t) / len(splits)
        return cv_score(metric, ytr, oof)

    def stop(study: optuna.Study, _t) -> None:
        done = [t for t in study.trials if t.value is not None]
        refit = 1.5 * fold_time[study.best_trial.number] * n_splits / (n_splits - 1) if done else 0
        if time.monotonic() + refit >= deadline:
            study.stop()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study = optuna.create_study(
            direction="maximize", sampler=optuna.samplers.TPESampler(seed=0)
        )
        study.optimize(objective, timeout=budget, callbacks=[stop], catch=(Exception,))
    done = [t for t in study.trials if t.value is not None]
    model = make(study.best_params).fit(Xtr, ytr)
    return model, {
        "n_trials": len(study.trials),
        "val_score": study.best_value,
        "info": f"completed={len(done)}",
    }


def run_flaml(Xtr, ytr, budget: float, metric: str) -> tuple:
    from flaml.automl import AutoML

    automl = AutoML()
    automl.fit(
        Xtr,
        ytr,
        task="classification",
        time_budget=budget,
        metric=metric,
        n_jobs=1,
        verbose=0,
        seed=0,
    )
    return automl, {
        "n_trials": len(getattr(automl, "config_history", {}) or {}),
        "info": f"best={automl.best_estimator}",
    }


def run_autogluon_cell(spec: dict, load) -> dict:
    """Inside ``.venv-bench``: fit and score one AutoGluon cell (printed as JSON)."""
    from autogluon.tabular import TabularPredictor

    X, y = plain_names(*load(spec["dataset"]))
    classes = spec["classes"]
    yi = pd.Series(y).astype(str).map({c: i for i, c in enumerate(classes)}).to_numpy()
    tr, te = np.asarray(spec["train"]), np.asarray(spec["test"])
    train = X.iloc[tr].reset_index(drop=True).assign(__label__=yi[tr])
    k = len(classes)
    with tempfile.TemporaryDirectory() as tmp:
        t = time.monotonic()
        pred = TabularPredictor(
            label="__label__",
            problem_type="binary" if k == 2 else "multiclass",
            eval_metric="roc_auc" if k == 2 else "log_loss",
            path=tmp,
            verbosity=0,
        ).fit(train, time_limit=spec["budget"], presets="medium_quality", num_cpus=1, num_gpus=0)
        fit_time = time.monotonic() - t
        t = time.monotonic()
        proba = pred.predict_proba(X.iloc[te].reset_index(drop=True))
        predict_time = time.monotonic() - t
        p = align(proba.to_numpy(), [int(c) for c in proba.columns], k)
        models = pred.model_names()
        info = f"best={pred.model_best}; models={len(models)}"
    return {
        **metrics(yi[te], p),
        "fit_time": fit_time,
        "predict_time": predict_time,
        "n_trials": len(models),
        "info": info,
    }
