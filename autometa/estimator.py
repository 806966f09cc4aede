"""AutoMetaClassifier: meta-features, prior, warm-started search, refit (orchestration only)."""

from __future__ import annotations

import logging
import math
import numbers
import time
import warnings
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.validation import check_is_fitted, validate_data
from threadpoolctl import threadpool_limits

from autometa import space
from autometa.data import TableEncoder, check_target, to_frame
from autometa.exceptions import AutoMetaError, SearchError
from autometa.search import (
    EnsembleClassifier,
    greedy_ensemble,
    make_splits,
    resolve_metric,
    run_search,
)
from autometa.search.evaluation import check_cv_possible
from autometa.search.storage import data_fingerprint

__all__ = ["FEWSHOT_MAX_ROWS", "AutoMetaClassifier"]

#: Training sets with at most this many rows go to the few-shot learner when
#: ``fewshot="auto"`` (set from ``benchmarks/fewshot.py``; see docs/fewshot.md).
FEWSHOT_MAX_ROWS = 200

logger = logging.getLogger("autometa")


class AutoMetaClassifier(ClassifierMixin, BaseEstimator):
    """A classifier that searches model families, warm-started by a meta-learned prior.

    ``fit`` types the table, describes it with meta-features, asks the prior which
    configurations worked on similar tasks, evaluates those first in an Optuna study, lets TPE
    continue until the time budget or trial count is spent, and refits the best configuration
    (or a greedy ensemble of the best) on all the data.

    Parameters
    ----------
    time_budget : float, default=60.0
        Wall-clock seconds for the whole of ``fit``, final refit included.
    n_trials : int or None, default=None
        Stop after this many trials (whichever of this and ``time_budget`` comes first).
    metric : {"auto", "roc_auc", "log_loss", "accuracy", "balanced_accuracy"}, default="auto"
        What the search maximises. ``"auto"``: ROC AUC for binary, log loss for multiclass.
    cv : int, default=5
        Folds of stratified cross-validation per trial (3 folds above 5,000 rows, one
        holdout split above 20,000 rows).
    families : list of str or None, default=None
        Model families to search (see ``autometa.space.FAMILIES``); ``None`` means all.
    ensemble : bool, default=True
        Return a greedy ensemble (Caruana et al.) of the best trials instead of the single best.
    prior : "default", str, path or None, default="default"
        The meta-learned prior that warm-starts the search: the one shipped with the package,
        a path to one built with ``autometa meta-train``, or ``None`` for a cold start (each
        family's library default first, then TPE).
    n_suggestions : int or None, default=None
        How many of the prior's suggestions to evaluate first; ``None`` adapts to the budget.
    fewshot : {"auto", True, False}, default="auto"
        The meta-trained few-shot learner (an in-context transformer). ``"auto"``: it is the
        model for training sets of at most ``FEWSHOT_MAX_ROWS`` rows (no search then: one
        cross-validated trial reports its score), and one family among the others on larger
        data. ``True``: always the model. ``False``: never used.
    random_state : int, numpy Generator or None, default=None
    n_jobs : int, default=1
        Threads for each model fit.
    device : {"auto", "cpu", "cuda"}, default="auto"
        Where torch families run; ``"auto"`` picks CUDA when available.
    storage : str or None, default=None
        An Optuna storage URL (``sqlite:///study.db``) to persist the study; ``None`` keeps it
        in memory.
    study_name : str or None, default=None
        Study name within ``storage`` (a shared study lets several workers search together).
    isolation : {"auto", "process", "none"}, default="auto"
        Where trials are fitted. ``"process"``: in a reusable worker process that is stopped
        when a trial passes its time limit (half the budget, at least 5 s) or ``memory_limit``,
        so no single configuration can hang the search or exhaust memory. ``"none"``: in this
        process (the limits are checked between folds only). ``"auto"``: a worker process
        when ``time_budget >= 30`` or the table has over 200,000 cells, else in-process, where
        starting a worker would cost a noticeable share of a small budget.
    memory_limit : float, "auto" or None, default="auto"
        Megabytes a trial's worker process may use (with process isolation). ``"auto"``:
        half of the machine's memory.
    callback : callable or None, default=None
        Called with each finished trial's :class:`autometa.search.TrialRecord` (progress bars).
    verbose : int, default=0
        Log progress at INFO level when > 0.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Defined when ``X`` has string column names.
    best_config_ : dict
        The best configuration ``{"family": ..., "params": {...}}``.
    best_score_ : float
        Its cross-validated score (log loss is negated: higher is better).
    leaderboard_ : DataFrame
        One row per trial: family, source (prior/default/tpe), state, score, times, params.
    study_ : optuna.Study
    model_ : Pipeline
        The fitted table encoder and model (or ensemble).
    ensemble_weights_ : dict
        Trial number -> weight of the final ensemble (a single entry without ensembling).
    meta_features_ : dict or None
        The meta-features the prior was asked with.
    suggestions_ : list of dict
        The prior's suggestions that were enqueued.
    metric_ : str
    fit_time_ : float
    fewshot_used_ : bool
        Whether the few-shot learner is the model (the tiny-data rule or ``fewshot=True``).
    interrupted_ : bool
        True when the search was stopped by ``KeyboardInterrupt``; the model is then built
        from the trials that had finished.
    """

    def __init__(
        self,
        time_budget: float = 60.0,
        n_trials: int | None = None,
        metric: str = "auto",
        cv: int = 5,
        families: list[str] | None = None,
        ensemble: bool = True,
        prior: Any = "default",
        n_suggestions: int | None = None,
        fewshot: Any = "auto",
        random_state: Any = None,
        n_jobs: int = 1,
        device: str = "auto",
        storage: str | None = None,
        study_name: str | None = None,
        isolation: str = "auto",
        memory_limit: Any = "auto",
        callback: Any = None,
        verbose: int = 0,
    ):
        self.time_budget = time_budget
        self.n_trials = n_trials
        self.metric = metric
        self.cv = cv
        self.families = families
        self.ensemble = ensemble
        self.prior = prior
        self.n_suggestions = n_suggestions
        self.fewshot = fewshot
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.device = device
        self.storage = storage
        self.study_name = study_name
        self.isolation = isolation
        self.memory_limit = memory_limit
        self.callback = callback
        self.verbose = verbose

    # ------------------------------------------------------------------ validation
    def _check_params(self) -> None:
        name = type(self).__name__

        def bad(param: str, expected: str) -> ValueError:
            return ValueError(
                f"The '{param}' parameter of {name} must be {expected}. "
                f"Got {getattr(self, param)!r} instead."
            )

        tb = self.time_budget
        if (
            isinstance(tb, bool)
            or not isinstance(tb, numbers.Real)
            or not tb > 0
            or not math.isfinite(tb)
        ):
            raise bad("time_budget", "a float > 0")
        nt = self.n_trials
        if nt is not None and (
            isinstance(nt, bool) or not isinstance(nt, numbers.Integral) or nt < 1
        ):
            raise bad("n_trials", "an int >= 1 or None")
        if isinstance(self.cv, bool) or not isinstance(self.cv, numbers.Integral) or self.cv < 2:
            raise bad("cv", "an int >= 2")
        if self.fewshot not in ("auto", True, False):
            raise bad("fewshot", "'auto', True or False")
        if self.device not in ("auto", "cpu", "cuda") and not str(self.device).startswith("cuda:"):
            raise bad("device", "'auto', 'cpu' or 'cuda'")
        if (
            isinstance(self.n_jobs, bool)
            or not isinstance(self.n_jobs, numbers.Integral)
            or self.n_jobs == 0
        ):
            raise bad("n_jobs", "a non-zero int")
        if self.isolation not in ("auto", "process", "none"):
            raise bad("isolation", "'auto', 'process' or 'none'")
        ml = self.memory_limit
        if not (
            ml is None
            or (isinstance(ml, str) and ml == "auto")
            or (isinstance(ml, numbers.Real) and not isinstance(ml, bool) and ml > 0)
        ):
            raise bad("memory_limit", "a float > 0 (megabytes), 'auto' or None")
        if self.families is not None:
            if isinstance(self.families, str) or not list(self.families):
                raise bad("families", "a non-empty list of family names or None")
            space.family_names(include=self.families)

    # ------------------------------------------------------------------ fit
    def fit(self, X: Any, y: Any) -> AutoMetaClassifier:
        """Search for the best model of ``X`` -> ``y`` within the budget and refit it.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Numeric, categorical, string, bool and nullable columns; missing values allowed.
        y : array-like of shape (n_samples,)
            Class labels (strings, integers or bools).

        Returns
        -------
        self
        """
        start = time.monotonic()
        self._check_params()
        self.metric_ = resolve_metric(self.metric, 2)  # validates the name early
        deadline = start + float(self.time_budget)
        frame = to_frame(X)
        validate_data(self, X, skip_check_array=True, reset=True)
        y_arr = check_target(y, frame.shape[0])
        if frame.shape[0] < 2:
            raise ValueError(
                f"n_samples = {frame.shape[0]}: AutoMetaClassifier needs at least 2 rows to "
                "fit (and 2 classes)."
            )
        encoder = TableEncoder().fit(frame)
        Xt = encoder.transform(frame)
        self._label_encoder = LabelEncoder().fit(y_arr)
        self.classes_ = self._label_encoder.classes_
        if len(self.classes_) < 2:
            raise ValueError(
                f"y contains a single class ({self.classes_[0]!r}); classification needs at "
                "least 2 classes."
            )
        yc = self._label_encoder.transform(y_arr).astype(np.int64)
        check_cv_possible(yc)
        n_classes = len(self.classes_)
        self.metric_ = resolve_metric(self.metric, n_classes)
        rng = np.random.default_rng(
            self.random_state
            if not isinstance(self.random_state, np.random.RandomState)
            else self.random_state.randint(2**31)
        )
        seed = int(rng.integers(2**31 - 1))
        device = _resolve_device(self.device)

        families = space.family_names(n_rows=len(yc), include=self.families)
        families = [f for f in families if f != "fewshot" or self.fewshot is not False]
        self.fewshot_used_ = self._use_fewshot(len(yc))
        n_trials = self.n_trials
        if self.fewshot_used_:
            # Tiny data: cross-validated search is mostly noise; the meta-trained learner is
            # the model, and one cross-validated trial gives its score.
            families, n_trials = ["fewshot"], 1
            self.meta_features_, self.suggestions_ = None, []
            enqueue = [(c, "fewshot") for c in space.default_configs(["fewshot"])]
        else:
            enqueue = self._suggestions(Xt, yc, families, seed)
        splits = make_splits(yc, int(self.cv), seed)
        spec = None
        if self.storage is not None:
            spec = {
                "fingerprint": data_fingerprint(Xt, yc),
                "metric": self.metric_,
                "families": families,
                "cv": int(self.cv),
                "seed": seed,
                "classes": [str(c) for c in self.classes_],
            }
        if self.verbose:
            logger.info(
                "searching %s on %d rows x %d columns, %d classes, metric %s",
                families,
                *Xt.shape,
                n_classes,
                self.metric_,
            )
        runner, trial_limit = self._isolation(Xt, yc)
        result = run_search(
            Xt,
            yc,
            n_classes=n_classes,
            families=families,
            metric=self.metric_,
            splits=splits,
            deadline=deadline,
            n_trials=n_trials,
            seed=seed,
            enqueue=enqueue,
            storage=self.storage,
            study_name=self.study_name,
            n_jobs=self.n_jobs,
            device=device,
            reserve=_refit_reserve(len(yc), splits),
            callback=self.callback,
            runner=runner,
            trial_time_limit=trial_limit,
            spec=spec,
        )
        if spec is not None:
            result.add_shared_trials()
        if runner is not None:
            runner.close()
        self.study_ = result.study
        self.interrupted_ = result.interrupted
        self.leaderboard_ = result.leaderboard()
        done = [r for r in result.records if r.state == "complete"]
        if not done:
            failures = "; ".join(
                f"trial {r.number} {r.config.get('family')}: {r.state} {r.error}"
                for r in result.records[:10]
            )
            raise SearchError(
                "No trial finished, so there is no model to return. "
                f"{len(result.records)} trial(s) ran: {failures or 'none'}. "
                "Increase time_budget or check the data."
            )
        best = max(done, key=lambda r: (r.score, -r.number))
        self.best_config_ = best.config
        self.best_score_ = best.score
        model, weights = self._final_model(result, done, yc, n_classes, seed, device)
        with threadpool_limits(limits=max(1, self.n_jobs)):
            model.fit(Xt, yc)
        self.ensemble_weights_ = weights
        self.model_ = Pipeline([("table", encoder), ("model", model)])
        self.fit_time_ = time.monotonic() - start
        return self

    def _use_fewshot(self, n_rows: int) -> bool:
        if self.fewshot is False or "fewshot" not in space.FAMILIES:
            if self.fewshot is True:
                raise AutoMetaError("fewshot=True, but the few-shot learner is not available.")
            return False
        if self.fewshot is True:
            return True
        if self.families is not None and "fewshot" not in self.families:
            return False
        return n_rows <= FEWSHOT_MAX_ROWS

    def _isolation(self, Xt, yc):
        """The worker process for trials (or None) and the per-trial time limit."""
        from autometa.search.isolation import FoldRunner

        budget = float(self.time_budget)
        trial_limit = max(5.0, 0.5 * budget)
        mode = self.isolation
        if mode == "auto":
            mode = "process" if budget >= 30 or Xt.size > 200_000 else "none"
        if mode == "none":
            return None, trial_limit
        limit = self.memory_limit
        if isinstance(limit, str):
            import psutil

            limit = psutil.virtual_memory().total / 2**20 / 2
        return FoldRunner(Xt, yc, n_jobs=self.n_jobs, memory_limit_mb=limit), trial_limit

    def _suggestions(self, Xt, yc, families, seed) -> list[tuple[dict, str]]:
        """The configurations evaluated first: the prior's, else each family's default."""
        self.meta_features_ = None
        self.suggestions_ = []
        defaults = [(c, "default") for c in space.default_configs(families)]
        # Cheap, strong families first so a tiny budget still gets a model.
        order = {"lightgbm": 0, "logistic_regression": 1, "random_forest": 2}
        defaults.sort(key=lambda cs: order.get(cs[0]["family"], 9))
        if self.prior is None:
            return defaults
        from autometa.prior import load_prior

        try:
            prior = load_prior(self.prior)
        except (AutoMetaError, OSError) as exc:
            if not _is_default(self.prior):
                raise  # a prior the user asked for by path must load
            warnings.warn(
                f"The default prior could not be used ({exc}); falling back to a cold start.",
                RuntimeWarning,
                stacklevel=3,
            )
            return defaults
        try:
            from autometa.prior import extract_metafeatures

            # the prior's own extractor and seed, so features compare with its tasks'
            self.meta_features_ = extract_metafeatures(Xt, yc, random_state=0)
            k = self.n_suggestions or _n_suggestions(float(self.time_budget), len(yc))
            ranked = prior.rank(self.meta_features_, k=k, families=families)
        except Exception as exc:  # describing the data must never cost the user a model
            warnings.warn(
                f"Meta-features or the prior's ranking failed ({type(exc).__name__}: {exc}); "
                "falling back to a cold start.",
                RuntimeWarning,
                stacklevel=3,
            )
            return defaults
        self.suggestions_ = [
            {"config": s.config, "expected_score": s.expected_score, "spread": s.spread}
            for s in ranked
        ]
        return [(s.config, "prior") for s in ranked]

    def _final_model(self, result, done, yc, n_classes, seed, device):
        build = lambda r: space.build_pipeline(  # noqa: E731
            r.config,
            random_state=int((seed + 7919 * r.number) % (2**31 - 1)),
            n_jobs=self.n_jobs,
            device=device,
        )
        best = max(done, key=lambda r: (r.score, -r.number))
        candidates = [r for r in sorted(done, key=lambda r: -r.score) if r.number in result.oof]
        if not self.ensemble or len(candidates) < 2 or self.fewshot_used_:
            return build(best), {best.number: 1.0}
        oofs = [np.nan_to_num(result.oof[r.number], nan=1.0 / n_classes) for r in candidates]
        weights = greedy_ensemble(oofs, yc, self.metric_)
        if len(weights) == 1:
            return build(candidates[next(iter(weights))]), {
                candidates[next(iter(weights))].number: 1.0
            }
        members = [candidates[j] for j in weights]
        model = EnsembleClassifier(
            estimators=[build(r) for r in members],
            weights=list(weights.values()),
            n_classes=n_classes,
        )
        return model, {r.number: w for r, w in zip(members, weights.values(), strict=True)}

    # ------------------------------------------------------------------ predict
    def _typed(self, X: Any) -> Any:
        check_is_fitted(self, "model_")
        to_frame(X)  # shape and dtype errors in scikit-learn's words
        validate_data(self, X, skip_check_array=True, reset=False)
        return X

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, columns in the order of ``classes_``."""
        X = self._typed(X)
        proba = np.asarray(self.model_.predict_proba(X), dtype=float)
        return proba

    def predict(self, X: Any) -> np.ndarray:
        """Predicted class labels."""
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        tags.non_deterministic = self.n_trials is None
        return tags


def _is_default(prior: Any) -> bool:
    return isinstance(prior, str) and prior == "default"


def _resolve_device(device: str) -> str:
    if device != "auto":
        return device
    try:
        import torch
    except ImportError:
        return "cpu"
    return "cuda" if torch.cuda.is_available() else "cpu"


def _n_suggestions(time_budget: float, n_rows: int) -> int:
    """How many of the prior's suggestions to try first: more with more time per row."""
    return int(np.clip(time_budget / 4 * min(1.0, 2000 / max(n_rows, 1)) ** 0.5, 3, 25))


def _refit_reserve(n_rows: int, splits) -> Any:
    """Seconds to keep for the final refit: the slowest finished trial's per-fold time scaled
    from a training split to all rows, plus a margin."""
    train_share = n_rows / max(1, len(splits[0][0]))

    def reserve(records) -> float:
        done = [r for r in records if r.state == "complete"]
        if not done:
            return 0.0
        best = sorted(done, key=lambda r: -r.score)[:5]
        per_fold = max(r.fit_time / max(1, len(splits)) for r in best)
        return 1.5 * per_fold * train_share * min(len(best), 3) + 0.2

    return reserve
