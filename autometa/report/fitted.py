"""The report of a fitted :class:`autometa.AutoMetaClassifier`: what the search did."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from autometa.report.profile import DatasetProfile, profile_dataset

__all__ = ["FitReport", "anytime_curve", "describe_fit"]


@dataclass
class FitReport:
    """Everything ``autometa fit --report`` shows.

    Attributes
    ----------
    profile : DatasetProfile
        The training data.
    leaderboard : DataFrame
        ``leaderboard_`` of the estimator (one row per trial).
    metric : str
        What the search maximised (log loss is negated: higher is better).
    best_config : dict
    best_score : float
    ensemble_weights : dict of int to float
        Trial number -> weight of the final model.
    suggestions : list of dict
        The prior's suggestions that were evaluated first (``suggestions_``).
    fit_time : float
        Seconds ``fit`` took.
    time_budget : float or None
    notes : list of str
    """

    profile: DatasetProfile
    leaderboard: pd.DataFrame
    metric: str
    best_config: dict[str, Any]
    best_score: float
    ensemble_weights: dict[int, float]
    suggestions: list[dict[str, Any]] = field(default_factory=list)
    fit_time: float = float("nan")
    time_budget: float | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ensemble_table(self) -> pd.DataFrame:
        """The final model's members: trial, family, source, score and weight."""
        board = self.leaderboard.set_index("trial")
        rows = []
        for trial, weight in sorted(self.ensemble_weights.items(), key=lambda kv: -kv[1]):
            row = board.loc[trial] if trial in board.index else None
            rows.append(
                {
                    "trial": int(trial),
                    "family": None if row is None else row["family"],
                    "source": None if row is None else row["source"],
                    "score": np.nan if row is None else row["score"],
                    "weight": float(weight),
                }
            )
        return pd.DataFrame(rows, columns=["trial", "family", "source", "score", "weight"])


def anytime_curve(leaderboard: pd.DataFrame) -> pd.DataFrame:
    """Best score so far against time, from a leaderboard.

    Returns
    -------
    DataFrame
        One row per complete trial in the order they finished: ``finished_at`` (seconds since
        the search started), ``trial``, ``source``, ``score`` and ``best`` (the running
        maximum of ``score``).
    """
    cols = ["finished_at", "trial", "source", "score", "best"]
    done = leaderboard[(leaderboard["state"] == "complete") & leaderboard["score"].notna()]
    done = done[np.isfinite(done["finished_at"].astype(float))]
    if done.empty:
        return pd.DataFrame(columns=cols)
    done = done.sort_values(["finished_at", "trial"]).reset_index(drop=True)
    out = done[["finished_at", "trial", "source", "score"]].copy()
    out["best"] = out["score"].astype(float).cummax()
    return out[cols]


def describe_fit(estimator: Any, X: Any, y: Any, *, name: str = "data") -> FitReport:
    """Collect the report of a fitted estimator.

    Parameters
    ----------
    estimator : AutoMetaClassifier
        Fitted.
    X, y : the training data passed to ``fit``
    name : str, default="data"
        Where the data came from (shown in the title).

    Returns
    -------
    FitReport
    """
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(estimator, "leaderboard_")
    notes = []
    board = estimator.leaderboard_.copy()
    failed = board[board["state"] != "complete"]
    if len(failed):
        counts = failed["state"].value_counts().to_dict()
        notes.append(
            f"{len(failed)} of {len(board)} trials did not complete: "
            + ", ".join(f"{v} {k}" for k, v in counts.items())
            + "."
        )
    if getattr(estimator, "fewshot_used_", False):
        notes.append(
            "The few-shot learner is the model (the tiny-data fallback, or fewshot=True): one "
            "cross-validated trial gives its score, without a search."
        )
    budget = getattr(estimator, "time_budget", None)
    return FitReport(
        profile=profile_dataset(X, y, name=name),
        leaderboard=board,
        metric=str(estimator.metric_),
        best_config=dict(estimator.best_config_),
        best_score=float(estimator.best_score_),
        ensemble_weights={int(k): float(v) for k, v in estimator.ensemble_weights_.items()},
        suggestions=list(getattr(estimator, "suggestions_", []) or []),
        fit_time=float(getattr(estimator, "fit_time_", float("nan"))),
        time_budget=None if budget is None else float(budget),
        notes=notes,
    )
