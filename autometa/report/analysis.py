"""What autometa makes of a dataset before fitting: meta-features, the prior's view, the
tiny-data rule."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from autometa.report.profile import DatasetProfile, profile_dataset

__all__ = [
    "DatasetReport",
    "FallbackDecision",
    "MetaFeatureGroup",
    "Projection",
    "Recommendation",
    "analyze_dataset",
    "fallback_decision",
    "project_tasks",
]

logger = logging.getLogger(__name__)

#: Rows at or below which ``AutoMetaClassifier(fewshot="auto")`` uses the few-shot learner, when
#: :mod:`autometa.estimator` does not define ``FEWSHOT_MAX_ROWS`` itself.
DEFAULT_FEWSHOT_MAX_ROWS = 200


@dataclass(frozen=True)
class MetaFeatureGroup:
    """Meta-features of one group, with the seconds the group took (None when unknown)."""

    name: str
    values: dict[str, float]
    seconds: float | None = None
    descriptions: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Recommendation:
    """A configuration the prior recommends, with its expected normalised score (0 = worst,
    1 = best of the candidates on a task) and that score's spread across the nearest tasks."""

    family: str
    params: dict[str, Any]
    expected_score: float
    spread: float
    source: str = ""
    config_id: str = ""

    @property
    def params_text(self) -> str:
        return json.dumps(self.params, sort_keys=True, default=str)


@dataclass(frozen=True)
class FallbackDecision:
    """Whether ``AutoMetaClassifier(fewshot="auto")`` would hand this data to the few-shot
    learner, and why."""

    used: bool
    n_rows: int
    threshold: int
    reason: str


@dataclass(frozen=True)
class Projection:
    """A 2-D PCA map of the prior's tasks by meta-features, and where this dataset falls."""

    tasks: list[str]
    points: np.ndarray  # (n_tasks, 2)
    point: np.ndarray  # (2,)
    explained: tuple[float, float]
    n_features: int


@dataclass
class DatasetReport:
    """Everything ``autometa report`` shows about one dataset.

    Attributes
    ----------
    profile : DatasetProfile
    metafeature_groups : list of MetaFeatureGroup
        Empty when no meta-features could be computed (see ``notes``).
    neighbors : list of (str, float)
        The prior's most similar tasks and their similarity in [0, 1].
    recommendations : list of Recommendation
    projection : Projection or None
    fallback : FallbackDecision
    prior_info : dict or None
        :meth:`autometa.prior.Prior.info` of the prior used, ``None`` without one.
    notes : list of str
        What could not be computed, and why.
    """

    profile: DatasetProfile
    metafeature_groups: list[MetaFeatureGroup]
    neighbors: list[tuple[str, float]]
    recommendations: list[Recommendation]
    projection: Projection | None
    fallback: FallbackDecision
    prior_info: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- the rule
def _fewshot_max_rows() -> int:
    try:
        from autometa import estimator
    except ImportError:  # pragma: no cover - the estimator always ships
        return DEFAULT_FEWSHOT_MAX_ROWS
    return int(getattr(estimator, "FEWSHOT_MAX_ROWS", DEFAULT_FEWSHOT_MAX_ROWS))


def fallback_decision(n_rows: int, fewshot: Any = "auto") -> FallbackDecision:
    """Whether the tiny-data fallback applies to a training set of ``n_rows`` rows.

    The rule of :class:`autometa.AutoMetaClassifier`: with ``fewshot="auto"``, the few-shot
    learner is the model (no search) for training sets of at most
    ``autometa.estimator.FEWSHOT_MAX_ROWS`` rows.

    Parameters
    ----------
    n_rows : int
        Rows of the training set (rows with a label).
    fewshot : {"auto", True, False}, default="auto"
        The ``fewshot`` parameter of :class:`autometa.AutoMetaClassifier`.
    """
    from autometa import space

    threshold = _fewshot_max_rows()
    if fewshot is False:
        return FallbackDecision(False, n_rows, threshold, "is not used: fewshot=False")
    if "fewshot" not in space.FAMILIES:
        reason = "is not available in this installation, so it would not be used"
        return FallbackDecision(False, n_rows, threshold, reason)
    if fewshot is True:
        return FallbackDecision(True, n_rows, threshold, "would be used: fewshot=True")
    if n_rows <= threshold:
        reason = f"would be used because the data has {n_rows} <= {threshold} rows"
        return FallbackDecision(True, n_rows, threshold, reason)
    reason = f"would not be used because the data has {n_rows} > {threshold} rows"
    return FallbackDecision(False, n_rows, threshold, reason)


# --------------------------------------------------------------------------- meta-features
def _feature_records() -> list[Any]:
    try:
        import metafeatures

        listing = metafeatures.list_features()
    except Exception:  # noqa: BLE001 - a registry not built yet only costs the descriptions
        return []
    if isinstance(listing, pd.DataFrame):
        return listing.to_dict("records")
    return list(listing)


def _record_field(record: Any, key: str) -> Any:
    if isinstance(record, Mapping):
        return record.get(key)
    return getattr(record, key, None)


def _groups_of(mf: Any, names: list[str]) -> dict[str, list[str]]:
    """Group -> feature names, from the result's ``groups`` or the feature registry."""
    groups: dict[str, list[str]] = {}
    declared = getattr(mf, "groups", None)
    if isinstance(declared, Mapping) and declared:
        values = list(declared.values())
        if all(isinstance(v, str) for v in values):  # name -> group
            for name, group in declared.items():
                groups.setdefault(str(group), []).append(str(name))
        else:  # group -> names (or group -> {name: value})
            for group, members in declared.items():
                groups[str(group)] = [str(m) for m in members]
    if not groups:
        for record in _feature_records():
            name, group = _record_field(record, "name"), _record_field(record, "group")
            if name in names and group is not None:
                groups.setdefault(str(group), []).append(str(name))
    seen = {n for members in groups.values() for n in members}
    rest = [n for n in names if n not in seen]
    if rest:
        groups.setdefault("other" if groups else "all", []).extend(rest)
    return groups


def _timings_of(mf: Any) -> dict[str, float]:
    for attr in ("timings", "times", "group_times", "seconds"):
        value = getattr(mf, attr, None)
        if isinstance(value, Mapping):
            return {str(k): float(v) for k, v in value.items()}
    return {}


def _as_dict(mf: Any) -> dict[str, float]:
    if hasattr(mf, "to_series"):
        mf = mf.to_series()
    out = {}
    for k, v in dict(mf).items():
        try:
            out[str(k)] = float(v)
        except (TypeError, ValueError):
            out[str(k)] = math.nan
    return out


def _full_metafeatures(
    Xt: pd.DataFrame, yc: np.ndarray, random_state: int, notes: list[str]
) -> tuple[dict[str, float] | None, list[MetaFeatureGroup]]:
    try:
        import metafeatures

        extract = metafeatures.extract
    except (ImportError, AttributeError):
        notes.append(
            "The metafeatures package (metafeatures.extract) is not importable; only the "
            "prior's basic meta-features are shown."
        )
        return None, []
    try:
        mf = extract(Xt, yc, random_state=random_state)
    except Exception as exc:  # noqa: BLE001 - the report shows what it can
        logger.warning("metafeatures.extract failed", exc_info=True)
        notes.append(f"metafeatures.extract failed ({type(exc).__name__}: {exc}).")
        return None, []
    values = _as_dict(mf)
    timings = _timings_of(mf)
    descriptions = {}
    for record in _feature_records():
        name, text = _record_field(record, "name"), _record_field(record, "description")
        if name in values and text:
            descriptions[str(name)] = str(text)
    groups = [
        MetaFeatureGroup(
            name=group,
            values={n: values[n] for n in members if n in values},
            seconds=timings.get(group),
            descriptions={n: descriptions[n] for n in members if n in descriptions},
        )
        for group, members in _groups_of(mf, list(values)).items()
    ]
    return values, [g for g in groups if g.values]


# --------------------------------------------------------------------------- projection
def _signed_log(values: np.ndarray) -> np.ndarray:
    return np.sign(values) * np.log1p(np.abs(values))


def project_tasks(table: pd.DataFrame, meta_features: Mapping[str, float]) -> Projection | None:
    """PCA of the tasks' meta-features, and this dataset's place on the first two components.

    Each meta-feature is signed-log transformed (``sign(x) log(1 + |x|)``, as counts span
    orders of magnitude), standardised over the tasks, and missing values are imputed with the
    tasks' mean (0 after standardising). Constant features are dropped. The components are
    fitted on the tasks only; the dataset is projected onto them.

    Returns None when there are fewer than 3 tasks or 2 usable meta-features.
    """
    names = list(table.columns)
    A = _signed_log(table.to_numpy(dtype="float64"))
    x = _signed_log(
        np.array([float(meta_features.get(n, math.nan)) for n in names], dtype="float64")
    )
    with np.errstate(all="ignore"):
        mean = np.nanmean(A, axis=0)
        sd = np.nanstd(A, axis=0)
    keep = np.isfinite(mean) & np.isfinite(sd) & (sd > 1e-12)
    if len(table) < 3 or keep.sum() < 2:
        return None
    Z = np.nan_to_num((A[:, keep] - mean[keep]) / sd[keep], nan=0.0, posinf=0.0, neginf=0.0)
    z = np.nan_to_num((x[keep] - mean[keep]) / sd[keep], nan=0.0, posinf=0.0, neginf=0.0)
    z = np.clip(z, -10, 10)
    center = Z.mean(axis=0)
    _, S, Vt = np.linalg.svd(Z - center, full_matrices=False)
    components = Vt[:2]
    # A deterministic sign: each component's largest loading is positive.
    signs = np.sign(components[np.arange(2), np.abs(components).argmax(axis=1)])
    components = components * np.where(signs == 0, 1.0, signs)[:, None]
    total = float((S**2).sum()) or 1.0
    return Projection(
        tasks=[str(t) for t in table.index],
        points=(Z - center) @ components.T,
        point=(z - center) @ components.T,
        explained=(float(S[0] ** 2 / total), float(S[1] ** 2 / total) if len(S) > 1 else 0.0),
        n_features=int(keep.sum()),
    )


# --------------------------------------------------------------------------- the report
def _query_features(
    prior: Any, full: dict[str, float] | None, Xt: pd.DataFrame, yc: np.ndarray, seed: int
) -> dict[str, float]:
    """Meta-features of this dataset as the prior's tasks were described."""
    from autometa.prior.features import extract_metafeatures, simple_metafeatures

    extractor = str(prior.info().get("metafeature_extractor", ""))
    if extractor.startswith("fallback"):
        return simple_metafeatures(Xt, yc)
    if full is not None:
        return full
    return extract_metafeatures(Xt, yc, random_state=seed)


def analyze_dataset(
    X: Any,
    y: Any,
    *,
    name: str = "data",
    target: str | None = None,
    prior: Any = "default",
    random_state: int = 0,
    n_neighbors: int = 5,
    n_recommendations: int = 8,
    fewshot: Any = "auto",
) -> DatasetReport:
    """Profile a dataset and ask the prior about it, as ``AutoMetaClassifier.fit`` would.

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_rows, n_columns)
    y : array-like of shape (n_rows,)
        Class labels; rows with a missing label are counted in the profile and left out of
        the meta-features.
    name : str, default="data"
        Where the data came from (shown in the title).
    target : str, optional
        Name of the class column.
    prior : "default", str, path or None, default="default"
        The prior to ask (``None``: no prior sections).
    random_state : int, default=0
        Seed of the meta-feature extraction.
    n_neighbors : int, default=5
        Nearest tasks to list.
    n_recommendations : int, default=8
        Recommended configurations to list.
    fewshot : {"auto", True, False}, default="auto"
        As in :class:`autometa.AutoMetaClassifier`, for the tiny-data rule.

    Returns
    -------
    DatasetReport

    Raises
    ------
    autometa.PriorError
        If an explicitly given prior cannot be loaded (the default prior only adds a note).
    """
    from autometa import space
    from autometa.data import TableEncoder
    from autometa.exceptions import AutoMetaError

    profile = profile_dataset(X, y, name=name, target=target)
    notes: list[str] = []
    labels = pd.Series(np.asarray(y, dtype=object))
    keep = labels.notna().to_numpy()
    n_labelled = int(keep.sum())
    fallback = fallback_decision(n_labelled, fewshot)
    report = DatasetReport(profile, [], [], [], None, fallback, None, notes)
    if profile.n_missing_labels:
        notes.append(
            f"{profile.n_missing_labels} row(s) have no label; they are left out of the "
            "meta-features (AutoMetaClassifier.fit rejects missing labels)."
        )
    if profile.n_classes < 2:
        notes.append("The target has fewer than 2 classes: there is nothing to classify.")
        return report
    frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X))
    frame = frame.loc[keep].reset_index(drop=True) if not keep.all() else frame
    Xt = TableEncoder().fit_transform(frame)
    _, yc = np.unique(labels[keep].astype(str).to_numpy(), return_inverse=True)
    full, report.metafeature_groups = _full_metafeatures(Xt, yc, random_state, notes)
    if prior is None:
        return report
    from autometa.prior import load_prior

    try:
        loaded = load_prior(prior)
    except (AutoMetaError, OSError) as exc:
        if str(prior) != "default":
            raise
        notes.append(f"The default prior could not be loaded ({exc}).")
        return report
    report.prior_info = loaded.info()
    query = _query_features(loaded, full, Xt, yc, random_state)
    if not report.metafeature_groups:
        report.metafeature_groups = [MetaFeatureGroup("basic (the prior's)", dict(query))]
    n_tasks = int(report.prior_info.get("n_tasks", 0))
    report.neighbors = loaded.neighbors(query, k=max(1, min(n_neighbors, n_tasks or 1)))
    families = space.family_names(n_rows=n_labelled)
    if fewshot is False:
        families = [f for f in families if f != "fewshot"]
    report.recommendations = [
        Recommendation(
            family=s.config["family"],
            params=dict(s.config.get("params", {})),
            expected_score=float(s.expected_score),
            spread=float(s.spread),
            source=str(s.source),
            config_id=str(getattr(s, "config_id", "")),
        )
        for s in loaded.rank(query, k=n_recommendations, families=families)
    ]
    report.projection = project_tasks(loaded.meta_features_table, query)
    return report
