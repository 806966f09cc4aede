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
    m = X.shape[0]
    onehot = np.zeros((m, n_classes))
    onehot[np.arange(m), y] = 1.0
    search = _SplitSearch(X, y, onehot)
    nodes = _Nodes(n_classes)
    node_of = np.zeros(m, dtype=np.intp)
    frontier = [nodes.add(np.bincount(y, minlength=n_classes).astype(np.float64))]
    for _ in range(max_depth):
        active = [v for v in frontier if _splittable(nodes.value[v])]
        if not active:
            break
        local = np.full(m, len(active), dtype=np.int16)  # rows of other nodes: last id
        for a, v in enumerate(active):
            local[node_of == v] = a
        totals = np.stack([nodes.value[v] for v in active])
        frontier = []
        for v, split in zip(active, search.best(local, totals), strict=True):
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


def _proxy(n_left, n_right, sq_left, sq_right):
    """sklearn's Gini proxy improvement ``-nR gini_R - nL gini_L`` (higher is better)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return -n_right * (1.0 - sq_right / n_right**2) - n_left * (1.0 - sq_left / n_left**2)


class _SplitSearch:
    """Best Gini split of every node of a level, over all features at once.

    Features with few distinct values (one-hot columns, small integers) are searched on
    class histograms; the others on rows sorted by value with cumulative class counts.
    Counts are integers held exactly in float64, so both searches give identical scores.
    """

    FEW = 8  # at most this many distinct values: histogram search

    def __init__(self, X: np.ndarray, y: np.ndarray, onehot: np.ndarray) -> None:
        self.y, self.onehot = y, onehot
        m, d = X.shape
        order = np.argsort(X, axis=0, kind="stable").T  # (d, m)
        sorted_x = np.take_along_axis(X.T, order, axis=1)
        new = np.ones((d, m), dtype=bool)
        new[:, 1:] = sorted_x[:, 1:] != sorted_x[:, :-1]
        distinct = new.sum(axis=1)
        # Histogram search needs distinct values that can be split from their neighbours.
        close = sorted_x[:, 1:] <= sorted_x[:, :-1].astype(np.float64) + _FEATURE_THRESHOLD
        wide_gaps = ~np.any(close & new[:, 1:], axis=1)
        few = (distinct <= self.FEW) & wide_gaps
        self.few_idx, self.many_idx = np.flatnonzero(few), np.flatnonzero(~few)
        self.order, self.sorted_x = order[~few], sorted_x[~few]
        # Dense rank of each value among its column's distinct values, and the values.
        rank = np.cumsum(new[few], axis=1) - 1
        self.codes = np.empty((m, self.few_idx.size), dtype=np.intp)
        np.put_along_axis(self.codes.T, order[few], rank, axis=1)
        self.values = np.full((self.few_idx.size, self.FEW), np.nan)
        np.put_along_axis(self.values, rank, sorted_x[few].astype(np.float64), axis=1)

    def best(self, local: np.ndarray, totals: np.ndarray) -> list:
        """(feature, threshold) of each of the ``len(totals)`` nodes, or None."""
        n_nodes = totals.shape[0]
        best = [(-np.inf, 0, None)] * n_nodes  # (score, -feature, (lo, hi))
        for cand in (self._sorted_search(local, totals), self._histogram_search(local, totals)):
            for a, (score, feature, lo_hi) in enumerate(cand):
                if lo_hi is not None and (score, -feature) > best[a][:2]:
                    best[a] = (score, -feature, lo_hi)
        out = []
        for score, neg_feature, lo_hi in best:
            if lo_hi is None or not np.isfinite(score):
                out.append(None)
                continue
            lo, hi = lo_hi
            thr = lo / 2.0 + hi / 2.0
            if thr == hi or not np.isfinite(thr):
                thr = lo
            out.append((-neg_feature, thr))
        return out

    def _sorted_search(self, local, totals):
        n_nodes, k = totals.shape
        found = [(-np.inf, 0, None)] * n_nodes
        d = self.order.shape[0]
        if d == 0:
            return found
        if n_nodes == 1 and np.all(local == 0):
            rows, xs = self.order, self.sorted_x
        else:  # rows grouped by node, sorted by value within each node
            perm = np.argsort(local[self.order], axis=1, kind="stable")
            rows = np.take_along_axis(self.order, perm, axis=1)
            xs = np.take_along_axis(self.sorted_x, perm, axis=1)
        sizes = np.bincount(local, minlength=n_nodes + 1)[:n_nodes]
        total = int(sizes.sum())
        rows, xs = rows[:, :total], xs[:, :total]
        starts = np.concatenate(([0], np.cumsum(sizes)))
        seg = np.repeat(np.arange(n_nodes), sizes)
        n_left = (np.arange(total) - starts[seg] + 1).astype(np.float64)
        n_right = sizes[seg] - n_left
        seg_totals = totals[seg]  # (total, k)
        sq_totals = np.sum(seg_totals**2, axis=1)
        valid = np.zeros((d, total), dtype=bool)
        valid[:, :-1] = xs[:, 1:] > xs[:, :-1].astype(np.float64) + _FEATURE_THRESHOLD
        valid[:, starts[1:] - 1] = False  # last row of a node: nothing on the right
        step = max(1, _CELLS // max(total * k, 1))
        for f0 in range(0, d, step):  # blocks of features bound the memory
            left = self.onehot[rows[f0 : f0 + step]]
            np.cumsum(left, axis=1, out=left)
            if n_nodes > 1:
                base = np.zeros((left.shape[0], n_nodes, k))
                base[:, 1:] = left[:, starts[1:-1] - 1]
                left -= base[:, seg]
            sq_left = np.einsum("fmk,fmk->fm", left, left)
            cross = np.einsum("fmk,mk->fm", left, seg_totals)
            sq_right = sq_totals - 2.0 * cross + sq_left  # exact: integer counts
            score = np.where(valid[f0 : f0 + step], _proxy(n_left, n_right, sq_left, sq_right),
                             -np.inf)
            for a in range(n_nodes):
                part = score[:, starts[a] : starts[a + 1]]
                flat = int(np.argmax(part))
                j, i = divmod(flat, part.shape[1])
                if part[j, i] > found[a][0]:
                    pos = starts[a] + i
                    found[a] = (part[j, i], int(self.many_idx[f0 + j]),
                                (float(xs[f0 + j, pos]), float(xs[f0 + j, pos + 1])))
        return found

    def _histogram_search(self, local, totals):
        n_nodes, k = totals.shape
        found = [(-np.inf, 0, None)] * n_nodes
        d, q = self.few_idx.size, self.FEW
        if d == 0:
            return found
        inside = local < n_nodes
        codes, node, cls = self.codes[inside], local[inside].astype(np.intp), self.y[inside]
        index = ((np.arange(d)[None, :] * n_nodes + node[:, None]) * q + codes) * k
        hist = np.bincount((index + cls[:, None]).ravel(), minlength=d * n_nodes * q * k)
        hist = hist.reshape(d, n_nodes, q, k).astype(np.float64)
        left = np.cumsum(hist, axis=2)
        n_left = left.sum(axis=3)
        n_right = totals.sum(axis=1)[None, :, None] - n_left
        right = totals[None, :, None, :] - left
        score = _proxy(n_left, n_right, np.sum(left**2, axis=3), np.sum(right**2, axis=3))
        score = np.where((n_left > 0) & (n_right > 0), score, -np.inf)
        present = hist.sum(axis=3) > 0  # (d, nodes, q)
        for a in range(n_nodes):
            part = score[:, a, :]
            flat = int(np.argmax(part))
            j, c = divmod(flat, q)
            if np.isfinite(part[j, c]):
                nxt = c + 1 + int(np.argmax(present[j, a, c + 1 :]))
                found[a] = (part[j, c], int(self.few_idx[j]),
                            (float(self.values[j, c]), float(self.values[j, nxt])))
        return found


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
