"""Helpers to read fitted sklearn decision trees."""

from __future__ import annotations

import numpy as np


def node_depth_parent(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Depth and parent of every node of a sklearn tree (the root is its own parent).

    Parameters
    ----------
    left, right : ndarray of shape (n_nodes,)
        ``tree_.children_left`` and ``tree_.children_right`` (negative for leaves).
    """
    n = left.size
    depth = np.zeros(n, dtype=np.intp)
    parent = np.zeros(n, dtype=np.intp)
    frontier = np.array([0])
    level = 0
    while frontier.size:  # one vectorised step per level
        depth[frontier] = level
        inner = frontier[left[frontier] >= 0]
        parent[left[inner]] = inner
        parent[right[inner]] = inner
        frontier = np.concatenate([left[inner], right[inner]])
        level += 1
    return depth, parent


def node_class_proba(value: np.ndarray, classes: np.ndarray, k: int) -> np.ndarray:
    """Class distribution of every node, with one column for each of ``k`` classes.

    Parameters
    ----------
    value : ndarray of shape (n_nodes, 1, n_fitted_classes)
        ``tree_.value`` (counts or fractions: rows are normalised here).
    classes : ndarray of shape (n_fitted_classes,)
        ``estimator.classes_``, integer codes below ``k``.
    """
    v = value[:, 0, :]
    full = np.zeros((v.shape[0], k))
    full[:, classes] = v / v.sum(axis=1, keepdims=True)
    return full
