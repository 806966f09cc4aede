"""Shallow CART classification trees, grown level by level with numpy.

The landmarkers need a depth-3 tree and a stump per cross-validation fold. Growing them
here, all folds together (a forest with one root per fold), costs a few vectorised
passes per level instead of sklearn's per-fit overhead, which dominates on small data.
The trees follow sklearn's ``DecisionTreeClassifier`` (Gini criterion, best split,
float32 features, thresholds half-way between consecutive values more than 1e-7
apart, pure or single-row nodes left as leaves). One difference: when two features
give exactly the same impurity decrease, sklearn keeps the first in a random feature
order, this code the lowest feature index.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_FEATURE_THRESHOLD = 1e-7  # sklearn's minimal gap between values to split between
_CELLS = 250_000  # (features x rows) cells evaluated at once


@dataclass(frozen=True)
class Forest:
    """Fitted trees; tree ``t`` has its root at node ``t``, children follow parents."""

    feature: np.ndarray  # (n_nodes,) split feature, -1 for a leaf
    threshold: np.ndarray  # (n_nodes,) go left when x <= threshold
    left: np.ndarray  # (n_nodes,) child indices, -1 for a leaf
    right: np.ndarray
    value: np.ndarray  # (n_nodes, n_classes) class counts of the training rows

    def proba(self) -> np.ndarray:
        """Class distribution of every node."""
        return self.value / self.value.sum(axis=1, keepdims=True)

    def descend(self, X: np.ndarray, tree: np.ndarray | int, levels: int) -> np.ndarray:
        """Node reached by each row of ``X`` in its ``tree``: shape (levels + 1, n_rows).

        Row ``l`` of the result is the prediction node of the tree truncated at depth
        ``l``.
        """
        node = np.broadcast_to(np.asarray(tree, dtype=np.intp), (X.shape[0],)).copy()
        out = [node]
        rows = np.arange(X.shape[0])
        for _ in range(levels):
            feat = self.feature[node]
            go_left = X[rows, np.maximum(feat, 0)] <= self.threshold[node]
            node = np.where(feat >= 0, np.where(go_left, self.left[node], self.right[node]), node)
            out.append(node)
        return np.stack(out)


def fit(X: np.ndarray, y: np.ndarray, n_classes: int, max_depth: int) -> Forest:
    """One tree of depth at most ``max_depth`` on float32 rows ``X`` with classes ``y``."""
    return fit_forest(X, y, n_classes, max_depth, [np.arange(X.shape[0])])


def fit_forest(
    X: np.ndarray,
    y: np.ndarray,
    n_classes: int,
    max_depth: int,
    row_sets: list[np.ndarray],
    order: np.ndarray | None = None,
) -> Forest:
    """Grow one tree per set of rows of ``X`` (float32), e.g. per training fold.

    ``order`` may give ``np.argsort(X, axis=0, kind="stable").T`` when already known.
    """
    if order is None:
        order = np.argsort(X, axis=0, kind="stable").T
    rows = np.concatenate(row_sets)
    sizes = [r.size for r in row_sets]
    offsets = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    # Copies of the rows, one per set, grouped by set and sorted within it per feature.
    vorder = np.concatenate(
        [
            (sorted_subset(order, r) + off).astype(np.int32)
            for r, off in zip(row_sets, offsets, strict=True)
        ],
        axis=1,
    )
    yv = y[rows]
    search = _SplitSearch(X, order, rows, vorder, yv)
    del vorder

    nodes = _Nodes(n_classes)
    frontier = [
        nodes.add(np.bincount(y[r], minlength=n_classes).astype(np.float64)) for r in row_sets
    ]
    node_of = np.repeat(np.arange(len(row_sets)), sizes)
    for _ in range(max_depth):
        active = np.array([v for v in frontier if _splittable(nodes.value[v])], dtype=np.intp)
        if active.size == 0:
            break
        local_of = np.full(len(nodes.value), active.size, dtype=np.int16)
        local_of[active] = np.arange(active.size)
        totals = np.stack([nodes.value[v] for v in active])
        feature = np.full(len(nodes.value), -1, dtype=np.intp)
        threshold = np.full(len(nodes.value), np.nan)
        frontier = []
        for v, split in zip(active, search.best(local_of[node_of], totals), strict=True):
            if split is not None:
                feature[v], threshold[v] = split
                children = nodes.split(v, *split)
                frontier += children
        moving = np.flatnonzero(feature[node_of] >= 0)
        if moving.size == 0:
            break
        parent = node_of[moving]
        goes_left = X[rows[moving], feature[parent]] <= threshold[parent]
        left, right = np.asarray(nodes.left), np.asarray(nodes.right)
        node_of[moving] = np.where(goes_left, left[parent], right[parent])
        counts = np.bincount(
            node_of[moving] * n_classes + yv[moving], minlength=len(nodes.value) * n_classes
        )
        for v in frontier:
            nodes.value[v] = counts[v * n_classes : (v + 1) * n_classes].astype(np.float64)
    return nodes.freeze()


def sorted_subset(order: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``order`` (argsort of all rows, per feature) restricted to the sorted ``rows``.

    The result indexes into ``rows``: it is the stable argsort of ``X[rows]``.
    """
    m = order.shape[1]
    inside = np.zeros(m, dtype=bool)
    inside[rows] = True
    position = np.full(m, -1, dtype=np.intp)
    position[rows] = np.arange(rows.size)
    kept = order[inside[order]].reshape(order.shape[0], rows.size)
    return position[kept]


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

    Works on "virtual rows" (``rows`` gives the original row of each; ``vorder`` sorts
    them per feature within each tree). Features with few distinct values (one-hot
    columns, small integers) are searched on class histograms; the others on rows sorted
    by value with cumulative class counts. Counts are integers held exactly in float64,
    so both searches give identical scores.
    """

    FEW = 8  # at most this many distinct values: histogram search

    def __init__(self, X, order, rows, vorder, y) -> None:
        self.y = y
        sorted_x = np.take_along_axis(X.T, order, axis=1)
        new = np.ones(sorted_x.shape, dtype=bool)
        new[:, 1:] = sorted_x[:, 1:] != sorted_x[:, :-1]
        # Histogram search needs distinct values that can be split from their neighbours.
        close = sorted_x[:, 1:] <= sorted_x[:, :-1].astype(np.float64) + _FEATURE_THRESHOLD
        few = (new.sum(axis=1) <= self.FEW) & ~np.any(close & new[:, 1:], axis=1)
        self.few_idx, self.many_idx = np.flatnonzero(few), np.flatnonzero(~few)
        self.order = vorder[~few]
        self.sorted_x = np.take_along_axis(X.T[~few], rows[self.order], axis=1)
        # Dense rank of each value among its column's distinct values, and the values.
        rank = np.cumsum(new[few], axis=1) - 1
        codes = np.empty((self.few_idx.size, X.shape[0]), dtype=np.intp)
        np.put_along_axis(codes, order[few], rank, axis=1)
        self.codes = codes.T[rows]
        self.values = np.full((self.few_idx.size, self.FEW), np.nan)
        np.put_along_axis(self.values, rank, sorted_x[few].astype(np.float64), axis=1)

    def best(self, local: np.ndarray, totals: np.ndarray) -> list:
        """(feature, threshold) of each of the ``len(totals)`` nodes, or None.

        ``local`` gives each virtual row's node (``len(totals)`` for rows of nodes that
        are not searched).
        """
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
        n_nodes = totals.shape[0]
        found = [(-np.inf, 0, None)] * n_nodes
        d = self.order.shape[0]
        if d == 0:
            return found
        sizes = np.bincount(local, minlength=n_nodes + 1)[:n_nodes]
        total = int(sizes.sum())
        starts = np.concatenate(([0], np.cumsum(sizes)))
        seg = np.repeat(np.arange(n_nodes), sizes)
        n_left = (np.arange(total) - starts[seg] + 1).astype(np.float64)
        n_right = sizes[seg] - n_left
        sq_totals = np.sum(totals**2, axis=1)[seg]
        step = max(1, _CELLS // max(self.order.shape[1], 1))
        for f0 in range(0, d, step):  # blocks of features bound the memory
            rows, xs = self._grouped(local, slice(f0, f0 + step), total)
            valid = np.zeros(rows.shape, dtype=bool)
            valid[:, :-1] = xs[:, 1:] > xs[:, :-1].astype(np.float64) + _FEATURE_THRESHOLD
            valid[:, starts[1:] - 1] = False  # last row of a node: nothing on the right
            sq_left, cross = self._left_sums(rows, seg, starts, totals)
            sq_right = sq_totals - 2.0 * cross + sq_left  # exact: integer counts
            score = np.where(valid, _proxy(n_left, n_right, sq_left, sq_right), -np.inf)
            # Best position of each node: per-segment maxima, first position on ties.
            seg_best = np.maximum.reduceat(score, starts[:-1], axis=1)  # (features, nodes)
            for a in np.flatnonzero(np.isfinite(seg_best).any(axis=0)):
                j = int(np.argmax(seg_best[:, a]))
                if seg_best[j, a] > found[a][0]:
                    pos = starts[a] + int(np.argmax(score[j, starts[a] : starts[a + 1]]))
                    found[a] = (
                        seg_best[j, a],
                        int(self.many_idx[f0 + j]),
                        (float(xs[j, pos]), float(xs[j, pos + 1])),
                    )
        return found

    def _grouped(self, local, features: slice, total: int):
        """Rows and values of some features, grouped by node and sorted within each node
        (rows of nodes not searched, whose ``local`` is the largest, are cut off)."""
        order, sorted_x = self.order[features], self.sorted_x[features]
        key = local[order]
        if not np.all(key[:, 1:] >= key[:, :-1]):
            perm = np.argsort(key, axis=1, kind="stable")
            order = np.take_along_axis(order, perm, axis=1)
            sorted_x = np.take_along_axis(sorted_x, perm, axis=1)
        return order[:, :total], sorted_x[:, :total]

    def _left_sums(self, rows, seg, starts, totals):
        """For every position of every feature's node-grouped order: the sum of squared
        class counts of the rows up to it within its node, and the dot product of those
        counts with the node's class totals.

        Adding a row of class c to the left side raises sum(L_k^2) by 2 L_c + 1, where
        L_c counts the earlier rows of class c: that rank comes from one stable sort by
        (node, class), so no (features x rows x classes) array is needed.
        """
        f, m = rows.shape
        k = totals.shape[1]
        cls = self.y[rows]
        small = (seg[-1] + 1) * k < 2**15  # 16-bit keys: numpy's stable sort is a radix sort
        key = (seg[None, :] * k + cls).astype(np.int16 if small else np.int32)
        perm = np.argsort(key, axis=1, kind="stable")
        grouped = np.take_along_axis(key, perm, axis=1)
        idx = np.arange(m)
        first = np.ones((f, m), dtype=bool)
        first[:, 1:] = grouped[:, 1:] != grouped[:, :-1]
        group_start = np.maximum.accumulate(np.where(first, idx, 0), axis=1)
        rank = np.empty((f, m), dtype=np.float64)
        np.put_along_axis(rank, perm, (idx - group_start).astype(np.float64), axis=1)
        sq_left = np.cumsum(2.0 * rank + 1.0, axis=1)
        cross = np.cumsum(totals[seg[None, :], cls], axis=1)
        if starts.size > 2:  # restart both sums at each node
            before = starts[1:-1] - 1
            sq_left -= np.concatenate([np.zeros((f, 1)), sq_left[:, before]], axis=1)[:, seg]
            cross -= np.concatenate([np.zeros((f, 1)), cross[:, before]], axis=1)[:, seg]
        return sq_left, cross

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
                found[a] = (
                    part[j, c],
                    int(self.few_idx[j]),
                    (float(self.values[j, c]), float(self.values[j, nxt])),
                )
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

    def split(self, v: int, feature: int, threshold: float) -> list[int]:
        """Make ``v`` an inner node; its two children get their counts later."""
        left = self.add(np.zeros(self.n_classes))
        right = self.add(np.zeros(self.n_classes))
        self.feature[v], self.threshold[v] = feature, threshold
        self.left[v], self.right[v] = left, right
        return [left, right]

    def freeze(self) -> Forest:
        return Forest(
            feature=np.asarray(self.feature, dtype=np.intp),
            threshold=np.asarray(self.threshold, dtype=np.float64),
            left=np.asarray(self.left, dtype=np.intp),
            right=np.asarray(self.right, dtype=np.intp),
            value=np.asarray(self.value, dtype=np.float64).reshape(-1, self.n_classes),
        )
