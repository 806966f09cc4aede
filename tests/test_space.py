from __future__ import annotations

import json

import numpy as np
import optuna
import pandas as pd
import pytest

from autometa import space
from autometa.data import TableEncoder


@pytest.fixture(scope="module")
def table():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=80), "b": rng.choice(["u", "v", "w"], 80)})
    X.loc[::7, "a"] = np.nan
    y = (X["a"].fillna(0) + (X["b"] == "u") > 0.3).astype(int).to_numpy()
    return TableEncoder().fit_transform(X), y


def test_defaults_are_points_of_each_space_and_library_defaults():
    for cfg in space.default_configs():
        fam = space.FAMILIES[cfg["family"]]
        study = optuna.create_study()
        study.enqueue_trial(space.to_trial_params(cfg))
        trial = study.ask()
        assert space.suggest_config(trial, [cfg["family"]]) == cfg
        assert cfg["params"] == fam.default()
    lgbm = space.build_pipeline(space.default_configs(["lightgbm"])[0])[-1]
    assert lgbm.n_estimators == 100 and lgbm.num_leaves == 31 and lgbm.learning_rate == 0.1


def test_every_family_fits_the_typed_table(table):
    X, y = table
    for cfg in space.sample_configs(2 * len(space.FAMILIES), random_state=1):
        model = space.build_pipeline(cfg, random_state=0)
        model.fit(X, y)
        proba = model.predict_proba(X)
        assert proba.shape == (len(X), 2) and np.isfinite(proba).all(), cfg


def test_sample_configs_is_stable_per_family_and_json():
    a = space.sample_configs(30, random_state=3)
    b = space.sample_configs(30, random_state=3, families=["lightgbm", "svc"])
    for fam in ("lightgbm", "svc"):
        in_a = [c for c in a if c["family"] == fam]
        in_b = [c for c in b if c["family"] == fam]
        assert in_b[: len(in_a)] == in_a  # adding families does not change anyone's draws
    assert len({space.config_id(c) for c in a}) == len(a)
    json.dumps(a)


def test_config_id_is_order_independent():
    c1 = {"family": "knn", "params": {"n_neighbors": 3, "p": 1, "weights": "uniform"}}
    c2 = {"params": {"weights": "uniform", "p": 1, "n_neighbors": 3}, "family": "knn"}
    assert space.config_id(c1) == space.config_id(c2)


def test_unknown_family_is_a_clear_error():
    with pytest.raises(ValueError, match="Unknown model family 'nope'"):
        space.build_pipeline({"family": "nope", "params": {}})


def test_large_data_drops_slow_families():
    assert "svc" not in space.family_names(n_rows=50_000)
    assert "svc" in space.family_names(n_rows=500)


def test_awkward_tables_fit_every_family():
    """Names LightGBM rejects, categoricals wider than HistGradientBoosting can bin, and a
    numeric column that is entirely missing."""
    rng = np.random.default_rng(0)
    n = 600
    X = pd.DataFrame(
        {
            'word_freq_"x"': rng.normal(size=n),
            "id:{1}": rng.choice([f"v{i}" for i in range(300)], n),
            "empty": np.full(n, np.nan),
        }
    )
    y = (X.iloc[:, 0] > 0).astype(int).to_numpy()
    Xt = TableEncoder().fit_transform(X)
    for cfg in space.default_configs():
        model = space.build_pipeline(cfg, random_state=0).fit(Xt, y)
        assert np.isfinite(model.predict_proba(Xt)).all(), cfg["family"]
