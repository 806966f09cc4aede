"""Summaries of per-column values and small numeric helpers shared by the groups."""

from __future__ import annotations

import numpy as np

NAN = float("nan")


def summarise(
    base: str, values: np.ndarray, summaries: tuple[str, ...] = ("mean", "sd")
) -> dict[str, float]:
    """``{base.mean: ..., base.sd: ...}`` over the finite entries of ``values``.

    Undefined entries (NaN, e.g. the skewness of a constant column) are left out; a
    summary of no value, or the standard deviation of a single value, is NaN.
    """
    v = np.asarray(values, dtype=np.float64).ravel()
    v = v[np.isfinite(v)]
    out = {}
    for s in summaries:
        if s == "mean":
            r = v.mean() if v.size else NAN
        elif s == "sd":
            r = v.std(ddof=1) if v.size > 1 else NAN
        elif s == "min":
            r = v.min() if v.size else NAN
        elif s == "max":
            r = v.max() if v.size else NAN
        else:  # pragma: no cover - programming error
            raise ValueError(f"Unknown summary {s!r}.")
        out[f"{base}.{s}"] = float(r)
    return out


def nan_dict(names: list[str] | tuple[str, ...]) -> dict[str, float]:
    """All ``names`` mapped to NaN (a group whose features are undefined here)."""
    return dict.fromkeys(names, NAN)


def ratio(num: float, den: float) -> float:
    """``num / den``, NaN when the denominator is zero or either side is undefined."""
    if den == 0 or not np.isfinite(den) or not np.isfinite(num):
        return NAN
    return float(num / den)


def entropy_terms(counts: np.ndarray) -> np.ndarray:
    """Elementwise ``c * log2(c)`` with ``0 log 0 = 0``."""
    c = np.asarray(counts, dtype=np.float64)
    out = np.zeros_like(c)
    pos = c > 0
    out[pos] = c[pos] * np.log2(c[pos])
    return out


def segment_entropy(counts: np.ndarray, starts: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """Shannon entropy (bits) of consecutive segments of a flat count vector.

    Parameters
    ----------
    counts : ndarray of shape (n_cells,)
        Counts; segment ``i`` is ``counts[starts[i]:starts[i+1]]``.
    starts : ndarray of shape (n_segments,)
        Start of each segment (strictly increasing; every segment non-empty).
    totals : ndarray of shape (n_segments,)
        Sum of each segment's counts.
    """
    s = np.add.reduceat(entropy_terms(counts), starts)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(totals > 0, np.log2(np.maximum(totals, 1)) - s / totals, np.nan)
