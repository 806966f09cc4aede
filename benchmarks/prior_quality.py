"""Leave-one-task-out quality of the prior's rankings, from the stored evaluation table.

For each task, rankers built without it order the candidate configurations; we report the
normalised score (1 = best candidate on that task, 0 = worst) of the top-1 suggestion and of the
best of the top 5 and top 10, against baselines given the same budget:

- family defaults: each family's default configuration, ordered by mean normalised score on the
  other tasks (with more budget than defaults, the best of all defaults);
- random order: the expected best of k configurations drawn at random (mean over permutations);
- FLAML-style zero-shot: the configurations ordered by their score on the single nearest task
  in 4 simple meta-features (rows, features, classes, numeric share; log-scaled, standardised).

Usage::

    python benchmarks/prior_quality.py [--table stores/corpus.sqlite | autometa/priors/default]
        [--write-docs docs/prior.md]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout's packages

from autometa.prior import scores  # noqa: E402
from autometa.prior.features import config_features, scale_metafeatures  # noqa: E402
from autometa.prior.fit import (  # noqa: E402
    KNN_CHOICES,
    _anchor_columns,
    _median_distance,
    load_metadata,
    loto_evaluate,
    parse_ranker,
    select_ranker,
)

KS = (1, 5, 10)
START, END = "<!-- prior-quality:start -->", "<!-- prior-quality:end -->"


def _baselines(norm: np.ndarray, configs: list[dict], simple: np.ndarray, rng) -> dict:
    n, m = norm.shape
    from autometa.space import default_configs

    defaults = {json_key(c) for c in default_configs()}
    is_default = np.array([json_key(c) in defaults for c in configs])
    out = {name: np.full((n, len(KS)), np.nan) for name in ["defaults", "random", "zeroshot"]}
    for t in range(n):
        truth = norm[t]
        if np.isnan(truth).all():
            continue
        rest = np.delete(np.arange(n), t)
        mean = np.nanmean(np.nan_to_num(norm[rest], nan=0.0), axis=0)
        order = [i for i in np.argsort(-mean, kind="stable") if is_default[i]]
        q = scores.topk_quality(order, truth, KS)
        out["defaults"][t] = [q[k] for k in KS]
        evaluated = np.flatnonzero(~np.isnan(truth))
        perms = [rng.permutation(evaluated) for _ in range(200)]
        out["random"][t] = [np.mean([truth[p[:k]].max() for p in perms]) for k in KS]
        d = np.sqrt(((simple[rest] - simple[t]) ** 2).sum(axis=1))
        nearest = rest[int(np.argmin(d))]
        order = np.argsort(-np.nan_to_num(norm[nearest], nan=-1.0), kind="stable")
        q = scores.topk_quality(order, truth, KS)
        out["zeroshot"][t] = [q[k] for k in KS]
    return out


def _nested(norm: np.ndarray, Z: np.ndarray, anchors: list[int], ks=KS) -> tuple[np.ndarray, dict]:
    """The selection itself held out: for each task, the ranker (k, distance, anchors or the
    portfolio) is chosen by leave-one-task-out on the *other* tasks only, then applied to it.

    The LightGBM ranker is left out of this loop (refitting it 89 x 88 times takes too long);
    it is never the one selected in the flat leave-one-task-out table either.
    """
    n = len(norm)
    out = np.full((n, len(ks)), np.nan)
    picks: dict[str, int] = {}
    for t in range(n):
        rest = np.delete(np.arange(n), t)
        if np.isnan(norm[t]).all():
            continue
        inner = loto_evaluate(
            norm[rest], Z[rest], None, length=_median_distance(Z[rest]), anchors=anchors, ks=(1, 5)
        )
        summary = {
            m: {"top1": np.nanmean(v[:, 0]), "top5": np.nanmean(v[:, 1])} for m, v in inner.items()
        }
        chosen = select_ranker(summary, list(summary))
        picks[chosen] = picks.get(chosen, 0) + 1
        spec = parse_ranker(chosen)
        weights = scores.metric_weights(Z[rest], norm[rest]) if spec["learned_metric"] else None
        if spec["method"] == "portfolio":
            order = scores.portfolio_order(norm[rest])
        elif spec["method"] == "local_portfolio":
            length = _median_distance(Z[rest], weights)
            order = scores.local_portfolio_order(
                Z[t], Z[rest], norm[rest], spec["k"], length, weights
            )
        else:
            length = _median_distance(Z[rest], weights)
            exp, _, _ = scores.knn_predict(Z[t], Z[rest], norm[rest], spec["k"], length, weights)
            order = (
                scores.anchored_order(exp, anchors)
                if spec["anchored"]
                else np.argsort(-exp, kind="stable")
            )
        q = scores.topk_quality(order, norm[t], ks)
        out[t] = [q[k] for k in ks]
    return out, picks


def _paired(results: dict, ours: str, others: list[str], names: dict) -> pd.DataFrame:
    rows = []
    for other in others:
        row = {"against": names[other]}
        for j, k in enumerate(KS):
            d = results[ours][:, j] - results[other][:, j]
            d = d[~np.isnan(d)]
            w, l_ = int((d > 1e-3).sum()), int((d < -1e-3).sum())
            row[f"top-{k}"] = f"{w} / {len(d) - w - l_} / {l_}"
            row[f"top-{k} mean diff"] = float(d.mean())
        rows.append(row)
    return pd.DataFrame(rows)


BANDS = ((0, 1_000, "< 1k rows"), (1_000, 10_000, "1k-10k rows"), (10_000, None, "10k+ rows"))


def _bands(n_rows: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """``(label, task mask)`` for each size band that holds tasks."""
    out = []
    for lo, hi, label in BANDS:
        mask = (n_rows >= lo) & (n_rows < (hi if hi is not None else np.inf))
        if mask.any():
            out.append((f"{label} ({int(mask.sum())} tasks)", mask))
    return out


def _band_table(results: dict, names: dict, bands: list) -> pd.DataFrame:
    """Top-k of the nested prior (else the best flat ranker) and the baselines, per band."""
    ours = "nested" if "nested" in results else None
    keys = ([ours] if ours else []) + ["defaults", "random", "zeroshot"]
    rows = []
    for label, mask in bands:
        for key in keys:
            v = results[key][mask]
            rows.append(
                {
                    "band": label,
                    "ranker": names[key],
                    **{f"top-{k}": float(np.nanmean(v[:, j])) for j, k in enumerate(KS)},
                }
            )
    return pd.DataFrame(rows)


def _markdown(table: pd.DataFrame) -> str:
    cells = [[str(c) for c in table.columns]] + [
        [f"{v:.3f}" if isinstance(v, float) else str(v) for v in row]
        for row in table.itertuples(index=False)
    ]
    widths = [max(len(r[j]) for r in cells) for j in range(len(cells[0]))]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in cells
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def json_key(config: dict) -> str:
    from autometa.space import config_id

    return config_id(config)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--table", default="stores/corpus.sqlite", help="an evaluation store or a prior folder"
    )
    parser.add_argument("--min-coverage", type=float, default=0.5)
    parser.add_argument("--write-docs", default=None, help="replace the results block of a file")
    parser.add_argument(
        "--no-nested", action="store_true", help="skip the nested selection row (the slow part)"
    )
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    meta = load_metadata(args.table)
    raw = scores.raw_scores(meta["evaluations"], "roc_auc")
    raw = raw.loc[[t for t in raw.index if t in meta["metafeatures"].index]]
    raw = raw.loc[:, raw.notna().mean(axis=0) >= args.min_coverage]
    raw = raw.loc[raw.notna().sum(axis=1) >= 2]
    norm_df = scores.normalised_scores(raw)
    norm = norm_df.to_numpy()
    tasks, ids = list(norm_df.index), list(norm_df.columns)
    configs = [meta["configs"][c] for c in ids]
    mf = meta["metafeatures"].loc[tasks]
    mf = mf.loc[:, mf.notna().any(axis=0)]
    Z, _, _ = scale_metafeatures(mf[sorted(mf.columns)])
    fams = sorted({c["family"] for c in configs})
    C = config_features(configs, fams).to_numpy(dtype="float64")
    anchors = _anchor_columns(configs)
    results = loto_evaluate(norm, Z, C, length=_median_distance(Z), anchors=anchors, ks=KS)
    picks: dict[str, int] = {}
    if not args.no_nested:
        results["nested"], picks = _nested(norm, Z, anchors)
    info = meta["tasks"].set_index("name").loc[tasks]
    share = info["numeric_share"] if "numeric_share" in info else pd.Series(0.5, index=tasks)
    simple = pd.DataFrame(
        {
            "rows": info["n_rows"],
            "features": info["n_features"],
            "classes": info["n_classes"],
            "numeric": share.fillna(0.5),
        }
    )
    S, _, _ = scale_metafeatures(simple)
    results.update(_baselines(norm, configs, S, np.random.default_rng(0)))
    rows = []
    names = {}
    if "nested" in results:
        names["nested"] = "**prior, ranker chosen without the task (nested)**"
    for suffix, tail in (("", ""), ("+anchors", ", then family defaults")):
        for k in KNN_CHOICES:
            names[f"knn{k}{suffix}"] = f"prior: k-NN tasks (k={k}){tail}"
        for k in KNN_CHOICES:
            names[f"wknn{k}{suffix}"] = f"prior: k-NN tasks, learned distance (k={k}){tail}"
    for k in KNN_CHOICES[1:]:
        names[f"lport{k}"] = f"prior: greedy best-of-k portfolio over the k={k} nearest tasks"
    for k in KNN_CHOICES[1:]:
        names[f"wlport{k}"] = (
            f"prior: greedy best-of-k portfolio over the k={k} nearest tasks, learned distance"
        )
    names.update(
        {
            "lgbm": "prior: LightGBM ranker",
            "portfolio": "prior: greedy portfolio",
            "defaults": "family defaults",
            "random": "random order (mean)",
            "zeroshot": "zero-shot, nearest task on 4 features",
        }
    )
    for key, label in names.items():
        v = results[key]
        rows.append(
            {
                "ranker": label,
                **{f"top-{k}": np.nanmean(v[:, j]) for j, k in enumerate(KS)},
                "top-1 median": np.nanmedian(v[:, 0]),
            }
        )
    table = pd.DataFrame(rows)
    bands = _bands(info["n_rows"].to_numpy())
    band_table = _band_table(results, names, bands)
    fam_counts = pd.Series([c["family"] for c in configs]).value_counts().to_dict()
    elapsed = time.perf_counter() - t0
    header = (
        f"Leave-one-task-out over {len(tasks)} tasks x {len(ids)} configurations "
        f"({', '.join(f'{k} {v}' for k, v in sorted(fam_counts.items()))}); "
        f"{int(len(meta['evaluations']))} stored evaluations from `{args.table}`; metric "
        f"ROC AUC, normalised per task over these configurations (1 = best, 0 = worst); "
        f"meta-features: {meta['extractor']}. Benchmark time {elapsed:.0f} s."
    )
    text = _markdown(table)
    if "nested" in results:
        text += (
            "\n\nThe nested prior against each baseline, task by task (wins / ties / losses; a tie "
        )
        text += "is a difference of at most 0.001):\n\n"
        text += _markdown(_paired(results, "nested", ["defaults", "random", "zeroshot"], names))
    text += (
        "\n\nBy size band (task rows; mean over the band's held-out tasks of the best "
        "normalised score in the top k):\n\n" + _markdown(band_table)
    )
    if picks:
        text += (
            "\n\nRanker chosen by the nested selection (number of held-out tasks): "
            + ", ".join(f"`{k}` {v}" for k, v in sorted(picks.items(), key=lambda kv: -kv[1]))
            + "."
        )
    sys.stdout.write(header + "\n\n" + text + "\n")
    if args.write_docs:
        path = Path(args.write_docs)
        doc = path.read_text(encoding="utf-8") if path.exists() else f"{START}\n{END}\n"
        block = f"{START}\n{header}\n\n{text}\n{END}"
        if START in doc:
            doc = re.sub(
                re.escape(START) + ".*?" + re.escape(END), lambda _: block, doc, flags=re.S
            )
        else:
            doc += "\n" + block + "\n"
        path.write_text(doc, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
