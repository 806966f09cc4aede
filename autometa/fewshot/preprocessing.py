"""Feature encoding shared by meta-training and inference.

The network sees, for every row, ``max_features`` values and ``max_features`` missing flags.
:func:`encode_features` turns a support and a query matrix (float, categorical columns as
integer codes, NaN for missing) into that form, using statistics of the support rows only.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

TRANSFORMS = ("robust", "quantile")
ONEHOT_MAX_LEVELS = 5


@dataclass(frozen=True)
class EncodingPlan:
    """How one ensemble member encodes the columns (drawn once, applied to any rows).

    Attributes
    ----------
    columns : ndarray of int
        Original columns used, in the order presented to the network.
    transform : str
        ``"robust"`` (median/IQR standardisation, clipped) or ``"quantile"``
        (support ranks mapped to normal scores).
    level_perms : dict
        For each categorical column, a permutation of its level codes.
    onehot : frozenset
        Categorical columns expanded to one-hot indicators.
    """

    columns: np.ndarray
    transform: str
    level_perms: dict
    onehot: frozenset


def make_plan(
    is_cat: np.ndarray,
    n_levels: np.ndarray,
    rng: np.random.Generator,
    *,
    max_features: int,
    transform: str | None = None,
    shuffle: bool = True,
    candidates: np.ndarray | None = None,
) -> EncodingPlan:
    """Draw a random encoding plan: feature subset/order, level order, transform."""
    p = len(is_cat)
    cols = np.arange(p) if candidates is None else np.asarray(candidates)
    if shuffle:
        cols = rng.permutation(cols)
    # keep the encoded width within max_features: one-hot only while there is room
    onehot = []
    width = 0
    chosen = []
    for j in cols:
        if width >= max_features:
            break
        k = int(n_levels[j]) if is_cat[j] else 0
        if (
            is_cat[j]
            and 3 <= k <= ONEHOT_MAX_LEVELS
            and width + k <= max_features
            and (rng.random() < 0.5 if shuffle else True)
        ):
            onehot.append(int(j))
            width += k
        else:
            width += 1
        chosen.append(int(j))
    perms = {
        int(j): rng.permutation(max(int(n_levels[j]), 1))
        if shuffle
        else np.arange(max(int(n_levels[j]), 1))
        for j in chosen
        if is_cat[j]
    }
    if transform is None:
        transform = TRANSFORMS[int(rng.integers(len(TRANSFORMS)))]
    return EncodingPlan(np.asarray(chosen, dtype=np.int64), transform, perms, frozenset(onehot))


def _expand(x: np.ndarray, plan: EncodingPlan, n_levels: np.ndarray) -> np.ndarray:
    blocks = []
    for j in plan.columns:
        col = x[:, j]
        if j in plan.level_perms:
            perm = plan.level_perms[j]
            codes = np.where(np.isnan(col), -1, col).astype(np.int64)
            codes = np.where((codes >= 0) & (codes < len(perm)), codes, -1)
            mapped = np.where(codes >= 0, perm[np.maximum(codes, 0)], -1)
            if j in plan.onehot:
                k = int(n_levels[j])
                onehot = (mapped[:, None] == np.arange(k)[None, :]).astype(np.float64)
                onehot[mapped < 0] = np.nan
                blocks.append(onehot)
                continue
            blocks.append(np.where(mapped >= 0, mapped, np.nan).astype(np.float64)[:, None])
        else:
            blocks.append(col[:, None])
    if not blocks:
        return np.zeros((x.shape[0], 0))
    return np.concatenate(blocks, axis=1)


def _robust(s: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        med = np.nanmedian(s, axis=0)
        q75, q25 = np.nanpercentile(s, [75, 25], axis=0)
        std = np.nanstd(s, axis=0)
    scale = (q75 - q25) / 1.349
    scale = np.where(scale > 1e-8, scale, std)
    scale = np.where(scale > 1e-8, scale, 1.0)
    med = np.where(np.isfinite(med), med, 0.0)

    def f(a: np.ndarray) -> np.ndarray:
        z = (a - med) / scale
        return np.clip(z, -5.0, 5.0)

    return f(s), f(q)


def _quantile(s: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from scipy.special import ndtri

    out_s = np.full_like(s, np.nan)
    out_q = np.full_like(q, np.nan)
    for j in range(s.shape[1]):
        ref = np.sort(s[:, j][~np.isnan(s[:, j])])
        n = len(ref)
        if n == 0:
            continue
        for src, dst in ((s, out_s), (q, out_q)):
            a = src[:, j]
            ok = ~np.isnan(a)
            lo = np.searchsorted(ref, a[ok], side="left")
            hi = np.searchsorted(ref, a[ok], side="right")
            u = (0.5 * (lo + hi) + 0.5) / (n + 1.0)
            dst[ok, j] = ndtri(u)
    return out_s, out_q


def encode_features(
    x_support: np.ndarray,
    x_query: np.ndarray,
    plan: EncodingPlan,
    n_levels: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Encode support and query rows with a plan, using support statistics only.

    Returns
    -------
    vs, ms : ndarray of shape (n_support, n_used), float32
        Values (0 where missing) and missing flags of the support rows.
    vq, mq : ndarray of shape (n_query, n_used), float32
        The same for the query rows.
    """
    s = _expand(np.asarray(x_support, dtype=np.float64), plan, n_levels)
    q = _expand(np.asarray(x_query, dtype=np.float64), plan, n_levels)
    ms, mq = np.isnan(s), np.isnan(q)
    # drop columns constant (or all missing) on the support rows
    with np.errstate(all="ignore"):
        lo = np.where(ms, np.inf, s).min(axis=0) if len(s) else np.zeros(s.shape[1])
        hi = np.where(ms, -np.inf, s).max(axis=0) if len(s) else np.zeros(s.shape[1])
    varying = (hi > lo) | (ms.any(axis=0) & ~ms.all(axis=0))
    s, q, ms, mq = s[:, varying], q[:, varying], ms[:, varying], mq[:, varying]
    if s.shape[1] == 0:
        pass
    elif plan.transform == "quantile":
        s, q = _quantile(s, q)
    else:
        s, q = _robust(s, q)
    s = np.where(ms, 0.0, s)
    q = np.where(mq, 0.0, q)
    s = np.nan_to_num(s, nan=0.0, posinf=5.0, neginf=-5.0)
    q = np.nan_to_num(q, nan=0.0, posinf=5.0, neginf=-5.0)
    f32 = np.float32
    return s.astype(f32), ms.astype(f32), q.astype(f32), mq.astype(f32)


def pad_features(v: np.ndarray, m: np.ndarray, max_features: int) -> tuple[np.ndarray, np.ndarray]:
    """Zero-pad to ``max_features`` columns and rescale by ``sqrt(max_features / n_used)``."""
    n, used = v.shape
    if used > max_features:
        raise ValueError(f"Got {used} encoded features, more than max_features={max_features}.")
    out_v = np.zeros((n, max_features), dtype=np.float32)
    out_m = np.zeros((n, max_features), dtype=np.float32)
    if used:
        out_v[:, :used] = v * np.float32(np.sqrt(max_features / used))
        out_m[:, :used] = m
    return out_v, out_m
