"""Model families, their hyperparameter spaces, and configurations as scikit-learn pipelines.

A *configuration* is a JSON-serialisable ``{"family": name, "params": {...}}``. Each family
defines its space once, through Optuna's ``trial.suggest_*`` calls; that one definition serves
the search (TPE), the sampling of candidate configurations for meta-training (random sampling)
and the enqueueing of the prior's suggestions (fixed parameters).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.pipeline import Pipeline

from autometa.data import preprocessing

__all__ = [
    "FAMILIES",
    "Family",
    "build_pipeline",
    "config_id",
    "default_configs",
    "family_names",
    "sample_configs",
    "suggest_config",
    "to_trial_params",
]

Params = dict[str, Any]
Config = dict[str, Any]


@dataclass(frozen=True)
class Family:
    """A model family: a space of hyperparameters and how to build the model.

    Attributes
    ----------
    name : str
    suggest : callable
        ``suggest(trial) -> params``, with plain parameter names.
    default : callable
        ``default() -> params``: the library's default, a point of the space.
    build : callable
        ``build(params, *, random_state, n_jobs, device) -> estimator`` taking the typed table.
    max_rows : int or None
        The family is not tried on training sets larger than this (too slow to be useful).
    description : str
    """

    name: str
    suggest: Callable[[Any], Params]
    default: Callable[[], Params]
    build: Callable[..., Any]
    max_rows: int | None = None
    description: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)


# --------------------------------------------------------------------------- LightGBM
def _lgbm_suggest(t) -> Params:
    return {
        "n_estimators": t.suggest_int("n_estimators", 16, 1024, log=True),
        "learning_rate": t.suggest_float("learning_rate", 0.01, 0.3, log=True),
        "num_leaves": t.suggest_int("num_leaves", 4, 256, log=True),
        "min_child_samples": t.suggest_int("min_child_samples", 2, 100, log=True),
        "subsample": t.suggest_float("subsample", 0.5, 1.0),
        "colsample_bytree": t.suggest_float("colsample_bytree", 0.3, 1.0),
        "reg_alpha": t.suggest_float("reg_alpha", 1e-8, 10.0, log=True),
        "reg_lambda": t.suggest_float("reg_lambda", 1e-8, 10.0, log=True),
    }


def _lgbm_default() -> Params:
    # LightGBM's defaults; the regularisation terms' 0.0 is the space's lower bound 1e-8.
    return {
        "n_estimators": 100,
        "learning_rate": 0.1,
        "num_leaves": 31,
        "min_child_samples": 20,
        "subsample": 1.0,
        "colsample_bytree": 1.0,
        "reg_alpha": 1e-8,
        "reg_lambda": 1e-8,
    }


def _lgbm_build(params: Params, *, random_state: int, n_jobs: int, device: str) -> Any:
    from lightgbm import LGBMClassifier

    model = LGBMClassifier(
        **params,
        subsample_freq=1 if params.get("subsample", 1.0) < 1.0 else 0,
        random_state=random_state,
        n_jobs=n_jobs,
        verbosity=-1,
    )
    return Pipeline([("names", preprocessing.safe_names()), ("model", model)])


# --------------------------------------------------------------------------- forests
_MAX_FEATURES = ["sqrt", "log2", "0.25", "0.5", "0.75", "1.0"]


def _forest_suggest(t) -> Params:
    return {
        "n_estimators": t.suggest_int("n_estimators", 50, 500, log=True),
        "criterion": t.suggest_categorical("criterion", ["gini", "entropy"]),
        "max_features": t.suggest_categorical("max_features", _MAX_FEATURES),
        "min_samples_split": t.suggest_int("min_samples_split", 2, 20, log=True),
        "min_samples_leaf": t.suggest_int("min_samples_leaf", 1, 20, log=True),
        "bootstrap": t.suggest_categorical("bootstrap", [True, False]),
    }


def _forest_default(bootstrap: bool) -> Callable[[], Params]:
    def default() -> Params:
        return {
            "n_estimators": 100,
            "criterion": "gini",
            "max_features": "sqrt",
            "min_samples_split": 2,
            "min_samples_leaf": 1,
            "bootstrap": bootstrap,
        }

    return default


def _forest_build(cls_name: str) -> Callable[..., Any]:
    def build(params: Params, *, random_state: int, n_jobs: int, device: str) -> Any:
        from sklearn import ensemble

        p = dict(params)
        mf = p.pop("max_features")
        p["max_features"] = mf if mf in {"sqrt", "log2"} else float(mf)
        model = getattr(ensemble, cls_name)(**p, random_state=random_state, n_jobs=n_jobs)
        return Pipeline([("prep", preprocessing.ordinal()), ("model", model)])

    return build


# --------------------------------------------------------------------------- HistGradientBoosting
def _hgb_suggest(t) -> Params:
    return {
        "learning_rate": t.suggest_float("learning_rate", 0.01, 0.5, log=True),
        "max_iter": t.suggest_int("max_iter", 20, 1000, log=True),
        "max_leaf_nodes": t.suggest_int("max_leaf_nodes", 4, 256, log=True),
        "min_samples_leaf": t.suggest_int("min_samples_leaf", 2, 200, log=True),
        "l2_regularization": t.suggest_float("l2_regularization", 1e-8, 10.0, log=True),
        "max_features": t.suggest_float("max_features", 0.3, 1.0),
    }


def _hgb_default() -> Params:
    return {
        "learning_rate": 0.1,
        "max_iter": 100,
        "max_leaf_nodes": 31,
        "min_samples_leaf": 20,
        "l2_regularization": 1e-8,
        "max_features": 1.0,
    }


def _hgb_build(params: Params, *, random_state: int, n_jobs: int, device: str) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier

    model = HistGradientBoostingClassifier(
        **params, categorical_features="from_dtype", random_state=random_state
    )
    return Pipeline([("prep", preprocessing.HistGradientBoostingPrep()), ("model", model)])


# --------------------------------------------------------------------------- linear, kNN, SVC
def _logreg_suggest(t) -> Params:
    return {
        "C": t.suggest_float("C", 1e-4, 1e4, log=True),
        "class_weight": t.suggest_categorical("class_weight", ["none", "balanced"]),
    }


def _logreg_default() -> Params:
    return {"C": 1.0, "class_weight": "none"}


def _logreg_build(params: Params, *, random_state: int, n_jobs: int, device: str) -> Any:
    from sklearn.linear_model import LogisticRegression

    cw = None if params["class_weight"] == "none" else params["class_weight"]
    model = LogisticRegression(C=params["C"], class_weight=cw, max_iter=1000)
    return Pipeline([("prep", preprocessing.onehot_scaled()), ("model", model)])


def _knn_suggest(t) -> Params:
    return {
        "n_neighbors": t.suggest_int("n_neighbors", 1, 100, log=True),
        "weights": t.suggest_categorical("weights", ["uniform", "distance"]),
        "p": t.suggest_int("p", 1, 2),
    }


def _knn_default() -> Params:
    return {"n_neighbors": 5, "weights": "uniform", "p": 2}


def _knn_build(params: Params, *, random_state: int, n_jobs: int, device: str) -> Any:
    from autometa.models import CappedKNeighborsClassifier

    model = CappedKNeighborsClassifier(**params, n_jobs=n_jobs)
    return Pipeline([("prep", preprocessing.onehot_scaled()), ("model", model)])


def _svc_suggest(t) -> Params:
    return {
        "C": t.suggest_float("C", 1e-3, 1e3, log=True),
        "gamma_scale": t.suggest_float("gamma_scale", 1e-2, 1e2, log=True),
        "kernel": t.suggest_categorical("kernel", ["rbf", "linear"]),
    }


def _svc_default() -> Params:
    # gamma_scale multiplies scikit-learn's gamma="scale"; 1.0 is that default.
    return {"C": 1.0, "gamma_scale": 1.0, "kernel": "rbf"}


def _svc_build(params: Params, *, random_state: int, n_jobs: int, device: str) -> Any:
    from autometa.models import ScaledGammaSVC

    model = ScaledGammaSVC(**params, random_state=random_state)
    return Pipeline([("prep", preprocessing.onehot_scaled()), ("model", model)])


# --------------------------------------------------------------------------- registry
def _builtin_families() -> dict[str, Family]:
    fams = [
        Family(
            "lightgbm",
            _lgbm_suggest,
            _lgbm_default,
            _lgbm_build,
            description="LightGBM gradient-boosted trees, native categoricals",
        ),
        Family(
            "random_forest",
            _forest_suggest,
            _forest_default(True),
            _forest_build("RandomForestClassifier"),
            description="scikit-learn random forest",
        ),
        Family(
            "extra_trees",
            _forest_suggest,
            _forest_default(False),
            _forest_build("ExtraTreesClassifier"),
            description="scikit-learn extra trees",
        ),
        Family(
            "hist_gradient_boosting",
            _hgb_suggest,
            _hgb_default,
            _hgb_build,
            description="scikit-learn HistGradientBoosting, native categoricals",
        ),
        Family(
            "logistic_regression",
            _logreg_suggest,
            _logreg_default,
            _logreg_build,
            description="L2 logistic regression on one-hot, standardised features",
        ),
        Family(
            "knn",
            _knn_suggest,
            _knn_default,
            _knn_build,
            max_rows=50_000,
            description="k-nearest neighbours on one-hot, standardised features",
        ),
        Family(
            "svc",
            _svc_suggest,
            _svc_default,
            _svc_build,
            max_rows=10_000,
            description="support vector machine (RBF or linear kernel) with Platt scaling",
        ),
    ]
    out = {f.name: f for f in fams}
    for loader in (_mlp_family, _fewshot_family):
        fam = loader()
        if fam is not None:
            out[fam.name] = fam
    return out


def _mlp_family() -> Family | None:
    try:
        from autometa.nas.family import MLP_FAMILY
    except ImportError:
        return None
    return Family(
        MLP_FAMILY.name,
        MLP_FAMILY.suggest,
        MLP_FAMILY.default,
        MLP_FAMILY.build,
        max_rows=getattr(MLP_FAMILY, "max_rows", None),
        description="torch MLP from a small architecture search",
        tags=("torch",),
    )


def _fewshot_family() -> Family | None:
    try:
        from autometa.fewshot.family import FEWSHOT_FAMILY
    except ImportError:
        return None
    return Family(
        FEWSHOT_FAMILY.name,
        FEWSHOT_FAMILY.suggest,
        FEWSHOT_FAMILY.default,
        FEWSHOT_FAMILY.build,
        max_rows=getattr(FEWSHOT_FAMILY, "max_rows", 2000),
        description="meta-trained in-context few-shot learner",
        tags=("torch",),
    )


FAMILIES: dict[str, Family] = _builtin_families()


def family_names(n_rows: int | None = None, include: Iterable[str] | None = None) -> list[str]:
    """Names of the families applicable to a training set of ``n_rows`` rows, in a fixed order."""
    names = list(FAMILIES) if include is None else list(include)
    unknown = [n for n in names if n not in FAMILIES]
    if unknown:
        raise ValueError(
            f"Unknown model families {unknown}. Expected names among {sorted(FAMILIES)}."
        )
    if n_rows is None:
        return names
    return [n for n in names if FAMILIES[n].max_rows is None or n_rows <= FAMILIES[n].max_rows]


class _Prefixed:
    """An Optuna trial seen through a family: ``suggest_*("C")`` asks for ``"svc:C"``."""

    def __init__(self, trial: Any, prefix: str) -> None:
        self._trial, self._prefix = trial, prefix

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._trial, name)
        if not name.startswith("suggest_"):
            return method

        def suggest(param: str, *args: Any, **kwargs: Any) -> Any:
            return method(f"{self._prefix}:{param}", *args, **kwargs)

        return suggest


def suggest_config(trial: Any, families: list[str]) -> Config:
    """Draw a configuration from an Optuna trial over the given families."""
    family = trial.suggest_categorical("family", families)
    params = FAMILIES[family].suggest(_Prefixed(trial, family))
    return {"family": family, "params": _jsonable(params)}


def to_trial_params(config: Config) -> dict[str, Any]:
    """The flat Optuna parameters of a configuration, for ``study.enqueue_trial``."""
    fam = config["family"]
    return {"family": fam, **{f"{fam}:{k}": v for k, v in config["params"].items()}}


def build_pipeline(
    config: Config, *, random_state: int = 0, n_jobs: int = 1, device: str = "cpu"
) -> Any:
    """Build the unfitted estimator of a configuration (preprocessing + model)."""
    fam = config.get("family")
    if fam not in FAMILIES:
        raise ValueError(f"Unknown model family {fam!r}. Expected one of {sorted(FAMILIES)}.")
    return FAMILIES[fam].build(
        dict(config["params"]), random_state=random_state, n_jobs=n_jobs, device=device
    )


def config_id(config: Config) -> str:
    """A short, stable identifier of a configuration (a hash of its canonical JSON)."""
    text = json.dumps(_jsonable(config), sort_keys=True, separators=(",", ":"))
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def default_configs(families: Iterable[str] | None = None) -> list[Config]:
    """Each family's default configuration."""
    return [
        {"family": n, "params": _jsonable(FAMILIES[n].default())}
        for n in family_names(include=families)
    ]


def sample_configs(
    n: int, *, random_state: int = 0, families: Iterable[str] | None = None
) -> list[Config]:
    """About ``n`` distinct configurations: each family's default, then random draws.

    Every family gets ``ceil(n / n_families)`` configurations from its own random stream
    (seeded by ``random_state`` and the family's name), so adding a family to the space adds its
    configurations without changing anyone else's. The draws use the same ``suggest`` code as
    the search, so candidates are points of the search space.
    """
    import zlib

    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    names = family_names(include=families)
    per_family = -(-n // max(1, len(names)))
    by_family: list[list[Config]] = []
    for fam in names:
        seed = (random_state * 1_000_003 + zlib.crc32(fam.encode())) % (2**31)
        study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
        configs = [{"family": fam, "params": _jsonable(FAMILIES[fam].default())}]
        seen = {config_id(configs[0])}
        for _ in range(50 * per_family):
            if len(configs) >= per_family:
                break
            trial = study.ask()
            cfg = {"family": fam, "params": _jsonable(FAMILIES[fam].suggest(_Prefixed(trial, fam)))}
            study.tell(trial, 0.0)
            if config_id(cfg) not in seen:
                seen.add(config_id(cfg))
                configs.append(cfg)
        by_family.append(configs[:per_family])
    # Interleave so that any prefix of the list covers the families evenly.
    out: list[Config] = []
    for i in range(per_family):
        out.extend(group[i] for group in by_family if i < len(group))
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value
