"""Shallow CART classification trees, grown level by level with numpy.

The landmarkers need dozens of depth-1 to depth-3 trees per dataset; growing them here
avoids sklearn's per-fit overhead, which dominates on small data. The trees follow
sklearn's ``DecisionTreeClassifier`` (Gini criterion, best split, float32 features,
thresholds half-way between consecutive values more than 1e-7 apart, pure or single-row
nodes left as leaves). One difference: when two features give exactly the same
impurity decrease, sklearn keeps the first in a random feature order, this code the
lowest feature index.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_FEATURE_THRESHOLD = 1e-7  # sklearn's minimal gap between values to split between
_CELLS = 2_000_000  # (features x rows x classes) cells evaluated at once


@dataclass(frozen=True)
class Tree:
    """A fitted tree; node 0 is the root, children follow their parents."""

    feature: np.ndarray  # (n_nodes,) split feature, -1 for a leaf
    threshold: np.ndarray  # (n_nodes,) go left when x <= threshold
    left: np.ndarray  # (n_nodes,) child indices, -1 for a leaf
    right: np.ndarray
    value: np.ndarray  # (n_nodes, n_classes) class counts of the training rows

    def proba(self) -> np.ndarray:
        """Class distribution of every node."""
        return self.value / self.value.sum(axis=1, keepdims=True)

    def descend(self, X: np.ndarray, levels: int) -> np.ndarray:
        """Node reached by each row after at most ``levels`` steps: (levels + 1, n_rows).

        Row ``l`` of the result is the prediction node of the tree truncated at depth
        ``l``.
        """
        node = np.zeros(X.shape[0], dtype=np.intp)
        out = [node]
        rows = np.arange(X.shape[0])
        for _ in range(levels):
            feat = self.feature[node]
            inner = feat >= 0
            go_left = X[rows, np.maximum(feat, 0)] <= self.threshold[node]
            node = np.where(inner, np.where(go_left, self.left[node], self.right[node]), node)
            out.append(node)
        return np.stack(out)


def fit(X: np.ndarray, y: np.ndarray, n_classes: int, max_depth: int) -> Tree:
    """Grow a tree of depth at most ``max_depth`` on float32 rows ``X`` with classes ``y``."""
    m, d = X.shape
    onehot = np.zeros((m, n_classes))
    onehot[np.arange(m), y] = 1.0
    order = np.argsort(X, axis=0, kind="stable").T  # (d, m) rows sorted by each feature
    sorted_x = np.take_along_axis(X.T, order, axis=1)
    nodes = _Nodes(n_classes)
    node_of = np.zeros(m, dtype=np.intp)
    frontier = [nodes.add(np.bincount(y, minlength=n_classes).astype(np.float64))]
    for _ in range(max_depth):
        active = [v for v in frontier if _splittable(nodes.value[v])]
        if not active:
            break
        splits = _best_splits(active, node_of, order, sorted_x, onehot, nodes)
        frontier = []
        for v, split in zip(active, splits, strict=True):
            if split is None:
                continue
            j, thr = split
            rows = np.flatnonzero(node_of == v)
            goes_left = X[rows, j] <= thr
            lv = nodes.add(onehot[rows[goes_left]].sum(axis=0))
            rv = nodes.add(onehot[rows[~goes_left]].sum(axis=0))
            nodes.split(v, j, thr, lv, rv)
            node_of[rows[goes_left]] = lv
            node_of[rows[~goes_left]] = rv
            frontier += [lv, rv]
    return nodes.freeze()


def _splittable(counts: np.ndarray) -> bool:
    n = counts.sum()
    gini = 1.0 - np.sum((counts / n) ** 2) if n > 0 else 0.0
    return n >= 2 and gini > np.finfo(np.float64).eps


def _best_splits(active, node_of, order, sorted_x, onehot, nodes):
    """Best (feature, threshold) of each active node, or None when it has no valid split."""
    d, m = order.shape
    local = np.full(node_of.size, len(active), dtype=np.int16)
    for a, v in enumerate(active):
        local[node_of == v] = a
    # Rows grouped by node, sorted by value within each node, for every feature.
    perm = np.argsort(local[order], axis=1, kind="stable")
    rows = np.take_along_axis(order, perm, axis=1)
    xs = np.take_along_axis(sorted_x, perm, axis=1)
    sizes = np.bincount(local, minlength=len(active) + 1)[: len(active)]
    total = int(sizes.sum())
    rows, xs = rows[:, :total], xs[:, :total]
    starts = np.concatenate(([0], np.cumsum(sizes)))
    seg = np.repeat(np.arange(len(active)), sizes)
    n_left = (np.arange(total) - starts[seg] + 1).astype(np.float64)
    n_node = sizes[seg].astype(np.float64)
    node_counts = np.stack([nodes.value[v] for v in active])[seg]  # (total, k)
    last = np.zeros(total, dtype=bool)
    last[starts[1:] - 1] = True
    gap = np.zeros((d, total), dtype=bool)
    gap[:, :-1] = xs[:, 1:] > xs[:, :-1].astype(np.float64) + _FEATURE_THRESHOLD
    gap[:, last] = False

    best = [(-np.inf, None)] * len(active)
    step = max(1, _CELLS // max(total * onehot.shape[1], 1))
    for f0 in range(0, d, step):  # blocks of features bound the memory
        left = np.cumsum(onehot[rows[f0 : f0 + step]], axis=1)
        seg_start = np.zeros_like(left[:, : len(active)])
        seg_start[:, 1:] = left[:, starts[1:-1] - 1]
        left -= seg_start[:, seg]
        right = node_counts[None] - left
        n_right = n_node - n_left
        with np.errstate(divide="ignore", invalid="ignore"):
            proxy = -n_right * (1.0 - np.sum(right * right, axis=2) / n_right**2) - n_left * (
                1.0 - np.sum(left * left, axis=2) / n_left**2
            )
        proxy = np.where(gap[f0 : f0 + step], proxy, -np.inf)
        for a in range(len(active)):
            part = proxy[:, starts[a] : starts[a + 1]]
            flat = int(np.argmax(part))
            value = part.flat[flat]
            if value > best[a][0]:
                j, i = divmod(flat, part.shape[1])
                best[a] = (value, (f0 + j, starts[a] + i))
    out = []
    for value, where in best:
        if where is None or not np.isfinite(value):
            out.append(None)
            continue
        j, i = where
        lo, hi = float(xs[j, i]), float(xs[j, i + 1])
        thr = lo / 2.0 + hi / 2.0
        if thr == hi or not np.isfinite(thr):
            thr = lo
        out.append((j, thr))
    return out


class _Nodes:
    def __init__(self, n_classes: int) -> None:
        self.n_classes = n_classes
        self.value: list[np.ndarray] = []
        self.feature: list[int] = []
        self.threshold: list[float] = []
        self.left: list[int] = []
        self.right: list[int] = []

    def add(self, counts: np.ndarray) -> int:
        self.value.append(counts)
        self.feature.append(-1)
        self.threshold.append(np.nan)
        self.left.append(-1)
        self.right.append(-1)
        return len(self.value) - 1

    def split(self, v: int, feature: int, threshold: float, left: int, right: int) -> None:
        self.feature[v], self.threshold[v] = feature, threshold
        self.left[v], self.right[v] = left, right

    def freeze(self) -> Tree:
        return Tree(
            feature=np.asarray(self.feature, dtype=np.intp),
            threshold=np.asarray(self.threshold, dtype=np.float64),
            left=np.asarray(self.left, dtype=np.intp),
            right=np.asarray(self.right, dtype=np.intp),
            value=np.asarray(self.value, dtype=np.float64).reshape(-1, self.n_classes),
        )
