"""Information-theoretic meta-features (entropies in bits).

Numeric columns are discretised as pymfe does: ``int(n ** (1/3))`` equal-frequency bins
whose edges are quantiles of the column, edges closer than 1e-8 merged (the class
counts per bin come from the column profile, :mod:`metafeatures._columns`). A missing
value is one more level of its column, numeric or nominal. The contingency tables of
the nominal columns come from one ``bincount`` per block of columns.

Two families are reported. The pymfe family (``attr_ent``, ``mut_inf``, ...) uses every
column. The OpenML family (``MeanMutualInformation``, ...) uses the nominal columns
only, as OpenML's own extractor does; it is NaN without nominal columns.
"""

from __future__ import annotations

import numpy as np

from ._columns import CHUNK_BYTES
from ._context import Context
from ._spec import feature, summarised
from ._summary import NAN, nan_dict, ratio, segment_entropy, summarise
from ._table import Table

_G = "info-theory"
_M = "Michie et al. (1994)"
_O = "Vanschoren et al. (2013)"

FEATURES = (
    feature(_G, "class_ent", "Entropy of the class.", _M, pymfe="class_ent", openml="ClassEntropy")
    + summarised(_G, "attr_ent", "Entropy of each column (numeric ones discretised)", _M)
    + summarised(_G, "joint_ent", "Joint entropy of each column with the class", _M)
    + summarised(
        _G, "mut_inf", "Mutual information of each column with the class", _M, ("mean", "sd", "max")
    )
    + feature(
        _G,
        "eq_num_attr",
        "Equivalent number of attributes: class entropy / mean mutual information.",
        _M,
        pymfe="eq_num_attr",
    )
    + feature(
        _G,
        "ns_ratio",
        "Noise-to-signal ratio: (mean attribute entropy - mean mutual information) / "
        "mean mutual information.",
        _M,
        pymfe="ns_ratio",
    )
    + summarised(
        _G,
        "class_conc",
        "Concentration coefficient (Goodman-Kruskal tau) of each column given the class",
        "Kalousis & Hilario (2001)",
    )
    + feature(
        _G,
        "MeanAttributeEntropy",
        "Mean entropy of the nominal columns.",
        _O,
        openml="MeanAttributeEntropy",
    )
    + feature(
        _G,
        "MeanMutualInformation",
        "Mean mutual information of the nominal columns with the class.",
        _O,
        openml="MeanMutualInformation",
    )
    + feature(
        _G,
        "EquivalentNumberOfAtts",
        "Class entropy / MeanMutualInformation (nominal columns only).",
        _O,
        openml="EquivalentNumberOfAtts",
    )
    + feature(
        _G,
        "NoiseToSignalRatio",
        "(MeanAttributeEntropy - MeanMutualInformation) / MeanMutualInformation.",
        _O,
        openml="NoiseToSignalRatio",
    )
)

_NAMES = tuple(f.name for f in FEATURES)


def compute(table: Table, ctx: Context) -> dict[str, float]:
    """Compute the information-theoretic meta-features of ``table``."""
    n, k = table.n_rows, table.n_classes
    out = nan_dict(_NAMES)
    class_ent = float(segment_entropy(table.class_counts, np.zeros(1, np.intp), np.array([n]))[0])
    out["class_ent"] = class_ent

    cells, levels = _contingency(table, ctx)
    level_start = np.concatenate(([0], np.cumsum(levels)[:-1]))
    level_counts = cells.reshape(-1, k).sum(axis=1)
    totals = np.full(levels.size, float(n))
    attr_ent = segment_entropy(level_counts, level_start, totals)
    joint_ent = segment_entropy(cells, level_start * k, totals)
    mut_inf = np.maximum(attr_ent + class_ent - joint_ent, 0.0)
    conc = _concentration(cells, level_counts, level_start, table.class_counts, n)

    out.update(summarise("attr_ent", attr_ent))
    out.update(summarise("joint_ent", joint_ent))
    out.update(summarise("mut_inf", mut_inf, ("mean", "sd", "max")))
    out.update(summarise("class_conc", conc))
    p = levels.size
    out["eq_num_attr"] = ratio(p * class_ent, mut_inf.sum())
    out["ns_ratio"] = ratio(attr_ent.sum() - mut_inf.sum(), mut_inf.sum())

    nominal = slice(table.n_numeric, None)
    if table.n_categorical:
        mean_ent = float(attr_ent[nominal].mean())
        mean_mi = float(mut_inf[nominal].mean())
        out["MeanAttributeEntropy"] = mean_ent
        out["MeanMutualInformation"] = mean_mi
        out["EquivalentNumberOfAtts"] = ratio(class_ent, mean_mi) if mean_mi > 0 else NAN
        out["NoiseToSignalRatio"] = ratio(mean_ent - mean_mi, mean_mi) if mean_mi > 0 else NAN
    return out


def _contingency(table: Table, ctx: Context) -> tuple[np.ndarray, np.ndarray]:
    """Counts of every (column, level, class) cell, flat, and the levels per column.

    Numeric columns come first (their bins from the column profile), then nominal ones
    (counted in blocks of columns); the last level of each column stands for a missing
    value.
    """
    n, k = table.n_rows, table.n_classes
    parts, levels = [], []
    if table.n_numeric:
        counts = ctx.profile.bin_counts  # (columns, bins + 2, classes)
        parts.append(counts.ravel())
        levels.append(np.full(table.n_numeric, counts.shape[1]))
    if table.n_categorical:
        cat_levels = table.n_levels + 1
        start = np.concatenate(([0], np.cumsum(cat_levels)[:-1]))
        cells = np.zeros(int(cat_levels.sum()) * k)
        step = max(1, CHUNK_BYTES // (8 * max(n, 1)))
        for j in range(0, table.n_categorical, step):
            part = table.categorical[j : j + step].astype(np.int64)
            part = np.where(part < 0, cat_levels[j : j + step, None] - 1, part)  # missing
            index = (part + start[j : j + step, None]) * k + table.y[None, :]
            cells += np.bincount(index.ravel(), minlength=cells.size)
        parts.append(cells)
        levels.append(cat_levels)
    return np.concatenate(parts), np.concatenate(levels).astype(np.int64)


def _concentration(
    cells: np.ndarray,
    level_counts: np.ndarray,
    level_start: np.ndarray,
    class_counts: np.ndarray,
    n: int,
) -> np.ndarray:
    """Goodman and Kruskal's tau of each column given the class (pymfe's ``class_conc``)."""
    k = class_counts.size
    p_cell = cells / n
    prior = np.tile(class_counts / n, cells.size // k)
    with np.errstate(invalid="ignore", divide="ignore"):
        weighted = np.add.reduceat(np.where(prior > 0, p_cell**2 / prior, 0.0), level_start * k)
        sq_levels = np.add.reduceat((level_counts / n) ** 2, level_start)
        return (weighted - sq_levels) / (1.0 - sq_levels)
