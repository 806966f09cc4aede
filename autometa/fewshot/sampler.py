"""Episodes for meta-learning: a :class:`TaskSampler` over synthetic and corpus tasks.

An :class:`Episode` is one few-shot task (raw support/query rows); a :class:`Batch` stacks
encoded episodes of equal shape for a network. Methods other than in-context learning
(MAML, Reptile, prototypical networks) can consume either.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from autometa.fewshot.preprocessing import (
    ONEHOT_MAX_LEVELS,
    encode_features,
    make_plan,
    pad_features,
)
from autometa.fewshot.prior import sample_synthetic_task

IGNORE_INDEX = -100


@dataclass
class Episode:
    """One task: support and query rows (float, categorical as codes, NaN missing)."""

    x_support: np.ndarray
    y_support: np.ndarray
    x_query: np.ndarray
    y_query: np.ndarray  # IGNORE_INDEX for classes absent from the support rows
    is_cat: np.ndarray
    n_levels: np.ndarray
    n_classes: int
    source: str


@dataclass
class Batch:
    """Encoded episodes of one shape, as numpy arrays (see ``to_torch``)."""

    xs: np.ndarray  # (B, Ns, F) float32
    ms: np.ndarray  # (B, Ns, F) float32 missing flags
    ys: np.ndarray  # (B, Ns) int64
    xq: np.ndarray  # (B, Nq, F)
    mq: np.ndarray  # (B, Nq, F)
    yq: np.ndarray  # (B, Nq) int64, IGNORE_INDEX where unknown
    n_classes: np.ndarray  # (B,) int64
    sources: list = field(default_factory=list)

    def to_torch(self, device="cpu") -> dict:
        import torch

        names = ("xs", "ms", "ys", "xq", "mq", "yq", "n_classes")
        return {k: torch.as_tensor(getattr(self, k), device=device) for k in names}


def _relabel(ys: np.ndarray, yq: np.ndarray, rng: np.random.Generator, max_classes: int):
    """Randomly renumber the support classes 0..K-1 (at most max_classes of them)."""
    present = np.unique(ys)
    if len(present) > max_classes:
        raise ValueError("too many classes")
    mapping = np.full(int(max(ys.max(), yq.max())) + 1, IGNORE_INDEX, dtype=np.int64)
    mapping[present] = rng.permutation(len(present))
    return mapping[ys], mapping[yq], len(present)


class SyntheticSource:
    """Tasks from the synthetic prior (:mod:`autometa.fewshot.prior`)."""

    name = "synthetic"

    def __init__(
        self,
        max_features: int = 100,
        max_classes: int = 10,
        many_levels: float = 0.0,
        many_classes: float = 0.0,
    ) -> None:
        self.max_features = max_features
        self.max_classes = max_classes
        self.many_levels = many_levels  # share of categorical columns with 11-40 levels
        self.many_classes = many_classes  # share of tasks with more than 10 classes

    def sample(self, rng: np.random.Generator, n_support: int, n_query: int) -> Episode:
        for _ in range(20):
            x, y, is_cat, n_levels, kind = sample_synthetic_task(
                rng,
                n_support + n_query,
                max_features=self.max_features,
                max_classes=self.max_classes,
                many_levels=self.many_levels,
                many_classes=self.many_classes,
            )
            ys, yq, k = _relabel(y[:n_support], y[n_support:], rng, self.max_classes)
            if k >= 2:
                return Episode(
                    x[:n_support], ys, x[n_support:], yq, is_cat, n_levels, k, f"synthetic:{kind}"
                )
        raise RuntimeError("the synthetic prior kept producing single-class tasks")


class CorpusSource:
    """Row subsamples of real datasets (each ``(name, x, y, is_cat, n_levels)``)."""

    name = "corpus"

    def __init__(self, datasets: list, max_classes: int = 10) -> None:
        self.datasets = datasets
        self.max_classes = max_classes

    def sample(self, rng: np.random.Generator, n_support: int, n_query: int) -> Episode | None:
        need = n_support + n_query
        ok = [d for d in self.datasets if len(d[2]) >= need]
        if not ok:
            return None
        name, x, y, is_cat, n_levels = ok[int(rng.integers(len(ok)))]
        classes = np.unique(y)
        if len(classes) > self.max_classes:
            keep = rng.choice(classes, size=self.max_classes, replace=False)
            rows = np.flatnonzero(np.isin(y, keep))
            if len(rows) < need:
                return None
        else:
            rows = np.arange(len(y))
        rows = rng.choice(rows, size=need, replace=False)
        cols = np.arange(x.shape[1])
        if len(cols) > 1 and rng.random() < 0.3:
            cols = np.sort(
                rng.choice(cols, size=int(rng.integers(1, len(cols) + 1)), replace=False)
            )
        xs, xr = x[rows[:n_support]][:, cols], x[rows[n_support:]][:, cols]
        ys, yq, k = _relabel(y[rows[:n_support]], y[rows[n_support:]], rng, self.max_classes)
        if k < 2:
            return None
        return Episode(xs, ys, xr, yq, is_cat[cols], n_levels[cols], k, f"corpus:{name}")


class TaskSampler:
    """Draws episodes from weighted sources, and encoded batches of them.

    Parameters
    ----------
    sources : list of (source, weight)
        Objects with ``sample(rng, n_support, n_query) -> Episode | None``.
    max_features, max_classes : int
        Width of the encoded rows and largest number of classes.
    support_range : (int, int)
        Support sizes are drawn log-uniformly in this range.
    n_query : int
        Query rows per episode.
    tokens_per_batch : int
        Batch size is about ``tokens_per_batch / (n_support + n_query)`` (4 to 32).
    """

    def __init__(
        self,
        sources,
        *,
        max_features=100,
        max_classes=10,
        support_range=(8, 256),
        n_query=64,
        tokens_per_batch=3072,
        onehot_max_levels=ONEHOT_MAX_LEVELS,
    ) -> None:
        self.sources = sources
        self.onehot_max_levels = onehot_max_levels
        self.max_features = max_features
        self.max_classes = max_classes
        self.support_range = support_range
        self.n_query = n_query
        self.tokens_per_batch = tokens_per_batch

    def sample_episode(self, rng: np.random.Generator, n_support: int, n_query: int) -> Episode:
        weights = np.array([w for _, w in self.sources], dtype=float)
        for _ in range(50):
            src = self.sources[int(rng.choice(len(weights), p=weights / weights.sum()))][0]
            ep = src.sample(rng, n_support, n_query)
            if ep is not None:
                return ep
        return self.sources[0][0].sample(rng, n_support, n_query)

    def encode(self, ep: Episode, rng: np.random.Generator):
        plan = make_plan(
            ep.is_cat,
            ep.n_levels,
            rng,
            max_features=self.max_features,
            onehot_max_levels=self.onehot_max_levels,
        )
        vs, ms, vq, mq = encode_features(ep.x_support, ep.x_query, plan, ep.n_levels)
        xs, ms = pad_features(vs, ms, self.max_features)
        xq, mq = pad_features(vq, mq, self.max_features)
        return xs, ms, xq, mq

    def sample_batch(
        self, rng: np.random.Generator, batch_size: int | None = None, n_support: int | None = None
    ) -> Batch:
        lo, hi = self.support_range
        if n_support is None:
            n_support = int(round(math.exp(rng.uniform(math.log(lo), math.log(hi)))))
        if batch_size is None:
            batch_size = int(np.clip(self.tokens_per_batch // (n_support + self.n_query), 4, 32))
        eps = [self.sample_episode(rng, n_support, self.n_query) for _ in range(batch_size)]
        return self.collate(eps, rng)

    def collate(self, eps: list, rng: np.random.Generator) -> Batch:
        enc = [self.encode(ep, rng) for ep in eps]
        return Batch(
            xs=np.stack([e[0] for e in enc]),
            ms=np.stack([e[1] for e in enc]),
            ys=np.stack([ep.y_support for ep in eps]),
            xq=np.stack([e[2] for e in enc]),
            mq=np.stack([e[3] for e in enc]),
            yq=np.stack([ep.y_query for ep in eps]),
            n_classes=np.array([ep.n_classes for ep in eps], dtype=np.int64),
            sources=[ep.source for ep in eps],
        )


# --- the corpus split -------------------------------------------------------------------


def corpus_split(name: str) -> str:
    """Fixed split of a corpus dataset by a hash of its name.

    Returns ``"train"`` (40%), ``"validation"`` (10%) or ``"heldout"`` (50%, benchmark only).
    """
    h = int(hashlib.sha256(name.encode()).hexdigest(), 16) % 10
    return "heldout" if h < 5 else ("validation" if h == 9 else "train")


def load_corpus(
    root: str | Path, split: str | None = None, *, max_rows: int = 5000, seed: int = 0
) -> list:
    """Load corpus datasets as ``(name, x, y, is_cat, n_levels)`` tuples.

    Parameters
    ----------
    root : path
        Folder with ``manifest.csv`` and the ARFF files.
    split : {"train", "validation", "heldout"}, optional
        Only datasets of this split (see :func:`corpus_split`).
    max_rows : int
        Larger datasets are subsampled to this many rows (fixed seed).
    """
    import pandas as pd

    from autometa.fewshot._arff import frame_to_codes, load_dataset

    root = Path(root)
    manifest = pd.read_csv(root / "manifest.csv")
    rng = np.random.default_rng(seed)
    out = []
    for row in manifest.itertuples():
        if split is not None and corpus_split(row.name) != split:
            continue
        X, y = load_dataset(root / row.file, row.target)
        x, is_cat, n_levels = frame_to_codes(X)
        codes = pd.Categorical(y.astype(str)).codes.astype(np.int64)
        if len(codes) > max_rows:
            idx = np.sort(rng.choice(len(codes), size=max_rows, replace=False))
            x, codes = x[idx], codes[idx]
        out.append((row.name, x, codes, is_cat, n_levels))
    return out
