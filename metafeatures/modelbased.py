"""Model-based meta-features: the shape of a fully grown CART decision tree.

The tree (sklearn's ``DecisionTreeClassifier(random_state=seed)``) is fitted on the
design matrix of :class:`metafeatures._context.Design`, on the stratified subsample when
the data has more than ``max_rows`` rows. Per-attribute quantities (``nodes_repeated``,
``var_importance``, ``nodes_per_attr``) count an attribute once even when it spans
several one-hot columns.
"""

from __future__ import annotations

import numpy as np

from ._context import Context
from ._spec import feature, summarised
from ._summary import nan_dict, summarise
from ._table import Table

_G = "model-based"
_B = "Bensusan et al. (2000)"
_P = "Peng et al. (2002)"

FEATURES = (
    feature(_G, "leaves", "Number of leaves of the tree.", _B, pymfe="leaves")
    + feature(_G, "nodes", "Number of internal (splitting) nodes.", _B, pymfe="nodes")
    + feature(_G, "nodes_per_attr", "Internal nodes / attributes.", _B, pymfe="nodes_per_attr")
    + feature(_G, "nodes_per_inst", "Internal nodes / training rows.", _B, pymfe="nodes_per_inst")
    + summarised(_G, "tree_depth", "Depth of every node of the tree", _B, ("mean", "sd", "max"))
    + summarised(_G, "leaves_branch", "Depth of every leaf (length of its branch)", _B)
    + summarised(_G, "leaves_corrob", "Share of the training rows reaching each leaf", _B)
    + summarised(
        _G,
        "leaves_per_class",
        "Share of the leaves predicting each class (classes with a leaf)",
        _B,
    )
    + summarised(
        _G,
        "leaves_homo",
        "Number of leaves / tree shape of each leaf (tree shape: d 2^-d for a leaf at depth d)",
        _B,
    )
    + summarised(_G, "tree_shape", "Tree shape -2^-d log2(2^-d) of each leaf at depth d", _B)
    + summarised(
        _G,
        "tree_imbalance",
        "Tree imbalance -q log2(q), q = 2^-(c 2^-d), for the c leaves at each depth d",
        _B,
    )
    + summarised(_G, "nodes_per_level", "Number of internal nodes at each depth", _B)
    + summarised(_G, "nodes_repeated", "Number of internal nodes testing each used attribute", _B)
    + summarised(_G, "var_importance", "Gini importance of each attribute", _P)
)

_NAMES = tuple(f.name for f in FEATURES)


def compute(table: Table, ctx: Context) -> dict[str, float]:
    """Compute the model-based meta-features (NaN when fewer than two classes)."""
    from sklearn.tree import DecisionTreeClassifier

    out = nan_dict(_NAMES)
    d = ctx.design
    if d.n_classes < 2 or d.X.shape[1] == 0:
        return out
    model = DecisionTreeClassifier(random_state=ctx.seed).fit(d.X, d.y)
    t = model.tree_
    depth = _node_depth(t.children_left, t.children_right)
    is_leaf = t.children_left < 0
    leaf_depth = depth[is_leaf].astype(np.float64)
    n_leaves, n_nodes = int(is_leaf.sum()), int((~is_leaf).sum())

    shape = -(2.0**-leaf_depth) * np.log2(2.0**-leaf_depth)
    arrival, per_depth = np.unique(2.0**-leaf_depth, return_counts=True)
    aux = 2.0 ** -(arrival * per_depth)
    leaf_class = np.argmax(t.value[is_leaf, 0, :], axis=1)
    used_attr = d.attribute[t.feature[~is_leaf]]
    importance = np.bincount(
        d.attribute, weights=model.feature_importances_, minlength=d.n_attributes
    )

    out.update(
        {
            "leaves": float(n_leaves),
            "nodes": float(n_nodes),
            "nodes_per_attr": n_nodes / d.n_attributes,
            "nodes_per_inst": n_nodes / float(t.n_node_samples[0]),
        }
    )
    out.update(summarise("tree_depth", depth, ("mean", "sd", "max")))
    out.update(summarise("leaves_branch", leaf_depth))
    out.update(summarise("leaves_corrob", t.n_node_samples[is_leaf] / t.n_node_samples[0]))
    out.update(summarise("leaves_per_class", _nonzero_counts(leaf_class) / n_leaves))
    with np.errstate(divide="ignore"):  # a root-only tree has shape 0
        out.update(summarise("leaves_homo", n_leaves / shape))
    out.update(summarise("tree_shape", shape))
    out.update(summarise("tree_imbalance", -aux * np.log2(aux)))
    out.update(summarise("nodes_per_level", _nonzero_counts(depth[~is_leaf])))
    out.update(summarise("nodes_repeated", _nonzero_counts(used_attr)))
    out.update(summarise("var_importance", importance))
    return out


def _node_depth(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Depth of every node of a sklearn tree from ``children_left`` / ``children_right``."""
    depth = np.zeros(left.size, dtype=np.intp)
    frontier = np.array([0])
    level = 0
    while frontier.size:  # one vectorised step per level
        depth[frontier] = level
        inner = frontier[left[frontier] >= 0]
        frontier = np.concatenate([left[inner], right[inner]])
        level += 1
    return depth


def _nonzero_counts(values: np.ndarray) -> np.ndarray:
    """Occurrences of each distinct value."""
    return np.unique(values, return_counts=True)[1].astype(np.float64)
