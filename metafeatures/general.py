"""General meta-features: sizes, column types, missing values and the class distribution."""

from __future__ import annotations

import numpy as np

from ._spec import feature, summarised
from ._summary import NAN, ratio, summarise
from ._table import Table

_G = "general"
_M = "Michie et al. (1994)"
_O = "Vanschoren et al. (2013)"

FEATURES = (
    feature(
        _G, "NumberOfInstances", "Number of rows.", _M, pymfe="nr_inst", openml="NumberOfInstances"
    )
    + feature(
        _G,
        "NumberOfFeatures",
        "Number of columns of X (the target is not counted).",
        _M,
        pymfe="nr_attr",
        openml="NumberOfFeatures",
    )
    + feature(
        _G,
        "NumberOfClasses",
        "Number of distinct observed class labels.",
        _M,
        pymfe="nr_class",
        openml="NumberOfClasses",
    )
    + feature(
        _G,
        "NumberOfNumericFeatures",
        "Number of numeric columns.",
        _O,
        pymfe="nr_num",
        openml="NumberOfNumericFeatures",
    )
    + feature(
        _G,
        "NumberOfSymbolicFeatures",
        "Number of nominal columns (categorical, string, object or boolean).",
        _O,
        pymfe="nr_cat",
        openml="NumberOfSymbolicFeatures",
    )
    + feature(
        _G,
        "NumberOfBinaryFeatures",
        "Number of columns with exactly two distinct non-missing values.",
        _M,
        pymfe="nr_bin",
        openml="NumberOfBinaryFeatures",
    )
    + feature(
        _G,
        "PercentageOfNumericFeatures",
        "100 * numeric columns / columns.",
        _O,
        openml="PercentageOfNumericFeatures",
    )
    + feature(
        _G,
        "PercentageOfSymbolicFeatures",
        "100 * nominal columns / columns.",
        _O,
        openml="PercentageOfSymbolicFeatures",
    )
    + feature(
        _G,
        "PercentageOfBinaryFeatures",
        "100 * binary columns / columns.",
        _O,
        openml="PercentageOfBinaryFeatures",
    )
    + feature(
        _G, "Dimensionality", "Columns / rows.", _M, pymfe="attr_to_inst", openml="Dimensionality"
    )
    + feature(_G, "inst_to_attr", "Rows / columns.", "Kalousis (2002)", pymfe="inst_to_attr")
    + feature(
        _G,
        "cat_to_num",
        "Nominal columns / numeric columns (NaN without numeric).",
        "Rivolli et al. (2022)",
        pymfe="cat_to_num",
    )
    + feature(
        _G,
        "num_to_cat",
        "Numeric columns / nominal columns (NaN without nominal).",
        "Rivolli et al. (2022)",
        pymfe="num_to_cat",
    )
    + feature(
        _G,
        "NumberOfMissingValues",
        "Number of missing cells of X.",
        _O,
        openml="NumberOfMissingValues",
    )
    + feature(
        _G,
        "NumberOfInstancesWithMissingValues",
        "Number of rows with at least one missing value.",
        _O,
        openml="NumberOfInstancesWithMissingValues",
    )
    + feature(
        _G,
        "NumberOfFeaturesWithMissingValues",
        "Number of columns with at least one missing value.",
        _O,
    )
    + feature(
        _G,
        "PercentageOfMissingValues",
        "100 * missing cells / cells of X.",
        _O,
        openml="PercentageOfMissingValues",
    )
    + feature(
        _G,
        "PercentageOfInstancesWithMissingValues",
        "100 * rows with a missing value / rows.",
        _O,
        openml="PercentageOfInstancesWithMissingValues",
    )
    + feature(
        _G,
        "MeanNominalAttDistinctValues",
        "Mean domain size of the nominal columns (the declared categories of a "
        "pandas categorical, else the distinct non-missing values).",
        _O,
        openml="MeanNominalAttDistinctValues",
    )
    + feature(
        _G,
        "StdvNominalAttDistinctValues",
        "Standard deviation (ddof=1) of the domain sizes of the nominal columns.",
        _O,
        openml="StdvNominalAttDistinctValues",
    )
    + feature(
        _G,
        "MinNominalAttDistinctValues",
        "Smallest domain size of a nominal column.",
        _O,
        openml="MinNominalAttDistinctValues",
    )
    + feature(
        _G,
        "MaxNominalAttDistinctValues",
        "Largest domain size of a nominal column.",
        _O,
        openml="MaxNominalAttDistinctValues",
    )
    + feature(
        _G,
        "MajorityClassSize",
        "Number of rows of the most frequent class.",
        _O,
        openml="MajorityClassSize",
    )
    + feature(
        _G,
        "MinorityClassSize",
        "Number of rows of the least frequent observed class.",
        _O,
        openml="MinorityClassSize",
    )
    + summarised(
        _G,
        "freq_class",
        "Relative frequency of each class",
        _M,
        ("mean", "sd", "min", "max"),
        openml={"max": "MajorityClassPercentage", "min": "MinorityClassPercentage"},
    )
    + feature(
        _G, "ImbalanceRatio", "Majority class size / minority class size.", "Rivolli et al. (2022)"
    )
)


def compute(table: Table, ctx: object = None) -> dict[str, float]:
    """Compute the general meta-features of ``table``."""
    n, p = table.n_rows, table.n_features
    n_num, n_cat = table.n_numeric, table.n_categorical
    n_bin = int(np.sum(_binary_numeric(table.numeric)) + np.sum(table.n_levels == 2))

    num_miss, cat_miss = table.numeric_missing, table.categorical_missing
    row_missing = num_miss.any(axis=0) | cat_miss.any(axis=0)
    col_missing = int(num_miss.any(axis=1).sum() + cat_miss.any(axis=1).sum())
    n_missing = int(num_miss.sum() + cat_miss.sum())

    counts = table.class_counts
    freqs = counts / n
    levels = table.declared_levels.astype(np.float64)
    out = {
        "NumberOfInstances": float(n),
        "NumberOfFeatures": float(p),
        "NumberOfClasses": float(table.n_classes),
        "NumberOfNumericFeatures": float(n_num),
        "NumberOfSymbolicFeatures": float(n_cat),
        "NumberOfBinaryFeatures": float(n_bin),
        "PercentageOfNumericFeatures": 100.0 * n_num / p,
        "PercentageOfSymbolicFeatures": 100.0 * n_cat / p,
        "PercentageOfBinaryFeatures": 100.0 * n_bin / p,
        "Dimensionality": p / n,
        "inst_to_attr": n / p,
        "cat_to_num": ratio(n_cat, n_num),
        "num_to_cat": ratio(n_num, n_cat),
        "NumberOfMissingValues": float(n_missing),
        "NumberOfInstancesWithMissingValues": float(row_missing.sum()),
        "NumberOfFeaturesWithMissingValues": float(col_missing),
        "PercentageOfMissingValues": 100.0 * n_missing / (n * p),
        "PercentageOfInstancesWithMissingValues": 100.0 * row_missing.sum() / n,
        "MeanNominalAttDistinctValues": float(levels.mean()) if n_cat else NAN,
        "StdvNominalAttDistinctValues": float(levels.std(ddof=1)) if n_cat > 1 else NAN,
        "MinNominalAttDistinctValues": float(levels.min()) if n_cat else NAN,
        "MaxNominalAttDistinctValues": float(levels.max()) if n_cat else NAN,
        "MajorityClassSize": float(counts.max()),
        "MinorityClassSize": float(counts.min()),
        "ImbalanceRatio": float(counts.max() / counts.min()),
    }
    out.update(summarise("freq_class", freqs, ("mean", "sd", "min", "max")))
    return out


def _binary_numeric(block: np.ndarray) -> np.ndarray:
    """Which rows of a (columns, rows) block hold exactly two distinct non-missing values."""
    if block.shape[0] == 0:
        return np.zeros(0, dtype=bool)
    lo = np.nanmin(block, axis=1, keepdims=True)  # all-NaN rows give NaN (warning muted)
    hi = np.nanmax(block, axis=1, keepdims=True)
    two_ends = (block == lo) | (block == hi) | np.isnan(block)
    return (lo[:, 0] < hi[:, 0]) & two_ends.all(axis=1)
