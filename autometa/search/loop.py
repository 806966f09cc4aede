"""The warm-started Optuna search over model families."""

from __future__ import annotations

import logging
import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from autometa import space
from autometa.search.evaluation import (
    BudgetExceeded,
    Evaluation,
    evaluate_config,
    in_process,
    screening_rows,
)
from autometa.search.isolation import FoldRunner, TrialMemoryError, TrialTimeout
from autometa.search.storage import check_spec, resolve_storage

__all__ = ["SearchResult", "TrialRecord", "run_search"]

logger = logging.getLogger("autometa.search")

EPOCH_STEP = 100_000


@dataclass
class TrialRecord:
    """What the search keeps of one trial."""

    number: int
    config: dict
    source: str
    state: str
    score: float
    fit_time: float
    duration: float
    error: str = ""
    finished_at: float = math.nan  # seconds since the search started
    n_folds: int = 0  # folds the score is based on
    fit_rows: int = 0  # training rows fitted in all (fit_time / fit_rows: seconds per row)


@dataclass
class SearchResult:
    """The study, every trial's record, and the out-of-fold predictions of the best trials."""

    study: Any
    records: list[TrialRecord]
    oof: dict[int, np.ndarray] = field(default_factory=dict)
    interrupted: bool = False

    def add_shared_trials(self) -> None:
        """Add the finished trials that other processes ran on a shared study."""
        import optuna

        mine = {r.number for r in self.records}
        for t in self.study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)):
            if t.number in mine or "config" not in t.user_attrs:
                continue
            elapsed = (t.datetime_complete - t.datetime_start).total_seconds()
            self.records.append(
                TrialRecord(
                    t.number,
                    t.user_attrs["config"],
                    "worker",
                    "complete",
                    float(t.value),
                    float(t.user_attrs.get("fit_time", elapsed)),
                    elapsed,
                )
            )

    def leaderboard(self) -> pd.DataFrame:
        import json

        rows = [
            {
                "trial": r.number,
                "family": r.config.get("family"),
                "source": r.source,
                "state": r.state,
                "score": r.score,
                "fit_time": r.fit_time,
                "duration": r.duration,
                "finished_at": r.finished_at,
                "params": json.dumps(r.config.get("params", {}), sort_keys=True),
                "error": r.error,
            }
            for r in self.records
        ]
        cols = [
            "trial",
            "family",
            "source",
            "state",
            "score",
            "fit_time",
            "duration",
            "finished_at",
            "params",
            "error",
        ]
        frame = pd.DataFrame(rows, columns=cols)
        return frame.sort_values(
            ["score", "trial"], ascending=[False, True], na_position="last"
        ).reset_index(drop=True)


def run_search(
    X: pd.DataFrame,
    y: np.ndarray,
    *,
    n_classes: int,
    families: list[str],
    metric: str,
    splits: list[tuple[np.ndarray, np.ndarray]],
    deadline: float,
    n_trials: int | None,
    seed: int,
    enqueue: list[tuple[dict, str]] = (),
    storage: str | None = None,
    study_name: str | None = None,
    n_jobs: int = 1,
    device: str = "cpu",
    keep_oof: int = 20,
    reserve: Callable[[list[TrialRecord]], float] | None = None,
    callback: Callable[[TrialRecord], None] | None = None,
    runner: FoldRunner | None = None,
    trial_time_limit: float | None = None,
    spec: dict | None = None,
) -> SearchResult:
    """Run the Optuna study until ``deadline`` (monotonic seconds) or ``n_trials`` trials.

    ``enqueue`` lists ``(config, source)`` pairs evaluated first, in order. ``reserve(records)``
    returns the seconds to keep free before the deadline (for the final refit). With a
    ``runner``, folds are fitted in its worker process, which is stopped when a trial passes
    ``trial_time_limit`` seconds or the memory limit; otherwise they run in this process and
    the limits are checked between folds.
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
        sampler = optuna.samplers.TPESampler(
            seed=seed, multivariate=True, group=True, n_startup_trials=max(5, len(enqueue))
        )
    pruner = optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=0)
    study = optuna.create_study(
        direction="maximize",
        sampler=sampler,
        pruner=pruner,
        storage=resolve_storage(storage),
        study_name=study_name,
        load_if_exists=storage is not None,
    )
    if spec is not None:
        check_spec(study, spec)
    sources: dict[int, str] = {}
    for config, source in enqueue:
        study.enqueue_trial(
            space.to_trial_params(config),
            user_attrs={"source": source},
            skip_if_exists=storage is not None,
        )
    result = SearchResult(study=study, records=[])
    search_start = time.monotonic()
    # On large data TPE's proposals (and the very first trial, so that something finishes
    # early) are screened on a subsample first; suggestions from the prior or the defaults
    # are otherwise evaluated in full.
    screen = screening_rows(y, splits, seed)
    # The first trial must finish whatever the data: it is screened on few rows.
    first_screen = None if screen is None else screen[:: max(1, len(screen) // 2000)]

    def objective(trial: optuna.Trial) -> float:
        start = time.monotonic()
        config = space.suggest_config(trial, families)
        source = trial.user_attrs.get("source", "tpe")
        trial.set_user_attr("config", config)
        trial.set_user_attr("source", source)
        sources[trial.number] = source
        model_seed = int((seed + 7919 * trial.number) % (2**31 - 1))

        def build() -> Any:
            return space.build_pipeline(
                config, random_state=model_seed, n_jobs=n_jobs, device=device
            )

        def report(step: int, value: float) -> None:
            trial.report(value, step)
            if trial.should_prune():
                raise optuna.TrialPruned(f"pruned after fold {step + 1}: {value:.4f}")

        record = TrialRecord(
            trial.number, config, source, "running", math.nan, 0.0, 0.0, finished_at=search_start
        )
        first = not any(r.state == "complete" for r in result.records)
        # The first trial is bounded by the budget only: the search needs one model.
        limit_hit = (
            not first and trial_time_limit is not None and start + trial_time_limit < deadline
        )
        trial_deadline = start + trial_time_limit if limit_hit else deadline

        def epoch_callback(fold: int):
            def report_epoch(epoch: int, val_loss: float) -> None:
                # Epoch steps live apart from fold steps: compared only with other trials
                # that train by epochs (the MLP). Lower loss is better; the study maximises.
                step = EPOCH_STEP + 1000 * fold + int(epoch)
                trial.report(-float(val_loss), step)
                if trial.should_prune():
                    raise optuna.TrialPruned(f"pruned at epoch {epoch} of fold {fold + 1}")

            return report_epoch

        if runner is None:
            fit_fold = in_process(build, X, y, n_classes, epoch_callback)
        else:

            def fit_fold(train, test, timeout):
                return runner.run(config, model_seed, device, train, test, n_classes, timeout)

        try:
            ev: Evaluation = evaluate_config(
                fit_fold,
                y,
                splits,
                metric,
                n_classes,
                deadline=trial_deadline,
                report=report,
                screen=first_screen if first else (screen if source == "tpe" else None),
                partial_ok=first,
            )
        except optuna.TrialPruned as exc:
            _finish(record, "pruned", start, str(exc))
            raise
        except (BudgetExceeded, TrialTimeout) as exc:
            if limit_hit:  # the trial's own limit: a property of the configuration
                _finish(record, "timeout", start, f"{exc} (trial limit {trial_time_limit:.1f} s)")
                trial.set_user_attr("error", record.error)
                raise
            _finish(record, "budget", start, str(exc))
            raise optuna.TrialPruned(str(exc)) from None
        except TrialMemoryError as exc:
            _finish(record, "memory", start, str(exc))
            trial.set_user_attr("error", record.error)
            raise
        except (KeyboardInterrupt, SystemExit):
            _finish(record, "interrupted", start, "interrupted")
            raise
        except Exception as exc:  # a failing configuration must not stop the search
            msg = f"{type(exc).__name__}: {exc}"[:500]
            _finish(record, "failed", start, msg)
            logger.info("trial %d (%s) failed: %s", trial.number, config["family"], msg)
            trial.set_user_attr("error", msg)
            raise  # Optuna records the trial as failed (catch=Exception) and goes on
        finally:
            if record.state != "running":
                result.records.append(record)
                if callback is not None:
                    callback(record)
        if not np.isfinite(ev.score):
            _finish(record, "failed", start, "score is NaN")
            result.records.append(record)
            if callback is not None:
                callback(record)
            raise optuna.TrialPruned("score is NaN")
        record.score, record.fit_time, record.n_folds = ev.score, ev.fit_time, ev.n_folds
        record.fit_rows = ev.fit_rows
        _finish(record, "complete", start)
        result.records.append(record)
        _keep_best_oof(result, trial.number, ev, keep_oof)
        trial.set_user_attr("fit_time", ev.fit_time)
        trial.set_user_attr("n_folds", ev.n_folds)
        trial.set_user_attr("fit_rows", ev.fit_rows)
        if callback is not None:
            callback(record)
        return ev.score

    def stop_when_out_of_time(study: optuna.Study, _trial: Any) -> None:
        spare = reserve(result.records) if reserve is not None else 0.0
        if time.monotonic() + spare >= deadline:
            study.stop()

    remaining = deadline - time.monotonic()
    try:
        with threadpool_limits(limits=max(1, n_jobs)), warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=FutureWarning, module="optuna")
            warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
            study.optimize(
                objective,
                n_trials=n_trials,
                timeout=max(remaining, 0.01),
                callbacks=[stop_when_out_of_time],
                catch=(Exception,),  # a failed trial is recorded; the search goes on
                gc_after_trial=False,
            )
    except KeyboardInterrupt:
        result.interrupted = True
        logger.warning(
            "search interrupted: keeping the %d finished trials",
            sum(r.state == "complete" for r in result.records),
        )
    return result


def _finish(record: TrialRecord, state: str, start: float, error: str = "") -> None:
    record.state = state
    now = time.monotonic()
    record.duration = now - start
    record.finished_at = now - record.finished_at  # holds the search's start until here
    record.error = error


def _keep_best_oof(result: SearchResult, number: int, ev: Evaluation, keep: int) -> None:
    result.oof[number] = ev.oof
    if len(result.oof) > keep:
        scores = {r.number: r.score for r in result.records if r.number in result.oof}
        worst = min(scores, key=lambda k: (scores[k], -k))
        del result.oof[worst]
