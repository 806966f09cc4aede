"""The search: cross-validated scoring, the warm-started Optuna loop, ensemble selection."""

from __future__ import annotations

from autometa.search.ensemble import EnsembleClassifier, greedy_ensemble
from autometa.search.evaluation import (
    METRICS,
    BudgetExceeded,
    Evaluation,
    evaluate_config,
    make_splits,
    resolve_metric,
    score_proba,
)
from autometa.search.loop import SearchResult, TrialRecord, run_search
from autometa.search.storage import resolve_storage
from autometa.search.worker import run_worker

__all__ = [
    "BudgetExceeded",
    "EnsembleClassifier",
    "Evaluation",
    "METRICS",
    "SearchResult",
    "TrialRecord",
    "evaluate_config",
    "greedy_ensemble",
    "make_splits",
    "resolve_metric",
    "resolve_storage",
    "run_search",
    "run_worker",
    "score_proba",
]
