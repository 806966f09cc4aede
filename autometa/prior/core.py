"""The prior: ranks candidate configurations for a new task from its meta-features."""

from __future__ import annotations

import copy
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from autometa.prior import scores
from autometa.prior.features import config_features, metafeature_vector, scale_metafeatures

__all__ = ["Prior", "Suggestion"]


@dataclass(frozen=True)
class Suggestion:
    """A configuration suggested by the prior.

    Attributes
    ----------
    config : dict
        ``{"family": ..., "params": {...}}`` (a copy; safe to modify).
    expected_score : float
        Expected normalised score on the new task (1 = best of the candidates, 0 = worst).
    spread : float
        Standard deviation of the normalised score over the nearest tasks.
    source : str
        How the score was estimated (``"prior:knn"``, ``"prior:lgbm"``, ``"prior:portfolio"``).
    seconds_per_fit, seconds_per_row : float
        The configuration's fit time on the prior's tasks, ``seconds_per_fit + seconds_per_row
        * training rows`` (NaN when unknown).
    """

    def fit_seconds(self, rows: int, fits: int = 1) -> float:
        """Expected seconds of ``fits`` fits on ``rows`` training rows in all (NaN: unknown)."""
        return fits * self.seconds_per_fit + rows * self.seconds_per_row

    config: dict[str, Any] = field(repr=False)
    expected_score: float
    spread: float
    source: str
    config_id: str = ""
    seconds_per_fit: float = float("nan")  # measured fit time: this per fit ...
    seconds_per_row: float = float("nan")  # ... plus this per training row

    @property
    def family(self) -> str:
        return str(self.config["family"])


class Prior:
    """A fitted prior. Build one with :func:`autometa.prior.fit_prior`; load with
    :func:`autometa.prior.load_prior`. Read-only once made.

    Parameters
    ----------
    manifest : dict
        The artifact's manifest (schema version, tasks, configurations, ranking method, ...).
    configs : list of dict
        The candidate configurations, in the order of ``manifest["configs"]``.
    norm : DataFrame of shape (n_tasks, n_configs)
        Normalised scores (NaN where not evaluated).
    metafeatures : DataFrame of shape (n_tasks, n_metafeatures)
        Raw meta-features of the tasks.
    booster : lightgbm.Booster, optional
        The learned ranking model, when the manifest's method is ``"lgbm"``.
    cost : dict, optional
        Config id -> median fit seconds per training row over the evaluations, so that a
        search with a small budget can try cheap suggestions first.
    """

    def __init__(
        self,
        manifest: Mapping[str, Any],
        configs: Sequence[Mapping[str, Any]],
        norm: pd.DataFrame,
        metafeatures: pd.DataFrame,
        booster: Any = None,
        cost: Mapping[str, tuple[float, float]] | None = None,
    ) -> None:
        self._manifest = copy.deepcopy(dict(manifest))
        self._configs = [copy.deepcopy(dict(c)) for c in configs]
        self._cost = dict(cost or {})
        self._ids = list(norm.columns)
        self._tasks = list(norm.index)
        self._norm = norm.to_numpy(dtype="float64")
        mf_info = self._manifest["metafeatures"]
        self._mf_names = list(mf_info["names"])
        self._mf = metafeatures.loc[self._tasks, self._mf_names].copy()
        self._Z, self._center, self._scale = scale_metafeatures(
            self._mf, mf_info["center"], mf_info["scale"]
        )
        ranking = self._manifest["ranking"]
        self._method = ranking["method"]
        self._k = int(ranking["k_neighbors"])
        self._length = float(ranking["length"])
        weights = ranking.get("metric_weights")
        self._weights = None if weights is None else np.asarray(weights, dtype="float64")
        if self._weights is not None and len(self._weights) != self._Z.shape[1]:
            raise ValueError(
                f"The prior's metric_weights have {len(self._weights)} entries for "
                f"{self._Z.shape[1]} meta-features."
            )
        self._booster = booster
        families = list(self._manifest["families"])
        self._C = config_features(self._configs, families).to_numpy(dtype="float64")
        order = ranking.get("portfolio", [])
        index = {cid: i for i, cid in enumerate(self._ids)}
        self._portfolio = [index[c] for c in order if c in index]
        self._anchors = [index[c] for c in ranking.get("anchors", []) if c in index]
        self._portfolio_size = int(ranking.get("portfolio_size", 16))
        self._families = np.array([c["family"] for c in self._configs])

    # ------------------------------------------------------------------ queries
    @property
    def method(self) -> str:
        """The ranking method chosen by leave-one-task-out when the prior was built."""
        return self._method

    @property
    def meta_features_table(self) -> pd.DataFrame:
        """Meta-features of the prior's tasks (tasks x features; a copy)."""
        return self._mf.copy()

    @property
    def score_table(self) -> pd.DataFrame:
        """Normalised scores (tasks x configuration ids; a copy)."""
        return pd.DataFrame(self._norm, index=self._tasks, columns=self._ids)

    @property
    def configs(self) -> list[dict[str, Any]]:
        """The candidate configurations (copies)."""
        return copy.deepcopy(self._configs)

    def _scaled(self, meta_features: Mapping[str, float]) -> np.ndarray:
        if not isinstance(meta_features, Mapping):
            if hasattr(meta_features, "to_series"):
                meta_features = meta_features.to_series()
            meta_features = dict(meta_features)
        known = sum(1 for name in self._mf_names if name in meta_features)
        if known < 0.5 * len(self._mf_names):
            extractor = self._manifest["metafeatures"].get("extractor")
            warnings.warn(
                f"Only {known} of the prior's {len(self._mf_names)} meta-features were given; "
                "its ranking barely depends on this dataset. Describe the data with the "
                f"extractor the prior was built with ({extractor}).",
                RuntimeWarning,
                stacklevel=3,
            )
        row = metafeature_vector(meta_features, self._mf_names)
        z, _, _ = scale_metafeatures(row, self._center, self._scale)
        return z[0]

    def neighbors(self, meta_features: Mapping[str, float], k: int = 5) -> list[tuple[str, float]]:
        """The ``k`` most similar tasks of the prior, as ``(task name, similarity in [0, 1])``."""
        if not isinstance(k, int) or k < 1:
            raise ValueError(
                f"The 'k' parameter of Prior.neighbors must be an int >= 1. Got {k!r} instead."
            )
        x = self._scaled(meta_features)
        d = scores.distances(x, self._Z, self._weights)
        nn = np.argsort(d, kind="stable")[:k]
        sim = scores.similarities(d[nn], self._length)
        return [(str(self._tasks[i]), float(s)) for i, s in zip(nn, sim, strict=True)]

    def rank(
        self,
        meta_features: Mapping[str, float],
        k: int | None = None,
        families: list[str] | None = None,
    ) -> list[Suggestion]:
        """Candidate configurations, best expected first.

        Parameters
        ----------
        meta_features : mapping of str to float
            Meta-features of the new task (``metafeatures.extract(X, y)``); missing names count
            as average values, unknown names are ignored.
        k : int, optional
            Return only the first ``k`` suggestions (default: all).
        families : list of str, optional
            Only configurations of these model families.

        Returns
        -------
        list of Suggestion
        """
        if k is not None and (not isinstance(k, (int, np.integer)) or k < 1):
            raise ValueError(f"The 'k' parameter of Prior.rank must be an int >= 1. Got {k!r}.")
        x = self._scaled(meta_features)
        expected, spread, _ = scores.knn_predict(
            x, self._Z, self._norm, self._k, self._length, self._weights
        )
        if self._method == "lgbm" and self._booster is not None:
            expected = np.clip(scores.lgbm_predict(self._booster, x, self._C), 0.0, 1.0)
            order = np.argsort(-expected, kind="stable")
        elif self._method == "local_portfolio":
            order = scores.local_portfolio_order(
                x, self._Z, self._norm, self._k, self._length, self._weights, self._portfolio_size
            )
        elif self._method == "portfolio":
            order = np.array(
                self._portfolio
                + [
                    i for i in np.argsort(-expected, kind="stable") if i not in set(self._portfolio)
                ],
                dtype=int,
            )
        elif self._anchors:
            order = scores.anchored_order(expected, self._anchors)
        else:
            order = np.argsort(-expected, kind="stable")
        if families is not None:
            allowed = set(families)
            order = np.array([i for i in order if self._families[i] in allowed], dtype=int)
        if k is not None:
            order = order[:k]
        source = f"prior:{self._method}"
        return [
            Suggestion(
                config=copy.deepcopy(self._configs[i]),
                expected_score=float(expected[i]),
                spread=float(spread[i]),
                source=source,
                config_id=str(self._ids[i]),
                seconds_per_fit=float(self._cost.get(self._ids[i], (np.nan, np.nan))[0]),
                seconds_per_row=float(self._cost.get(self._ids[i], (np.nan, np.nan))[1]),
            )
            for i in order
        ]

    def info(self) -> dict[str, Any]:
        """What the prior holds and how it was built (JSON-serialisable)."""
        m = self._manifest
        counts: dict[str, int] = {}
        for c in self._configs:
            counts[c["family"]] = counts.get(c["family"], 0) + 1
        return {
            "schema_version": m["schema_version"],
            "created": m["created"],
            "build_command": m.get("build_command"),
            "metric": m["metric"],
            "n_tasks": len(self._tasks),
            "n_configs": len(self._configs),
            "n_evaluations": m.get("n_evaluations"),
            "families": counts,
            "ranking_method": self._method,
            "k_neighbors": self._k,
            "ranker": m["ranking"].get("ranker", self._method),
            "learned_metric": self._weights is not None,
            "anchors": list(m["ranking"].get("anchors", [])),
            "leave_one_task_out": copy.deepcopy(m["ranking"].get("loto", {})),
            "metafeature_extractor": m["metafeatures"]["extractor"],
            "n_metafeatures": len(self._mf_names),
            "portfolio": list(m["ranking"].get("portfolio", [])),
            "source": m.get("source"),
            "settings": copy.deepcopy(m.get("settings", {})),
        }

    def __repr__(self) -> str:
        return (
            f"Prior(tasks={len(self._tasks)}, configs={len(self._configs)}, "
            f"method={self._method!r})"
        )
