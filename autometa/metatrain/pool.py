"""The candidate pool of meta-training: space-filling configurations over every model family.

Each family's part of the pool is, in evaluation order: the family's default, the
configurations of an earlier pool (so earlier evaluations stay comparable), a few hand-set
configurations for large tables (many trees and leaves; HistGradientBoosting stops early by
itself above 10,000 rows), then scrambled Sobol points of the family's own search space drawn
through Optuna's :class:`~optuna.samplers.QMCSampler`. The Sobol points come from the same
``suggest`` code as the search, so every candidate is a point the search can reach.
"""

from __future__ import annotations

import json
import warnings
import zlib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "LARGE_DATA_CONFIGS",
    "POOL_SIZES",
    "candidate_pool",
    "family_counts",
    "pool_configs",
]

#: Configurations per family (default, earlier pool and large-data ones included); 306 in all.
POOL_SIZES: dict[str, int] = {
    "lightgbm": 66,
    "hist_gradient_boosting": 50,
    "random_forest": 34,
    "extra_trees": 34,
    "mlp": 42,
    "svc": 30,
    "knn": 24,
    "logistic_regression": 20,
    "fewshot": 6,
}

#: Points of the LightGBM and HistGradientBoosting spaces meant for large tables.
LARGE_DATA_CONFIGS: list[dict[str, Any]] = [
    {"family": "lightgbm", "params": {
        "n_estimators": 1024, "learning_rate": 0.03, "num_leaves": 256, "min_child_samples": 20,
        "subsample": 0.8, "colsample_bytree": 0.8, "reg_alpha": 1e-8, "reg_lambda": 1.0}},
    {"family": "lightgbm", "params": {
        "n_estimators": 1024, "learning_rate": 0.05, "num_leaves": 128, "min_child_samples": 50,
        "subsample": 0.7, "colsample_bytree": 0.5, "reg_alpha": 1e-8, "reg_lambda": 0.1}},
    {"family": "lightgbm", "params": {
        "n_estimators": 512, "learning_rate": 0.1, "num_leaves": 256, "min_child_samples": 100,
        "subsample": 1.0, "colsample_bytree": 0.7, "reg_alpha": 0.01, "reg_lambda": 1e-8}},
    {"family": "lightgbm", "params": {
        "n_estimators": 1024, "learning_rate": 0.02, "num_leaves": 64, "min_child_samples": 20,
        "subsample": 0.9, "colsample_bytree": 0.9, "reg_alpha": 1e-8, "reg_lambda": 1e-8}},
    {"family": "hist_gradient_boosting", "params": {
        "learning_rate": 0.05, "max_iter": 1000, "max_leaf_nodes": 128, "min_samples_leaf": 20,
        "l2_regularization": 1.0, "max_features": 1.0}},
    {"family": "hist_gradient_boosting", "params": {
        "learning_rate": 0.1, "max_iter": 1000, "max_leaf_nodes": 256, "min_samples_leaf": 50,
        "l2_regularization": 1e-8, "max_features": 0.7}},
    {"family": "hist_gradient_boosting", "params": {
        "learning_rate": 0.03, "max_iter": 1000, "max_leaf_nodes": 64, "min_samples_leaf": 100,
        "l2_regularization": 0.1, "max_features": 0.8}},
]  # fmt: skip


def _sobol(family: str, n: int, random_state: int, seen: set[str]) -> list[dict[str, Any]]:
    """Up to ``n`` new Sobol points of one family's space (ids in ``seen`` are skipped)."""
    import optuna

    from autometa.space import FAMILIES, _jsonable, _Prefixed, config_id

    seed = (random_state * 1_000_003 + zlib.crc32(family.encode())) % (2**31)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        sampler = optuna.samplers.QMCSampler(
            qmc_type="sobol", scramble=True, seed=seed, warn_independent_sampling=False
        )
    study = optuna.create_study(sampler=sampler)
    out: list[dict[str, Any]] = []
    for _ in range(20 * n + 20):
        if len(out) >= n:
            break
        trial = study.ask()
        cfg = {
            "family": family,
            "params": _jsonable(FAMILIES[family].suggest(_Prefixed(trial, family))),
        }
        study.tell(trial, 0.0)
        cid = config_id(cfg)
        if cid not in seen:
            seen.add(cid)
            out.append(cfg)
    return out


def candidate_pool(
    sizes: Mapping[str, int] | None = None,
    *,
    keep: Iterable[Mapping[str, Any]] = (),
    random_state: int = 0,
) -> list[tuple[str, dict[str, Any], int]]:
    """``(config_id, config, rank_in_family)`` of the candidate pool, family by family.

    Parameters
    ----------
    sizes : mapping of family name to int, optional
        Configurations per family (default :data:`POOL_SIZES`). A family's default, its
        ``keep`` configurations and its :data:`LARGE_DATA_CONFIGS` are always included, even
        past its size; Sobol points fill the rest.
    keep : iterable of configurations
        Configurations to keep (an earlier pool), ranked right after the defaults.
    random_state : int, default=0
        Seeds the scrambling of each family's Sobol sequence.
    """
    import optuna

    from autometa.space import FAMILIES, _jsonable, config_id, default_configs

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sizes = dict(POOL_SIZES if sizes is None else sizes)
    unknown = sorted(set(sizes) - set(FAMILIES))
    if unknown:
        raise ValueError(
            f"Unknown model families {unknown}. Expected names among {sorted(FAMILIES)}."
        )
    kept = [{"family": c["family"], "params": _jsonable(dict(c["params"]))} for c in keep]
    out: list[tuple[str, dict[str, Any], int]] = []
    for family, size in sizes.items():
        fixed = default_configs([family])
        fixed += [c for c in kept if c["family"] == family]
        fixed += [c for c in LARGE_DATA_CONFIGS if c["family"] == family]
        chosen, seen = [], set()
        for cfg in fixed:
            cid = config_id(cfg)
            if cid not in seen:
                seen.add(cid)
                chosen.append(cfg)
        chosen += _sobol(family, max(0, int(size) - len(chosen)), random_state, seen)
        out.extend((config_id(c), c, rank) for rank, c in enumerate(chosen))
    return out


def pool_configs(path: str | Path) -> list[dict[str, Any]]:
    """The configurations of a prior folder's ``configs.json`` (or of such a file)."""
    p = Path(path)
    if p.is_dir():
        p = p / "configs.json"
    rows = json.loads(p.read_text())
    return [{"family": r["family"], "params": r["params"]} for r in rows]


def family_counts(planned: Sequence[tuple[str, dict[str, Any], int]]) -> dict[str, int]:
    """How many configurations of each family a pool holds."""
    counts: dict[str, int] = {}
    for _, cfg, _ in planned:
        counts[cfg["family"]] = counts.get(cfg["family"], 0) + 1
    return counts
