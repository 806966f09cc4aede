"""AutoMetaClassifier: meta-features, prior, warm-started search, refit (orchestration only)."""

from __future__ import annotations

import functools
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
from autometa._resources import resolve_n_jobs
from autometa.data import TableEncoder, check_target, to_frame
from autometa.exceptions import AutoMetaError, SearchError
from autometa.search import (
    EnsembleClassifier,
    greedy_ensemble,
    make_splits,
    resolve_metric,
    run_search,
)
from autometa.search.evaluation import (
    aligned_proba,
    check_cv_possible,
    prepare_model,
    stratification_labels,
)
from autometa.search.storage import data_fingerprint

__all__ = [
    "FEWSHOT_MAX_ROWS",
    "FOCUS_FAMILIES",
    "POOL_MAX_ROWS",
    "POOL_SUGGESTIONS",
    "AutoMetaClassifier",
]

#: Training sets with at most this many rows go to the few-shot learner when
#: ``fewshot="auto"`` (cross-validation folds would hold about 10 rows there). Measured with
#: ``benchmarks/fewshot.py`` (docs/fewshot.md, "The threshold"): on held-out datasets the
#: default 10 s search, which has the few-shot learner among its families, is ahead of the
#: few-shot learner alone at every training size measured (32, 64 and 128 rows, and small
#: datasets used whole), so only smaller training sets skip the search.
FEWSHOT_MAX_ROWS = 31

#: With a prior, TPE searches only the model families of the prior's best configurations:
#: this many of the families the prior has evaluations of (ranked by their best expected
#: configuration), plus every family the prior knows nothing of. From the committed store
#: (89 tasks, leave-one-task-out): the best configuration of the prior's top 5 of 8 families
#: scores 0.991 of the best of all families on average (10th percentile 0.979), and the search
#: spends its trials on fewer families.
FOCUS_FAMILIES = 5

#: With a prior, training sets of at most this many rows evaluate a short pool and stop: the
#: prior's :data:`POOL_SUGGESTIONS` best configurations over all families and every family's
#: default, no TPE after them. On so few rows, picking the best of many configurations by
#: cross-validation picks the luckiest (the selection overfits the folds). From the committed
#: store (``python benchmarks/prior_headroom.py``; the 77 tasks outside the anytime
#: benchmark's, leave-one-task-out prior, the best of a pool picked on two folds and scored on
#: the third): on tasks of up to 100 and of 101-200 rows (133 training rows per fold), this
#: pool scores 0.023 and 0.016 ROC AUC above the best of all 104 stored configurations; on
#: 201-300 rows 0.003 below, on larger tasks below or level.
POOL_MAX_ROWS = 133
POOL_SUGGESTIONS = 8

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
        How many of the prior's suggestions to evaluate first. ``None``: at least one more
        than the number of model families (the prior's first pick, then, with the shipped
        prior, each family's default in the prior's order; the cheapest of these is evaluated
        first), more with more time per row. On at most :data:`POOL_MAX_ROWS` rows the search
        stops after the prior's best ``n_suggestions`` (``None``: :data:`POOL_SUGGESTIONS`)
        and every family's default.
    fewshot : {"auto", True, False}, default="auto"
        The meta-trained few-shot learner (``FewShotClassifier(method="icl+fomaml")``).
        ``"auto"``: it is the model for training sets of at most ``FEWSHOT_MAX_ROWS`` rows
        or that cross-validation cannot split (no search then: one cross-validated trial
        reports its score when folds can be made), and one family among the others on
        larger data. ``True``: always the model. ``False``: never used.
    random_state : int, numpy Generator or None, default=None
    n_jobs : int or None, default=None
        Threads for each model fit, the trials' worker and the refit, as in scikit-learn:
        ``None`` is one thread, ``-1`` every core the process may use (its CPU affinity and
        cgroup quota), ``-2`` all but one; a positive int is that many. The same count goes to
        every family (LightGBM, forests, HistGradientBoosting, torch) and to BLAS/OpenMP.
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
        process (a fold is started only when its estimated time fits, and models with a
        ``time_limit`` such as the MLP stop themselves, but a long fit cannot be stopped).
        ``"auto"``: a worker process when ``time_budget >= 60`` or the table has 2,000 rows or
        more (where one fit can take long), else in-process, where fits are short and starting
        a worker (seconds, more with torch) would cost a noticeable share of a small budget.
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
        Its cross-validated score (log loss is negated: higher is better). NaN when the
        budget allowed no cross-validated trial and a cheap default was fitted instead
        (with a warning; its leaderboard row has source ``"fallback"``).
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
    search_families_ : list of str
        The model families the search sampled from: all applicable ones in a cold start; with
        a prior, those of its best configurations (:data:`FOCUS_FAMILIES`), or all applicable
        ones when ``pool_only_``.
    pool_only_ : bool
        True when the search evaluated only a short pool and stopped: with a prior, on at
        most :data:`POOL_MAX_ROWS` training rows, the prior's :data:`POOL_SUGGESTIONS` best
        configurations and every family's default.
    metric_ : str
    fit_time_ : float
    refit_rows_ : int
        Rows the final model was refitted on: all of them, unless the budget only allowed
        a subsample for the best trial's refit.
    timings_ : dict
        Seconds spent in each phase of ``fit``: ``prepare`` (validation, typing), ``prior``
        (meta-features and ranking), ``search`` and ``refit``.
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
        n_jobs: int | None = None,
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
        if self.n_jobs is not None and (
            isinstance(self.n_jobs, bool)
            or not isinstance(self.n_jobs, numbers.Integral)
            or self.n_jobs == 0
        ):
            raise bad("n_jobs", "None or a non-zero int")
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
        self.timings_ = {"prepare": 0.0, "prior": 0.0, "search": 0.0, "refit": 0.0}
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
        try:
            check_cv_possible(yc)
            cv_error = None
        except ValueError as exc:
            cv_error = exc
        # the few-shot learner needs no folds: data CV cannot split goes to it, unscored
        self.fewshot_used_ = self._use_fewshot(len(yc), cv_possible=cv_error is None)
        if cv_error is not None and not self.fewshot_used_:
            raise cv_error
        cv_possible = cv_error is None
        n_classes = len(self.classes_)
        self.metric_ = resolve_metric(self.metric, n_classes)
        rng = np.random.default_rng(
            self.random_state
            if not isinstance(self.random_state, np.random.RandomState)
            else self.random_state.randint(2**31)
        )
        seed = int(rng.integers(2**31 - 1))
        device = self.device  # torch families resolve "auto" themselves, when they are used

        families = space.family_names(n_rows=len(yc), include=self.families)
        families = [f for f in families if f != "fewshot" or self.fewshot is not False]
        splits = make_splits(yc, int(self.cv), seed)
        runner, trial_limit = self._isolation(Xt, yc)
        if runner is not None:
            runner.warm_up()
        n_trials = self.n_trials
        if self.fewshot_used_:
            # Tiny data: cross-validated search is mostly noise; the meta-trained learner is
            # the model, and one cross-validated trial gives its score.
            families, n_trials = ["fewshot"], 1 if cv_possible else 0
            self.meta_features_, self.suggestions_, self.pool_only_ = None, [], False
            enqueue = [(c, "fewshot") for c in space.default_configs(["fewshot"])]
        else:
            t_prepared = time.monotonic()
            work = len(splits[0][0]) * len(splits)  # training rows one trial fits
            enqueue, families = self._suggestions(Xt, yc, families, deadline, work, len(splits))
            if self.pool_only_:
                n_trials = min(n_trials or len(enqueue), len(enqueue))
            self.timings_["prior"] = time.monotonic() - t_prepared
        self.search_families_ = list(families)
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
        self.timings_["prepare"] = time.monotonic() - start - self.timings_["prior"]
        t_search = time.monotonic()
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
            n_jobs=resolve_n_jobs(self.n_jobs),
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
        out_of_time = all(r.state in ("budget", "timeout", "pruned") for r in result.records)
        if not done and out_of_time and not result.interrupted:
            # The budget was too small for even one cross-validated trial (huge data): fit a
            # cheap model on a subsample, so that fit still returns a model.
            reason = (
                "too few rows per class for cross-validation"
                if not cv_possible
                else f"the time budget ({self.time_budget:g} s) allowed no cross-validated trial"
            )
            done = [self._fallback_trial(result, families, yc, reason)]
            self.leaderboard_ = result.leaderboard()
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
        t_refit = time.monotonic()
        self.timings_["search"] = t_refit - t_search
        members = self._final_members(result, done, yc, n_classes)
        model, weights = self._refit(
            members, Xt, yc, n_classes, seed, device, deadline, len(splits)
        )
        self.ensemble_weights_ = weights
        self.model_ = Pipeline([("table", encoder), ("model", model)])
        self.fit_time_ = time.monotonic() - start
        self.timings_["refit"] = time.monotonic() - t_refit
        return self

    def _use_fewshot(self, n_rows: int, cv_possible: bool = True) -> bool:
        if self.fewshot is False or "fewshot" not in space.FAMILIES:
            if self.fewshot is True:
                raise AutoMetaError("fewshot=True, but the few-shot learner is not available.")
            return False
        if self.fewshot is True:
            return True
        if self.families is not None and "fewshot" not in self.families:
            return False
        return n_rows <= FEWSHOT_MAX_ROWS or not cv_possible

    def _isolation(self, Xt, yc):
        """The worker process for trials (or None) and the per-trial time limit."""
        from autometa.search.isolation import FoldRunner

        budget = float(self.time_budget)
        trial_limit = max(5.0, 0.5 * budget)
        mode = self.isolation
        if mode == "auto":
            mode = "process" if budget >= 60 or len(yc) >= 2_000 else "none"
        if mode == "none":
            return None, trial_limit
        limit = self.memory_limit
        if isinstance(limit, str):
            import psutil

            limit = psutil.virtual_memory().total / 2**20 / 2
        runner = FoldRunner(Xt, yc, n_jobs=resolve_n_jobs(self.n_jobs), memory_limit_mb=limit)
        return runner, trial_limit

    def _suggestions(
        self, Xt, yc, families, deadline, work, fits
    ) -> tuple[list[tuple[dict, str]], list[str]]:
        """The configurations evaluated first (the prior's, else each family's default) and
        the families the search samples from."""
        self.meta_features_ = None
        self.suggestions_ = []
        self.pool_only_ = False
        defaults = [(c, "default") for c in space.default_configs(families)]
        # Cheap, strong families first so a tiny budget still gets a model.
        order = {"lightgbm": 0, "logistic_regression": 1, "random_forest": 2}
        defaults.sort(key=lambda cs: order.get(cs[0]["family"], 9))
        if self.prior is None:
            return defaults, families
        try:
            prior = _load_prior_cached(self.prior)
        except (AutoMetaError, OSError) as exc:
            if not _is_default(self.prior):
                raise  # a prior the user asked for by path must load
            warnings.warn(
                f"The default prior could not be used ({exc}); falling back to a cold start.",
                RuntimeWarning,
                stacklevel=3,
            )
            return defaults, families
        try:
            from autometa.prior import extract_metafeatures

            # the prior's own extractor and seed, so features compare with its tasks'
            self.meta_features_ = extract_metafeatures(Xt, yc, random_state=0)
            ranked = prior.rank(self.meta_features_, families=families)
            pool = len(yc) <= POOL_MAX_ROWS
            focus = families if pool else _focus_families(ranked, families, FOCUS_FAMILIES)
            ranked = [s for s in ranked if s.family in focus]
            known = {s.family for s in ranked}  # families the prior has evaluations of
            # Never fewer than the cold start tries in these families: the prior's first pick
            # and every family's default (its ranking puts them next), those a small budget
            # can afford first and the cheapest of all opening (a first model as early as in a
            # cold start); then its other suggestions, more with more time per row.
            seconds = deadline - time.monotonic()
            anchor_ids = {space.config_id(c) for c, _ in defaults}
            is_anchor = [
                i == 0 or space.config_id(s.config) in anchor_ids for i, s in enumerate(ranked)
            ]
            head = [s for s, a in zip(ranked, is_anchor, strict=True) if a]
            tail = [s for s, a in zip(ranked, is_anchor, strict=True) if not a]
            head = _cheapest_opens(
                _affordable_first(head, len(head), seconds, work, fits), work, fits
            )
            if pool:  # the prior's best few (over all families) and the defaults, then stop
                by_score = sorted(ranked, key=lambda s: -s.expected_score)  # always finite
                top = {id(s) for s in by_score[: self.n_suggestions or POOL_SUGGESTIONS]}
                tail = [s for s in tail if id(s) in top]
                k = len(head) + len(tail)
            else:
                k = self.n_suggestions or max(
                    _n_suggestions(float(self.time_budget), len(yc)), len(head)
                )
            tail = _affordable_first(tail, max(0, k - len(head)), seconds, work, fits)
            ranked = (head + tail)[:k]
            # the defaults of families the prior has no evaluations of, as in a cold start
            unknown = [
                (c, src) for c, src in defaults if c["family"] in focus and c["family"] not in known
            ]
        except Exception as exc:  # describing the data must never cost the user a model
            warnings.warn(
                f"Meta-features or the prior's ranking failed ({type(exc).__name__}: {exc}); "
                "falling back to a cold start.",
                RuntimeWarning,
                stacklevel=3,
            )
            return defaults, families
        self.suggestions_ = [
            {"config": s.config, "expected_score": s.expected_score, "spread": s.spread}
            for s in ranked
        ]
        self.pool_only_ = pool
        return [(s.config, "prior") for s in ranked] + unknown, focus

    def _fallback_trial(self, result, families, yc, reason):
        """A record for the cheapest family's default, fitted on at most 1,000 rows."""
        from autometa.search import TrialRecord

        cheap = [f for f in ("fewshot", "logistic_regression", "lightgbm") if f in families]
        config = space.default_configs([cheap[0] if cheap else families[0]])[0]
        number = max((r.number for r in result.records), default=-1) + 1
        record = TrialRecord(
            number,
            config,
            "fallback",
            "complete",
            math.nan,
            0.0,
            0.0,
            finished_at=math.nan,
            n_folds=0,
            fit_rows=min(len(yc), 1000),
        )
        result.records.append(record)
        warnings.warn(
            f"{reason[0].upper()}{reason[1:]} on {len(yc)} rows: returning the "
            f"{config['family']} default fitted on {min(len(yc), 1000)} rows, unscored.",
            RuntimeWarning,
            stacklevel=3,
        )
        return record

    def _final_members(self, result, done, yc, n_classes) -> list[tuple[Any, float]]:
        """The trials the final model is made of, with their weights (best first)."""
        best = max(done, key=lambda r: (r.score, -r.number))
        candidates = [r for r in sorted(done, key=lambda r: -r.score) if r.number in result.oof]
        if not self.ensemble or len(candidates) < 2 or self.fewshot_used_:
            return [(best, 1.0)]
        oofs = [np.nan_to_num(result.oof[r.number], nan=1.0 / n_classes) for r in candidates]
        weights = greedy_ensemble(oofs, yc, self.metric_)
        members = sorted(((candidates[j], w) for j, w in weights.items()), key=lambda m: -m[1])
        return members

    def _refit(self, members, Xt, yc, n_classes, seed, device, deadline, train_rows):
        """Refit the members on all rows, heaviest weight first, within the deadline.

        A member whose expected refit time (its per-fold time scaled to all rows) no longer
        fits before the deadline is left out and the weights are renormalised; the first
        member is always refitted. Models with a ``time_limit`` get the time that is left.
        """
        threads = resolve_n_jobs(self.n_jobs)
        fitted, weights = [], {}
        self.refit_rows_ = len(yc)
        for i, (record, weight) in enumerate(members):
            per_row = record.fit_time / max(1, record.fit_rows or train_rows * record.n_folds)
            # Fit time grows faster than linearly with rows for most models: a 1.5 margin.
            expected = 1.5 * per_row * len(yc)
            left = deadline - time.monotonic()
            rows = None
            if record.source == "fallback":
                rows = (
                    _stratified_rows(yc, record.fit_rows, seed)
                    if record.fit_rows < len(yc)
                    else None
                )
                self.refit_rows_ = record.fit_rows
            elif expected > left:
                if i > 0:
                    continue
                # The model must exist: refit on as many rows as the time left allows.
                n_fit = int(max(min(len(yc), 1000), left / max(1.5 * per_row, 1e-9)))
                if n_fit < len(yc):
                    rows = _stratified_rows(yc, n_fit, seed)
                    self.refit_rows_ = len(rows)
            model = space.build_pipeline(
                record.config,
                random_state=int((seed + 7919 * record.number) % (2**31 - 1)),
                n_jobs=threads,
                device=device,
            )
            prepare_model(model, left if i > 0 else max(left, 1.0))
            with threadpool_limits(limits=threads):
                if rows is None:
                    model.fit(Xt, yc)
                else:
                    model.fit(Xt.iloc[rows], yc[rows])
            fitted.append(model)
            weights[record.number] = weight
        total = sum(weights.values())
        weights = {k: w / total for k, w in weights.items()}
        if len(fitted) == 1:
            return fitted[0], weights
        model = EnsembleClassifier(
            estimators=fitted, weights=list(weights.values()), n_classes=n_classes
        )
        model.classes_ = np.arange(n_classes)  # members are fitted already
        return model, weights

    # ------------------------------------------------------------------ predict
    def _typed(self, X: Any) -> Any:
        check_is_fitted(self, "model_")
        to_frame(X)  # shape and dtype errors in scikit-learn's words
        validate_data(self, X, skip_check_array=True, reset=False)
        return X

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, columns in the order of ``classes_``."""
        X = self._typed(X)
        return aligned_proba(self.model_, X, len(self.classes_))

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


def _load_prior_cached(path: Any) -> Any:
    """Load a prior once per process (and again when its manifest changes).

    A :class:`~autometa.prior.Prior` is read-only, so sharing one between fits is safe.
    """
    import os

    from autometa.prior import artifact

    where = artifact.default_prior_path() if _is_default(path) else path
    try:
        stamp = os.stat(os.path.join(where, "manifest.json")).st_mtime_ns
    except OSError:
        stamp = None
    return _load_prior_stamped(str(where), stamp)


@functools.lru_cache(maxsize=4)
def _load_prior_stamped(path: str, stamp: Any) -> Any:
    from autometa.prior import load_prior

    return load_prior(path)


def _focus_families(ranked: list, families: list[str], m: int) -> list[str]:
    """The ``m`` families with the best expected configuration in ``ranked``, and the families
    with no configuration there (nothing is known of them), in the order of ``families``."""
    best: dict[str, float] = {}
    for s in ranked:
        e = s.expected_score if np.isfinite(s.expected_score) else -np.inf
        best[s.family] = max(best.get(s.family, -np.inf), e)
    top = set(sorted(best, key=lambda f: -best[f])[:m])
    return [f for f in families if f in top or f not in best]


def _affordable_first(ranked: list, k: int, seconds: float, work: int, fits: int) -> list:
    """The prior's order, with suggestions that a small budget can afford moved first.

    A suggestion's cost is its measured fit time (:meth:`Suggestion.fit_seconds`) for the
    ``fits`` fits and ``work`` training rows of one trial, with a margin. Those costing at
    most a quarter of the time left come first, in the prior's order; then those that fit in
    the time at all; suggestions that cannot finish in time are dropped. Unknown costs count as
    affordable.
    """
    cost = [1.5 * s.fit_seconds(work, fits) for s in ranked]
    cheap = [s for s, c in zip(ranked, cost, strict=True) if not c > 0.25 * seconds]
    rest = [s for s, c in zip(ranked, cost, strict=True) if 0.25 * seconds < c <= seconds]
    return (cheap + rest)[:k]


def _cheapest_opens(ranked: list, work: int, fits: int) -> list:
    """``ranked`` with its cheapest suggestion moved to the front (when its cost is known), so
    that a first model is there as early as in a cold start; the prior's first pick follows."""
    cost = [s.fit_seconds(work, fits) for s in ranked]
    known = [i for i, c in enumerate(cost) if np.isfinite(c)]
    if not known:
        return list(ranked)
    i = min(known, key=lambda j: cost[j])
    return [ranked[i]] + ranked[:i] + ranked[i + 1 :]


def _stratified_rows(y: np.ndarray, size: int, seed: int) -> np.ndarray:
    """About ``size`` row indices, stratified, with at least one row of every class (for a
    refit on a subsample: the model must know every class it is asked to predict)."""
    from sklearn.model_selection import StratifiedShuffleSplit

    groups = stratification_labels(y, np.bincount(y), 2)
    splitter = StratifiedShuffleSplit(1, train_size=size, random_state=seed)
    rows, _ = next(splitter.split(np.zeros(len(y)), groups))
    missing = np.setdiff1d(np.unique(y), y[rows])
    if len(missing):
        rng = np.random.default_rng(seed)
        rows = np.concatenate([rows, [rng.choice(np.flatnonzero(y == c)) for c in missing]])
    return np.sort(rows)


def _is_default(prior: Any) -> bool:
    return isinstance(prior, str) and prior == "default"


def _n_suggestions(time_budget: float, n_rows: int) -> int:
    """How many of the prior's suggestions to try first: more with more time per row."""
    return int(np.clip(time_budget / 4 * min(1.0, 2000 / max(n_rows, 1)) ** 0.5, 3, 25))


def _refit_reserve(n_rows: int, splits) -> Any:
    """Seconds to keep for the final refit: the likely ensemble members' per-fold times
    scaled from a training split to all rows, with a margin, plus the one-off import of torch
    when a torch family would be refitted in this process for the first time."""
    import sys

    def reserve(records) -> float:
        done = [r for r in records if r.state == "complete"]
        if not done:
            return 0.0
        likely = sorted(done, key=lambda r: -r.score)[:3]
        refit = (
            sum(r.fit_time / max(1, r.fit_rows or len(splits[0][0]) * r.n_folds) for r in likely)
            * n_rows
        )
        torch_families = {n for n, f in space.FAMILIES.items() if "torch" in f.tags}
        if "torch" not in sys.modules and any(r.config["family"] in torch_families for r in likely):
            refit += 3.0
        return 1.3 * refit + 0.3

    return reserve
