"""The pieces of the dataset report: profile, tiny-data rule, projection, prior queries."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from autometa.report import analyze_dataset, fallback_decision, profile_dataset, project_tasks


def test_profile_counts_kinds_missing_values_and_classes():
    rng = np.random.default_rng(0)
    n = 200
    X = pd.DataFrame(
        {
            "num": np.where(rng.random(n) < 0.1, np.nan, rng.normal(size=n)),
            "int": rng.integers(0, 5, n),
            "flag": rng.random(n) < 0.5,
            "cat": pd.Categorical(rng.choice(["a", "b", None], n)),
            "word": rng.choice(["x", "y", "z"], n).astype(object),
            "id": [f"row-{i}" for i in range(n)],
        }
    )
    y = pd.Series(rng.choice(["yes", "no", "maybe"], n, p=[0.6, 0.3, 0.1]), name="answer")
    p = profile_dataset(X, y, name="t.csv")
    assert (p.n_rows, p.n_columns, p.target) == (n, 6, "answer")
    assert {c.name: c.kind for c in p.columns} == {
        "num": "numeric",
        "int": "numeric",
        "flag": "boolean",
        "cat": "categorical",
        "word": "categorical",
        "id": "text",
    }
    assert p.kinds == {"numeric": 2, "boolean": 1, "categorical": 2, "text": 1}
    assert {c.name: c.n_missing for c in p.columns} == X.isna().sum().to_dict()
    assert p.n_missing_cells == int(X.isna().sum().sum())
    assert p.class_counts == y.value_counts().to_dict()
    assert list(p.class_counts.values()) == sorted(p.class_counts.values(), reverse=True)
    assert p.imbalance_ratio == pytest.approx(
        max(p.class_counts.values()) / min(p.class_counts.values())
    )
    # The missing-value map shows the columns with missing values, one row per map row.
    assert p.missing_map_columns == ["num", "cat"]
    assert p.missing_map.shape == (n, 2)
    np.testing.assert_array_equal(p.missing_map, X[["num", "cat"]].isna().to_numpy())


def test_profile_subsamples_the_map_of_long_tables():
    X = pd.DataFrame({"a": np.arange(5000.0)})
    X.loc[::10, "a"] = np.nan
    p = profile_dataset(X, np.arange(5000) % 2)
    assert p.missing_map.shape[0] <= 400 and p.missing_map.shape[1] == 1
    assert p.missing_share == pytest.approx(0.1)


def test_fallback_rule_boundary():
    threshold = fallback_decision(10).threshold
    at, above = fallback_decision(threshold), fallback_decision(threshold + 1)
    assert at.used and not above.used
    assert at.reason == f"would be used because the data has {threshold} <= {threshold} rows"
    assert f"{threshold + 1} > {threshold}" in above.reason
    assert not fallback_decision(5, fewshot=False).used
    assert fallback_decision(10**6, fewshot=True).used


def test_projection_puts_a_task_on_itself():
    rng = np.random.default_rng(1)
    table = pd.DataFrame(
        rng.lognormal(size=(30, 6)), columns=list("abcdef"), index=[f"task{i}" for i in range(30)]
    )
    table.iloc[3, 2] = np.nan
    table["const"] = 1.0
    proj = project_tasks(table, table.loc["task7"].to_dict())
    assert proj.points.shape == (30, 2) and proj.n_features == 6
    np.testing.assert_allclose(proj.point, proj.points[7], atol=1e-9)
    assert 0 < proj.explained[1] <= proj.explained[0] < 1
    assert project_tasks(table.iloc[:2], {}) is None


def test_a_corpus_dataset_finds_itself_in_the_prior(manifest, datasets_dir):
    """The report describes a dataset the way the prior's tasks were described, so a task the
    prior was built on is its own nearest neighbour."""
    from autometa.data import load_dataset
    from autometa.prior import load_prior

    prior = load_prior("default")
    row = manifest.set_index("name").loc["hepatitis"]
    if "hepatitis" not in prior.meta_features_table.index:
        pytest.skip("the default prior was not built on hepatitis")
    X, y = load_dataset(datasets_dir / row["file"], row["target"])
    report = analyze_dataset(X, y, name="hepatitis.arff")
    assert report.neighbors[0][0] == "hepatitis"
    assert report.neighbors[0][1] == pytest.approx(1.0, abs=1e-6)
    assert [s for _, s in report.neighbors] == sorted(
        (s for _, s in report.neighbors), reverse=True
    )
    recs = report.recommendations
    assert recs and all(0 <= r.expected_score <= 1 and r.spread >= 0 for r in recs)
    star = report.projection.point
    own = report.projection.points[report.projection.tasks.index("hepatitis")]
    np.testing.assert_allclose(star, own, atol=1e-6)


def test_metafeature_groups_cover_the_extracted_values():
    metafeatures = pytest.importorskip("metafeatures")
    if not hasattr(metafeatures, "extract"):
        pytest.skip("metafeatures.extract is not available")
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=80), "b": rng.choice(["u", "v"], 80)})
    y = np.where(X["a"] > 0, "p", "n")
    report = analyze_dataset(X, y, prior=None)
    names = [n for g in report.metafeature_groups for n in g.values]
    assert len(names) == len(set(names))
    listing = metafeatures.list_features()
    groups = dict(zip(listing["name"], listing["group"], strict=True))
    for group in report.metafeature_groups:
        assert all(groups.get(n, "other") == group.name for n in group.values)


def test_missing_labels_are_counted_and_left_out():
    X = pd.DataFrame({"a": np.arange(60.0)})
    y = pd.Series(["u", "v"] * 29 + [None, None])
    report = analyze_dataset(X, y, prior=None)
    assert report.profile.n_missing_labels == 2
    assert report.fallback.n_rows == 58
    assert any("2 row(s) have no label" in n for n in report.notes)
