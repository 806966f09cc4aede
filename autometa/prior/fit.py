"""Fitting a prior from an evaluation store (or from a prior's own evaluation table)."""

from __future__ import annotations

import datetime as _dt
import json
import logging
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from autometa.prior import scores
from autometa.prior.artifact import FORMAT, SCHEMA_VERSION, write_files
from autometa.prior.features import (
    config_features,
    extract_metafeatures,
    extractor_name,
    scale_metafeatures,
)

__all__ = ["fit_prior", "load_metadata", "loto_evaluate", "parse_ranker", "select_ranker"]

logger = logging.getLogger(__name__)

KNN_CHOICES = (1, 3, 5, 10, 20)
TOPK = (1, 5, 10)


def load_metadata(source: str | Path, *, random_state: int = 0) -> dict[str, Any]:
    """Evaluations, configurations, tasks and meta-features from a store or a prior folder.

    From a SQLite store, meta-features missing for the current extractor are computed from the
    store's prepared task tables (all rows of each task) and cached in the store.
    """
    path = Path(source)
    if path.is_dir():
        configs = {
            c["config_id"]: {"family": c["family"], "params": c["params"]}
            for c in json.loads((path / "configs.json").read_text(encoding="utf-8"))
        }
        settings, src = {}, str(path)
        if (path / "manifest.json").is_file():
            old = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
            settings, src = old.get("settings", {}), old.get("source", src)
        mf_file = path / "metafeatures.parquet"
        return {
            "evaluations": pd.read_parquet(path / "evaluations.parquet"),
            "configs": configs,
            "tasks": pd.read_csv(path / "tasks.csv"),
            "metafeatures": pd.read_parquet(mf_file) if mf_file.is_file() else pd.DataFrame(),
            "extractor": (
                json.loads((path / "manifest.json").read_text())["metafeatures"]["extractor"]
                if (path / "manifest.json").is_file()
                else "unknown"
            ),
            "settings": settings,
            "source": src,
        }
    from autometa.metatrain.store import EvalStore

    if not path.is_file():
        raise FileNotFoundError(f"No evaluation store or prior folder at {str(path)!r}.")
    extractor = extractor_name()
    with EvalStore(path) as store:
        tasks = store.tasks()
        have = store.metafeatures(extractor)
        for row in tasks.itertuples():
            if row.name in have.index:
                continue
            frame = pd.read_parquet(row.data_path)
            X = frame.drop(columns=["__y__", "__fold__"])
            try:
                values = extract_metafeatures(
                    X, frame["__y__"].to_numpy(), random_state=random_state
                )
            except Exception as exc:  # one task's failure leaves the others usable
                logger.warning("Meta-features of task %s failed: %s", row.name, exc)
                continue
            store.set_metafeatures(row.name, values, extractor)
        tasks = tasks.assign(numeric_share=[_numeric_share(p) for p in tasks["data_path"]])
        return {
            "evaluations": store.evaluations(),
            "configs": store.configs(),
            "tasks": tasks.drop(columns=["data_path", "added"], errors="ignore"),
            "metafeatures": store.metafeatures(extractor),
            "extractor": extractor,
            "settings": store.get_meta("settings") or {},
            "source": str(path),
        }


def _numeric_share(path: str) -> float:
    """Share of numeric columns of a prepared task table (from its Parquet schema)."""
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
    except (OSError, ValueError):
        return float("nan")
    cols = [f for f in schema if f.name not in {"__y__", "__fold__"}]
    numeric = [f for f in cols if str(f.type).startswith(("double", "float", "int"))]
    return len(numeric) / max(1, len(cols))


def loto_evaluate(
    norm: np.ndarray,
    Z: np.ndarray,
    C: np.ndarray | None,
    *,
    k_neighbors: Sequence[int] = KNN_CHOICES,
    length: float = 1.0,
    portfolio_size: int = 16,
    anchors: Sequence[int] = (),
    random_state: int = 0,
    ks: Sequence[int] = TOPK,
) -> dict[str, np.ndarray]:
    """Leave-one-task-out quality of each ranker: best normalised score in the top ``k``.

    Returns ``{ranker: array of shape (n_tasks, len(ks))}`` for ``knn<k>`` (each k, plain
    Euclidean distance), ``wknn<k>`` (the learned meta-feature weights of
    :func:`scores.metric_weights`, refitted without the held-out task), each also
    ``+anchors`` when ``anchors`` (column indices of the family defaults) are given,
    ``lport<k>`` / ``wlport<k>`` (a greedy best-of-k portfolio over the k nearest tasks,
    :func:`scores.local_portfolio_order`, plain or learned distance), ``portfolio`` (one
    global greedy portfolio), and ``lgbm`` (when ``C`` is given).
    """
    n = norm.shape[0]
    names = [f"{m}{k}" for m in ("knn", "wknn") for k in k_neighbors]
    if len(anchors):
        names += [f"{m}+anchors" for m in list(names)]
    names += [f"{m}{k}" for m in ("lport", "wlport") for k in k_neighbors if k > 1]
    out: dict[str, np.ndarray] = {m: np.full((n, len(ks)), np.nan) for m in names}
    out["portfolio"] = np.full((n, len(ks)), np.nan)
    if C is not None:
        out["lgbm"] = np.full((n, len(ks)), np.nan)
    for t in range(n):
        rest = np.delete(np.arange(n), t)
        truth = norm[t]
        if np.isnan(truth).all():
            continue
        weights = scores.metric_weights(Z[rest], norm[rest])
        wlength = _median_distance(Z[rest], weights)
        for prefix, w, scale in (("knn", None, length), ("wknn", weights, wlength)):
            for k in k_neighbors:
                exp, _, _ = scores.knn_predict(Z[t], Z[rest], norm[rest], k, scale, w)
                q = scores.topk_quality(np.argsort(-exp, kind="stable"), truth, ks)
                out[f"{prefix}{k}"][t] = [q[j] for j in ks]
                if k > 1:
                    order = scores.local_portfolio_order(
                        Z[t], Z[rest], norm[rest], k, scale, w, portfolio_size
                    )
                    q = scores.topk_quality(order, truth, ks)
                    out[f"{prefix.replace('knn', 'lport')}{k}"][t] = [q[j] for j in ks]
                if len(anchors):
                    q = scores.topk_quality(scores.anchored_order(exp, anchors), truth, ks)
                    out[f"{prefix}{k}+anchors"][t] = [q[j] for j in ks]
        order = scores.portfolio_order(norm[rest], portfolio_size)
        q = scores.topk_quality(order, truth, ks)
        out["portfolio"][t] = [q[j] for j in ks]
        if C is not None:
            booster = scores.lgbm_fit(Z[rest], C, norm[rest], random_state)
            pred = scores.lgbm_predict(booster, Z[t], C)
            q = scores.topk_quality(np.argsort(-pred, kind="stable"), truth, ks)
            out["lgbm"][t] = [q[j] for j in ks]
    return out


def parse_ranker(name: str) -> dict[str, Any]:
    """``"wknn10+anchors"`` -> ``{"method": "knn", "k": 10, "learned_metric": True,
    "anchored": True}`` (``"lgbm"`` and ``"portfolio"`` have ``k = None``)."""
    anchored = name.endswith("+anchors")
    base = name.removesuffix("+anchors")
    if base.startswith(("lport", "wlport")):
        learned = base.startswith("wlport")
        return {
            "method": "local_portfolio",
            "k": int(base.removeprefix("wlport" if learned else "lport")),
            "learned_metric": learned,
            "anchored": False,
        }
    if base.startswith(("knn", "wknn")):
        learned = base.startswith("wknn")
        return {
            "method": "knn",
            "k": int(base.removeprefix("wknn" if learned else "knn")),
            "learned_metric": learned,
            "anchored": anchored,
        }
    return {"method": base, "k": None, "learned_metric": False, "anchored": anchored}


def select_ranker(summary: dict[str, dict[str, float]], candidates: Sequence[str]) -> str:
    """The ranker with the best mean of top-1 and top-5 normalised score (ties: the simpler
    one, then the smaller k)."""

    def key(m: str) -> tuple[float, int, int]:
        spec = parse_ranker(m)
        simple = -int(spec["learned_metric"]) - int(spec["anchored"])
        return (summary[m]["top1"] + summary[m]["top5"], simple, -(spec["k"] or 0))

    return max(candidates, key=key)


def _median_distance(Z: np.ndarray, weights: np.ndarray | None = None) -> float:
    sq = (Z[:, None, :] - Z[None, :, :]) ** 2
    if weights is not None:
        sq = sq * weights
    d = np.sqrt(sq.sum(axis=2))
    upper = d[np.triu_indices(len(Z), 1)]
    return float(np.median(upper)) if len(upper) else 1.0


def fit_prior(
    source: str | Path,
    out_dir: str | Path,
    *,
    metric: str = "roc_auc",
    method: str = "auto",
    min_coverage: float = 0.5,
    portfolio_size: int = 16,
    exclude_tasks: Sequence[str] = (),
    build_command: str | None = None,
    random_state: int = 0,
) -> Path:
    """Fit a prior from an evaluation store (or a prior folder) and write the artifact.

    Parameters
    ----------
    source : str or Path
        A SQLite evaluation store made by :func:`autometa.metatrain.run_evaluations`, or a
        prior folder (re-fit from its evaluation table, no evaluation re-run).
    out_dir : str or Path
        The artifact folder (created; files in it are replaced).
    metric : {"roc_auc", "accuracy"}, default="roc_auc"
    method : {"auto", "knn", "local_portfolio", "lgbm", "portfolio"}, default="auto"
        The ranker; ``"auto"`` picks the best by leave-one-task-out (mean of the best
        normalised score in the top 1 and the top 5) and records the figures. For ``"knn"``
        (and ``"auto"``), leave-one-task-out also chooses k, the distance (plain Euclidean or
        with learned meta-feature weights) and whether the family defaults follow the first
        suggestion (see :func:`autometa.prior.scores.anchored_order`).
    min_coverage : float, default=0.5
        Keep configurations evaluated on at least this share of the tasks (a run in progress
        covers its last configurations only partly).
    portfolio_size : int, default=16
    exclude_tasks : list of str
        Tasks left out (for leave-one-task-out benchmarks).
    build_command : str, optional
        Recorded in the manifest (default: this process's command line).
    random_state : int, default=0

    Returns
    -------
    Path
        The artifact folder.
    """
    if metric not in {"roc_auc", "accuracy"}:
        raise ValueError(
            f"The 'metric' parameter of fit_prior must be 'roc_auc' or 'accuracy'. Got {metric!r}."
        )
    if method not in {"auto", "knn", "local_portfolio", "lgbm", "portfolio"}:
        raise ValueError(
            "The 'method' parameter of fit_prior must be one of 'auto', 'knn', "
            f"'local_portfolio', 'lgbm', 'portfolio'. Got {method!r} instead."
        )
    from autometa.space import FAMILIES

    meta = load_metadata(source, random_state=random_state)
    ev = meta["evaluations"]
    ev = ev[~ev["task"].isin(set(exclude_tasks))]
    mf_all = meta["metafeatures"]
    raw = scores.raw_scores(ev, metric)
    raw = raw.loc[[t for t in raw.index if t in mf_all.index]]
    coverage = raw.notna().mean(axis=0)
    raw = raw.loc[:, coverage >= min_coverage]
    raw = raw.loc[raw.notna().sum(axis=1) >= 2]
    if raw.shape[0] < 3 or raw.shape[1] < 2:
        raise ValueError(
            f"Not enough evaluations to fit a prior: {raw.shape[0]} tasks x {raw.shape[1]} "
            "configurations are complete (need at least 3 x 2)."
        )
    norm_df = scores.normalised_scores(raw)
    tasks, ids = list(norm_df.index), list(norm_df.columns)
    norm = norm_df.to_numpy()
    mf = mf_all.loc[tasks]
    mf = mf.loc[:, mf.notna().any(axis=0)]
    mf = mf[sorted(mf.columns)]
    Z, center, scale = scale_metafeatures(mf)
    length = _median_distance(Z)
    fam_order = [f for f in FAMILIES] + sorted(
        {c["family"] for c in meta["configs"].values()} - set(FAMILIES)
    )
    configs = [meta["configs"][c] for c in ids]
    C = config_features(configs, fam_order).to_numpy(dtype="float64")
    anchors = _anchor_columns(configs)
    loto = loto_evaluate(
        norm,
        Z,
        C if method in {"auto", "lgbm"} else None,
        length=length,
        portfolio_size=portfolio_size,
        anchors=anchors,
        random_state=random_state,
    )
    summary = {
        m: {f"top{k}": float(np.nanmean(v[:, j])) for j, k in enumerate(TOPK)}
        for m, v in loto.items()
    }
    knn_names = [m for m in summary if parse_ranker(m)["method"] == "knn"]
    local_names = [m for m in summary if parse_ranker(m)["method"] == "local_portfolio"]
    if method == "auto":
        chosen = select_ranker(summary, [*knn_names, *local_names, "portfolio", "lgbm"])
    elif method == "knn":
        chosen = select_ranker(summary, knn_names)
    elif method == "local_portfolio":
        chosen = select_ranker(summary, local_names)
    else:
        chosen = method
    spec = parse_ranker(chosen)
    knn_best = (
        chosen
        if spec["method"] in {"knn", "local_portfolio"}
        else select_ranker(summary, knn_names)
    )
    knn_spec = parse_ranker(knn_best)
    weights = scores.metric_weights(Z, norm) if knn_spec["learned_metric"] else None
    if weights is not None:
        length = _median_distance(Z, weights)
    files: dict[str, Any] = {
        "evaluations.parquet": lambda p: ev.to_parquet(p, index=False, compression="zstd"),
        "configs.json": lambda p: Path(p).write_text(
            json.dumps([{"config_id": k, **v} for k, v in meta["configs"].items()], indent=1)
        ),
        "tasks.csv": lambda p: meta["tasks"].to_csv(p, index=False),
        "metafeatures.parquet": lambda p: mf_all.to_parquet(p, compression="zstd"),
    }
    model_file = None
    if chosen == "lgbm":
        booster = scores.lgbm_fit(Z, C, norm, random_state)
        model_file = "ranker.lgbm.txt"
        text = booster.model_to_string()
        files[model_file] = lambda p: Path(p).write_text(text, encoding="utf-8")
    portfolio = [ids[i] for i in scores.greedy_portfolio(norm, portfolio_size)]
    manifest = {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "autometa_version": _version(),
        "build_command": build_command or " ".join(shlex.quote(a) for a in sys.argv),
        "source": meta["source"],
        "settings": meta["settings"],
        "metric": metric,
        "n_evaluations": int(len(ev)),
        "tasks": tasks,
        "configs": ids,
        "families": fam_order,
        "metafeatures": {
            "extractor": meta["extractor"],
            "names": list(mf.columns),
            "transform": "signed_log1p",
            "center": [float(v) for v in center],
            "scale": [float(v) for v in scale],
        },
        "ranking": {
            "method": spec["method"],
            "ranker": chosen,
            "k_neighbors": int(knn_spec["k"]),
            "length": length,
            "metric_weights": None if weights is None else [float(v) for v in weights],
            "anchors": [ids[i] for i in anchors] if spec["anchored"] else [],
            "portfolio": portfolio,
            "portfolio_size": int(portfolio_size),
            "model_file": model_file,
            "loto": summary,
            "selection": "mean over held-out tasks of top1 + top5 normalised score",
        },
    }
    out = Path(out_dir)
    write_files(out, files, manifest)
    return out


def _anchor_columns(configs: Sequence[dict[str, Any]]) -> list[int]:
    """Columns of the candidates that are a model family's default configuration."""
    from autometa.space import config_id, default_configs

    defaults = {config_id(c) for c in default_configs()}
    return [i for i, c in enumerate(configs) if config_id(c) in defaults]


def _version() -> str:
    from autometa import __version__

    return __version__
