"""Meta-features of a task for the prior, and the encoding of configurations as features.

Meta-features come from the standalone ``metafeatures`` package (``metafeatures.extract``).
When it is not installed, a few general features computed here stand in for it; the artifact
records which extractor made its table, and a prior only compares features of the same name.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "config_features",
    "extract_metafeatures",
    "extractor_name",
    "scale_metafeatures",
    "simple_metafeatures",
]


def extractor_name() -> str:
    """``"metafeatures-<version>"`` when the package is importable, else ``"fallback-1"``."""
    try:
        import metafeatures
    except ImportError:
        return "fallback-1"
    if not hasattr(metafeatures, "extract"):
        from autometa.exceptions import AutoMetaError

        raise AutoMetaError(
            f"The module imported as 'metafeatures' ({getattr(metafeatures, '__file__', '?')}) "
            "is not the meta-feature library: another file or folder of that name shadows it "
            "on sys.path (for example a script named metafeatures.py beside the one you run)."
        )
    # the feature list's hash: a store's cached values are reused only for the same features
    try:
        names = "\n".join(map(str, metafeatures.list_features()["name"]))
    except Exception:
        names = ""
    digest = hashlib.sha1(names.encode()).hexdigest()[:8]
    return f"metafeatures-{getattr(metafeatures, '__version__', '0')}-{digest}"


def extract_metafeatures(X: Any, y: Any, random_state: int = 0) -> dict[str, float]:
    """Meta-features of ``(X, y)`` as a name -> float mapping (see :func:`extractor_name`)."""
    if extractor_name().startswith("metafeatures-"):
        import metafeatures

        result = metafeatures.extract(X, y, random_state=random_state)
        if hasattr(result, "to_series"):
            result = result.to_series()
        return {str(k): _float(v) for k, v in dict(result).items()}
    return simple_metafeatures(X, y)


def _float(value: Any) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return float("nan")
    return out if np.isfinite(out) else float("nan")


def simple_metafeatures(X: Any, y: Any) -> dict[str, float]:
    """A few general meta-features: size, shape, types, missing values, class balance."""
    frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X))
    labels = pd.Series(np.asarray(y)).astype(str)
    n, d = frame.shape
    numeric = [
        c
        for c in frame.columns
        if not isinstance(frame[c].dtype, pd.CategoricalDtype)
        and pd.api.types.is_numeric_dtype(frame[c].dtype)
    ]
    shares = labels.value_counts(normalize=True).to_numpy()
    entropy = float(-(shares * np.log2(shares)).sum())
    skews = []
    for c in numeric[:200]:
        v = pd.to_numeric(frame[c], errors="coerce").dropna()
        if len(v) > 2 and v.std() > 0:
            skews.append(abs(float(v.skew())))
    return {
        "n_rows": float(n),
        "n_features": float(d),
        "n_classes": float(len(shares)),
        "numeric_share": len(numeric) / max(1, d),
        "missing_share": float(frame.isna().to_numpy().mean()) if d else 0.0,
        "class_entropy": entropy / max(1.0, np.log2(len(shares))),
        "minority_share": float(shares.min()),
        "dimensionality": d / max(1, n),
        "mean_abs_skew": float(np.mean(skews)) if skews else 0.0,
    }


def _signed_log(values: np.ndarray) -> np.ndarray:
    return np.sign(values) * np.log1p(np.abs(values))


def scale_metafeatures(
    table: pd.DataFrame,
    center: Sequence[float] | None = None,
    scale: Sequence[float] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Signed-log transform then standardise; missing values become 0 (the mean).

    Returns the scaled matrix and the ``center`` and ``scale`` used (computed when not given).
    """
    raw = _signed_log(table.to_numpy(dtype="float64"))
    if center is None or scale is None:
        with np.errstate(all="ignore"):
            center = np.nan_to_num(np.nanmean(raw, axis=0))
            scale = np.nan_to_num(np.nanstd(raw, axis=0))
        scale = np.where(scale > 1e-12, scale, 1.0)
    center, scale = np.asarray(center, dtype="float64"), np.asarray(scale, dtype="float64")
    out = np.nan_to_num((raw - center) / scale, nan=0.0, posinf=0.0, neginf=0.0)
    return np.clip(out, -10, 10), center, scale


def metafeature_vector(values: Mapping[str, float], names: Sequence[str]) -> pd.DataFrame:
    """One row of the named meta-features (missing names are NaN, extra names ignored)."""
    row = {n: _float(values.get(n, float("nan"))) for n in names}
    return pd.DataFrame([row], columns=list(names))


def config_features(configs: Sequence[Mapping[str, Any]], families: Sequence[str]) -> pd.DataFrame:
    """Configurations as a numeric table: the family's index and one column per parameter.

    Numbers stay numbers (log10 for positive parameters spanning more than two decades),
    booleans are 0/1, strings their rank among the values seen; another family's parameters
    are NaN. Deterministic in the configurations, so the table is rebuilt at load time.
    """
    cols: dict[str, list[Any]] = {}
    for i, cfg in enumerate(configs):
        for name, value in cfg["params"].items():
            cols.setdefault(f"{cfg['family']}:{name}", [None] * len(configs))[i] = value
    out: dict[str, Any] = {
        "family": [families.index(c["family"]) if c["family"] in families else -1 for c in configs]
    }
    for key in sorted(cols):
        values = cols[key]
        present = [v for v in values if v is not None]
        if all(isinstance(v, bool) for v in present):
            out[key] = [np.nan if v is None else float(v) for v in values]
        elif all(isinstance(v, (int, float)) for v in present):
            arr = np.array([np.nan if v is None else float(v) for v in values])
            pos = arr[~np.isnan(arr)]
            if len(pos) and pos.min() > 0 and pos.max() / pos.min() > 100:
                arr = np.log10(arr)
            out[key] = arr
        else:
            levels = sorted({str(v) for v in present})
            out[key] = [np.nan if v is None else float(levels.index(str(v))) for v in values]
    return pd.DataFrame(out)
