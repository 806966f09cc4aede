"""Synthetic task prior: random MLP/SCM, random tree-ensemble and linear generators.

Every generator returns ``(x, y, is_cat, n_levels)`` with ``x`` float64 (categorical
columns as integer codes, NaN for missing) and ``y`` integer class ids.
"""

from __future__ import annotations

import numpy as np

_ACTIVATIONS = (
    np.tanh,
    lambda a: np.maximum(a, 0.0),
    lambda a: np.where(a > 0, a, 0.1 * a),
    np.sin,
    np.abs,
    lambda a: a,
    lambda a: 1.0 / (1.0 + np.exp(-a)),
    lambda a: np.clip(a, -3, 3) ** 2,
)


def _inputs(rng: np.random.Generator, n: int, p: int) -> np.ndarray:
    kind = rng.integers(3)
    if kind == 0:
        z = rng.normal(size=(n, p))
    elif kind == 1:
        z = rng.uniform(-1.7, 1.7, size=(n, p))
    else:  # clustered inputs
        k = int(rng.integers(2, 6))
        centers = rng.normal(scale=2.0, size=(k, p))
        z = centers[rng.integers(k, size=n)] + rng.normal(size=(n, p))
    return z


def _to_classes(score: np.ndarray, rng: np.random.Generator, n_classes: int) -> np.ndarray:
    """Discretise a continuous score into classes at random quantiles."""
    cuts = np.sort(rng.uniform(0.05, 0.95, size=n_classes - 1))
    if rng.random() < 0.5:  # balanced-ish
        cuts = np.linspace(0, 1, n_classes + 1)[1:-1] + rng.normal(scale=0.03, size=n_classes - 1)
    return np.searchsorted(np.quantile(score, np.clip(np.sort(cuts), 0.01, 0.99)), score)


def _labels_from_outputs(out: np.ndarray, rng: np.random.Generator, n_classes: int) -> np.ndarray:
    if n_classes == 2 or rng.random() < 0.5 or out.shape[1] < n_classes:
        return _to_classes(out[:, 0], rng, n_classes)
    logits = out[:, :n_classes]
    logits = (logits - logits.mean(0)) / (logits.std(0) + 1e-9)
    temp = np.exp(rng.uniform(np.log(0.05), np.log(1.0)))
    return np.argmax(logits + temp * rng.gumbel(size=logits.shape), axis=1)


def sample_mlp_task(rng: np.random.Generator, n: int, p: int, n_classes: int):
    """A random MLP seen as a structural causal model; features and target are nodes."""
    n_layers = int(rng.integers(1, 5))
    width = int(max(rng.integers(4, 48), int(np.ceil((p + n_classes) / n_layers)) + 1))
    z = _inputs(rng, n, width)
    act = _ACTIVATIONS[int(rng.integers(len(_ACTIVATIONS)))]
    noise = np.exp(rng.uniform(np.log(1e-3), np.log(0.5)))
    sparsity = rng.uniform(0.3, 1.0)
    nodes = []
    h = z
    for _ in range(n_layers):
        w = rng.normal(size=(width, width)) * (rng.random((width, width)) < sparsity)
        w /= np.sqrt(max(1.0, sparsity * width))
        h = act(h @ w + rng.normal(scale=0.5, size=width)) + noise * rng.normal(size=(n, width))
        h = (h - h.mean(0)) / (h.std(0) + 1e-9)
        nodes.append(h)
    allnodes = np.concatenate(nodes, axis=1)
    if rng.random() < 0.3:  # root causes can be observed too
        allnodes = np.concatenate([z, allnodes], axis=1)
    order = rng.permutation(allnodes.shape[1])
    # target from the last layer more often than not
    last = np.arange(allnodes.shape[1] - width, allnodes.shape[1])
    tgt = (
        rng.choice(last, size=min(n_classes, width), replace=False)
        if rng.random() < 0.7
        else (order[: min(n_classes, len(order) - 1)])
    )
    feat_pool = np.setdiff1d(order, tgt, assume_unique=False)
    feats = rng.permutation(feat_pool)[:p]
    y = _labels_from_outputs(allnodes[:, tgt], rng, n_classes)
    return allnodes[:, feats], y


def sample_tree_task(rng: np.random.Generator, n: int, p: int, n_classes: int):
    """A random ensemble of axis-aligned trees with random leaf logits."""
    x = _inputs(rng, n, p)
    if p > 1 and rng.random() < 0.5:  # correlated features
        x = x @ (np.eye(p) + rng.normal(scale=0.5, size=(p, p)) * (rng.random((p, p)) < 0.3))
    n_trees = int(rng.integers(1, 12))
    depth_max = int(rng.integers(1, 6))
    n_rel = int(rng.integers(1, p + 1))
    relevant = rng.choice(p, size=n_rel, replace=False)
    logits = np.zeros((n, n_classes))
    for _ in range(n_trees):
        depth = int(rng.integers(1, depth_max + 1))
        node = np.zeros(n, dtype=np.int64)
        for _ in range(depth):
            feat = relevant[rng.integers(n_rel, size=2**depth)]
            thr_q = rng.uniform(0.1, 0.9, size=2**depth)
            f = feat[node]
            thr = np.array([np.quantile(x[:, j], q) for j, q in zip(feat, thr_q, strict=True)])
            node = 2 * node + (x[np.arange(n), f] > thr[node]).astype(np.int64)
            node = node % (2**depth)
        leaves = rng.normal(size=(2**depth, n_classes))
        logits += leaves[node]
    logits /= np.sqrt(n_trees)
    temp = np.exp(rng.uniform(np.log(0.02), np.log(0.7)))
    y = np.argmax(logits + temp * rng.gumbel(size=logits.shape), axis=1)
    return x, y


def sample_linear_task(rng: np.random.Generator, n: int, p: int, n_classes: int):
    """A (multinomial) logistic model with a few relevant features."""
    x = _inputs(rng, n, p)
    n_rel = int(rng.integers(1, p + 1))
    w = np.zeros((p, n_classes))
    rel = rng.choice(p, size=n_rel, replace=False)
    w[rel] = rng.normal(size=(n_rel, n_classes))
    logits = x @ w / np.sqrt(n_rel) * np.exp(rng.uniform(np.log(0.5), np.log(6.0)))
    y = np.argmax(logits + rng.gumbel(size=logits.shape), axis=1)
    return x, y


GENERATORS = {"mlp": sample_mlp_task, "tree": sample_tree_task, "linear": sample_linear_task}


def _postprocess(x: np.ndarray, rng: np.random.Generator, many_levels: float = 0.0):
    """Monotone distortions, categorical columns and missing values.

    A categorical column has 2 to 10 levels, or (with probability ``many_levels``) 11 to
    40, log-uniformly: more levels than support rows of a class, as in real data where a
    column names an instructor, a make or a judge.
    """
    n, p = x.shape
    x = x.copy()
    for j in range(p):
        u = rng.random()
        if u < 0.1:
            x[:, j] = np.exp(np.clip(x[:, j], -6, 6))
        elif u < 0.15:
            x[:, j] = x[:, j] ** 3
        elif u < 0.25:
            x[:, j] = np.round(x[:, j] * rng.uniform(0.5, 3))
        x[:, j] = x[:, j] * np.exp(rng.normal(scale=2)) + rng.normal(scale=3)
    is_cat = np.zeros(p, dtype=bool)
    n_levels = np.zeros(p, dtype=np.int64)
    if rng.random() < 0.35:
        frac = rng.uniform(0.1, 1.0)
        for j in np.flatnonzero(rng.random(p) < frac):
            if many_levels > 0 and rng.random() < many_levels:
                k = int(np.round(np.exp(rng.uniform(np.log(11), np.log(40)))))
            else:
                k = int(rng.integers(2, 11))
            cuts = np.quantile(x[:, j], np.sort(rng.uniform(0, 1, size=k - 1)))
            codes = rng.permutation(k)[np.searchsorted(cuts, x[:, j])]
            x[:, j] = codes
            is_cat[j] = True
            n_levels[j] = k
    if rng.random() < 0.3:
        rate = rng.uniform(0.01, 0.3)
        cols = rng.random(p) < rng.uniform(0.2, 1.0)
        x[(rng.random((n, p)) < rate) & cols[None, :]] = np.nan
    return x, is_cat, n_levels


def sample_synthetic_task(
    rng: np.random.Generator,
    n: int,
    *,
    max_features: int = 100,
    max_classes: int = 10,
    many_levels: float = 0.0,
    many_classes: float = 0.0,
):
    """Draw one synthetic classification task.

    Tasks have 2 to ``min(max_classes, 10)`` classes (2 in 45% of them); with
    ``max_classes > 10``, a share ``many_classes`` of them has 11 to ``max_classes`` instead.

    Returns
    -------
    x : ndarray (n, p); y : ndarray (n,); is_cat, n_levels : ndarray (p,); kind : str
    """
    p = int(np.clip(np.round(np.exp(rng.uniform(0, np.log(max_features)))), 1, max_features))
    if max_classes > 10 and many_classes > 0 and rng.random() < many_classes:
        n_classes = int(rng.integers(11, max_classes + 1))
    else:
        n_classes = 2 if rng.random() < 0.45 else int(rng.integers(2, min(max_classes, 10) + 1))
    kind = ("mlp", "tree", "linear")[int(rng.choice(3, p=[0.45, 0.35, 0.2]))]
    x, y = GENERATORS[kind](rng, n, p, n_classes)
    if p > 2 and rng.random() < 0.3:  # pure-noise features
        k = int(rng.integers(1, max(2, p // 2)))
        x[:, rng.choice(p, size=k, replace=False)] = rng.normal(size=(n, k))
    x, is_cat, n_levels = _postprocess(x, rng, many_levels)
    return x, y.astype(np.int64), is_cat, n_levels, kind
