"""Public API, input handling, errors, determinism and subsampling of metafeatures."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import metafeatures
from metafeatures import GROUPS, MetaFeatures, extract, list_features


def _toy(n: int = 120, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    X = pd.DataFrame(
        {
            "a": rng.normal(size=n) + y,
            "b": rng.exponential(size=n),
            "c": pd.Categorical(rng.choice(["u", "v", "w"], n)),
            "d": rng.choice(["p", "q"], n).astype(object),
        }
    )
    return X, y


def _equal(a: pd.Series, b: pd.Series) -> bool:
    return a.index.equals(b.index) and np.array_equal(a.to_numpy(), b.to_numpy(), equal_nan=True)


def test_all_is_sorted_and_complete():
    assert metafeatures.__all__ == sorted(metafeatures.__all__)
    assert set(metafeatures.__all__) == {
        "DEFAULT_MAX_ROWS",
        "GROUPS",
        "MetaFeatures",
        "extract",
        "list_features",
    }
    for name in metafeatures.__all__:
        assert hasattr(metafeatures, name)


def test_list_features_describes_every_extracted_feature():
    table = list_features()
    assert list(table.columns) == [
        "name",
        "group",
        "description",
        "reference",
        "citation",
        "pymfe",
        "openml",
    ]
    assert table["name"].is_unique
    assert set(table["group"]) == set(GROUPS)
    assert table[["description", "reference", "citation"]].notna().all().all()
    X, y = _toy()
    mf = extract(X, y, random_state=0)
    assert list(mf) == list(table["name"])
    assert list(list_features(["info-theory"])["name"]) == list(extract(X, y, ["info-theory"]))


def test_result_is_a_read_only_mapping_with_times_and_groups():
    X, y = _toy()
    mf = extract(X, y, groups=["general", "model-based"], random_state=0)
    assert isinstance(mf, MetaFeatures)
    assert mf.groups == ("general", "model-based")
    assert set(mf.times) == {"input", "general", "model-based"}
    assert all(t >= 0 for t in mf.times.values())
    assert all(isinstance(v, float) for v in mf.values())
    assert mf["NumberOfInstances"] == 120.0
    with pytest.raises(TypeError):
        mf["NumberOfInstances"] = 1.0  # type: ignore[index]
    series = mf.to_series()
    assert series.dtype == np.float64 and len(series) == len(mf)
    assert mf.subsample is None and not mf.subsampled
    assert "MetaFeatures(" in repr(mf)


@pytest.mark.parametrize(
    ("X", "y", "message"),
    [
        (np.empty((0, 3)), [], "at least one row"),
        (np.empty((5, 0)), [0, 1, 0, 1, 0], "at least one row and one column"),
        (np.zeros((5, 2)), [0, 1, 0], "3 labels for 5 rows"),
        (np.zeros(5), [0, 1, 0, 1, 0], "2-dimensional"),
        (np.zeros((4, 2)), [0, None, 1, 1], "missing"),
        (np.zeros((4, 2)), np.zeros((4, 2)), "1-dimensional"),
    ],
)
def test_bad_input_raises_a_clear_value_error(X, y, message):
    with pytest.raises(ValueError, match=message):
        extract(X, y)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"groups": ["general", "nope"]}, ValueError, "groups"),
        ({"groups": []}, ValueError, "groups"),
        ({"groups": 3}, TypeError, "groups"),
        ({"random_state": -1}, ValueError, "random_state"),
        ({"random_state": "seed"}, TypeError, "random_state"),
        ({"max_rows": 3}, ValueError, "max_rows"),
        ({"cv_folds": 1}, ValueError, "cv_folds"),
    ],
)
def test_bad_arguments_raise(kwargs, error, message):
    X, y = _toy(30)
    with pytest.raises(error, match=message):
        extract(X, y, **kwargs)


def test_fixed_random_state_is_deterministic():
    X, y = _toy(300)
    first = extract(X, y, random_state=7, max_rows=200).to_series()
    second = extract(X, y, random_state=7, max_rows=200).to_series()
    assert _equal(first, second)
    gen = extract(X, y, random_state=np.random.default_rng(3), max_rows=200).to_series()
    again = extract(X, y, random_state=np.random.default_rng(3), max_rows=200).to_series()
    assert _equal(gen, again)


def test_every_dtype_is_split_into_numeric_and_nominal():
    n = 40
    rng = np.random.default_rng(1)
    X = pd.DataFrame(
        {
            "float": rng.normal(size=n),
            "int": rng.integers(0, 9, n),
            "nullable_int": pd.array([1, None] * 20, dtype="Int64"),
            "nullable_float": pd.array([0.5, None, 1.5, 2.5] * 10, dtype="Float64"),
            "object_numbers": np.array([1, 2.5] * 20, dtype=object),
            "bool": np.array([True, False] * 20),
            "boolean": pd.array([True, None, False, True] * 10, dtype="boolean"),
            "string": pd.array(["x", "y", None, "z"] * 10, dtype="string"),
            "object": np.array(["x", None] * 20, dtype=object),
            "category": pd.Categorical(["a", "b", "c", "a"] * 10, categories=["a", "b", "c", "d"]),
            "datetime": pd.date_range("2020-01-01", periods=n),
        }
    )
    y = np.array(["yes", "no"] * 20)
    mf = extract(X, y, random_state=0)
    assert mf["NumberOfNumericFeatures"] == 6
    assert mf["NumberOfSymbolicFeatures"] == 5
    assert mf["NumberOfMissingValues"] == 20 + 10 + 10 + 10 + 20
    assert mf["NumberOfFeaturesWithMissingValues"] == 5
    assert mf["MaxNominalAttDistinctValues"] == 4  # the declared categories of "category"
    assert mf["NumberOfClasses"] == 2
    assert all(math.isnan(v) or math.isfinite(v) for v in mf.values())


def test_numpy_inputs():
    X, y = _toy(60)
    numeric = X[["a", "b"]].to_numpy()
    assert extract(numeric, y, ["general"])["NumberOfNumericFeatures"] == 2
    mixed = X.to_numpy(dtype=object)
    mf = extract(mixed, list(y), ["general"])
    assert (mf["NumberOfNumericFeatures"], mf["NumberOfSymbolicFeatures"]) == (2, 2)
    flags = np.random.default_rng(0).random((60, 3)) > 0.5
    assert extract(flags, y, ["general"])["NumberOfBinaryFeatures"] == 3


def test_undefined_features_are_nan_never_errors():
    rng = np.random.default_rng(2)
    nominal_only = pd.DataFrame({"c": rng.choice(list("ab"), 50), "d": rng.choice(list("xyz"), 50)})
    y = rng.integers(0, 2, 50)
    mf = extract(nominal_only, y, random_state=0)
    assert math.isnan(mf["skewness.mean"]) and math.isnan(mf["can_cor.mean"])
    assert math.isfinite(mf["sparsity.mean"]) and math.isfinite(mf["MeanMutualInformation"])
    assert math.isfinite(mf["one_nn.mean"])

    numeric_only = pd.DataFrame({"a": rng.normal(size=50)})
    mf = extract(numeric_only, y, random_state=0)
    assert math.isnan(mf["MeanMutualInformation"]) and math.isnan(mf["cor.mean"])
    assert math.isfinite(mf["mut_inf.mean"])

    one_class = extract(numeric_only, np.zeros(50), random_state=0)
    assert one_class["class_ent"] == 0.0
    assert math.isnan(one_class["one_nn.mean"]) and math.isnan(one_class["leaves"])

    odd = pd.DataFrame(
        {
            "constant": np.ones(6),
            "all_missing": np.full(6, np.nan),
            "inf": [1.0, np.inf, 2.0, -np.inf, 3.0, 4.0],
            "nominal_missing": pd.Categorical([None] * 6, categories=["a"]),
        }
    )
    mf = extract(odd, [0, 1, 0, 1, 0, 1], random_state=0)
    assert mf["NumberOfMissingValues"] == 6 + 2 + 6
    assert all(math.isnan(v) or math.isfinite(v) for v in mf.values())

    tiny = extract(np.array([[0.0], [1.0], [2.0]]), ["a", "b", "b"], random_state=0)
    assert tiny["NumberOfInstances"] == 3


def test_missing_values_are_handled_per_group():
    from scipy.stats import skew

    rng = np.random.default_rng(3)
    n = 400
    X = pd.DataFrame(rng.normal(size=(n, 3)) @ rng.normal(size=(3, 3)), columns=list("abc"))
    X["d"] = pd.Categorical(rng.choice(list("pq"), n))
    y = (X["a"] > 0).to_numpy().astype(int)
    X = X.mask(rng.random(X.shape) < 0.15)
    mf = extract(X, y, ["statistical", "info-theory"])
    num = X[["a", "b", "c"]]
    # Per-column statistics use each column's non-missing values.
    b1 = [skew(num[c].dropna()) * ((num[c].count() - 1) / num[c].count()) ** 1.5 for c in num]
    assert mf["skewness.mean"] == pytest.approx(np.mean(b1), rel=1e-10)
    # Correlations use pairwise-complete rows (pandas' definition).
    cor = num.corr().abs().to_numpy()[np.tril_indices(3, -1)]
    assert mf["cor.mean"] == pytest.approx(cor.mean(), rel=1e-10)
    # A missing nominal value is one more level.
    filled = X.assign(d=X["d"].cat.add_categories("?").fillna("?"))
    assert extract(filled, y, ["info-theory"])["MeanMutualInformation"] == pytest.approx(
        mf["MeanMutualInformation"], rel=1e-12
    )


def test_discretisation_follows_pymfe_rule():
    from metafeatures._columns import profile

    rng = np.random.default_rng(4)
    n = 500
    y = rng.integers(0, 3, n)
    columns = [
        rng.normal(size=n) + y,
        rng.integers(0, 4, n).astype(float),
        np.round(rng.exponential(size=n), 1),
        np.full(n, 2.0),
        np.concatenate([np.zeros(450), rng.normal(size=50)]),
        np.where(rng.random(n) < 0.2, np.nan, rng.normal(size=n)),
    ]
    for bins in (1, 4, 7):
        counts = profile(np.vstack(columns), bins, y, 3).bin_counts
        for j, col in enumerate(columns):
            present = col[~np.isnan(col)]
            edges = np.quantile(present, np.linspace(0, 1, bins + 1)[1:])
            edges = np.unique(edges[np.append(True, np.diff(edges) > 1e-8)])
            code = np.where(np.isnan(col), bins + 1, np.digitize(col, edges, right=True))
            expected = np.zeros((bins + 2, 3))
            np.add.at(expected, (code, y), 1)
            # Same bins up to empty slots (a merged edge leaves an empty slot here).
            ours = counts[j][counts[j].sum(axis=1) > 0]
            theirs = expected[expected.sum(axis=1) > 0]
            np.testing.assert_array_equal(ours, theirs)


def test_large_data_uses_a_stratified_subsample_for_costly_groups():
    rng = np.random.default_rng(5)
    n = 3000
    y = rng.choice([0, 1, 2], n, p=[0.7, 0.25, 0.05])
    X = pd.DataFrame({"a": rng.normal(size=n) + y, "b": rng.normal(size=n)})
    mf = extract(X, y, random_state=0, max_rows=500)
    assert mf.subsampled and mf.subsample.size == 500
    assert np.all(np.diff(mf.subsample) > 0) and not mf.subsample.flags.writeable
    sub_counts = np.bincount(y[mf.subsample], minlength=3)
    assert np.all(np.abs(sub_counts - np.bincount(y) * 500 / n) <= 1)
    assert mf["NumberOfInstances"] == n  # the cheap groups use every row
    assert mf["nodes_per_inst"] * 500 == pytest.approx(mf["nodes"])
    assert extract(X, y, ["general", "statistical"], max_rows=500).subsample is None
    assert extract(X, y, ["landmarking"], max_rows=None).subsample is None


def test_rare_classes_keep_a_row_in_the_subsample():
    y = np.array([0] * 990 + [1] * 8 + [2] * 2)
    X = np.random.default_rng(6).normal(size=(1000, 2))
    mf = extract(X, y, ["model-based"], random_state=1, max_rows=100)
    assert set(y[mf.subsample]) == {0, 1, 2}
    assert mf.subsample.size == 100
