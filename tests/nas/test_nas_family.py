"""The MLP model family: its space, default point and builder."""

from __future__ import annotations

import json
import warnings

import numpy as np
import optuna
import pandas as pd
import pytest

from autometa.nas import MLP_FAMILY, MLPClassifier


def test_default_is_a_point_of_the_space():
    default = MLP_FAMILY.default()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # FixedTrial warns on out-of-range values
        assert MLP_FAMILY.suggest(optuna.trial.FixedTrial(default)) == default
    assert default["depth"] == 2 and default["width"] == 256 and default["shape"] == "funnel"


def test_suggested_params_are_json_and_build_estimators():
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    trial = study.ask()
    params = MLP_FAMILY.suggest(trial)
    assert set(params) == set(MLP_FAMILY.default())
    assert set(trial.params) == set(params)  # plain names, no prefix
    assert json.loads(json.dumps(params)) == params
    clf = MLP_FAMILY.build(params, random_state=3, n_jobs=1, device="cpu")
    assert isinstance(clf, MLPClassifier)
    assert clf.get_params() == {
        **MLPClassifier().get_params(),
        **params,
        "random_state": 3,
        "n_jobs": 1,
        "device": "cpu",
    }


def test_random_configs_fit_a_typed_table():
    rng = np.random.default_rng(0)
    n = 120
    X = pd.DataFrame(
        {
            "x": np.where(rng.random(n) < 0.1, np.nan, rng.normal(size=n)),
            "c": pd.Categorical(rng.choice(["a", "b", None], size=n), categories=["a", "b"]),
        }
    )
    y = rng.integers(0, 3, size=n)
    sampler = optuna.samplers.RandomSampler(seed=1)
    study = optuna.create_study(sampler=sampler)
    for _ in range(4):
        params = MLP_FAMILY.suggest(study.ask())
        clf = MLP_FAMILY.build({**params, "max_epochs": 3}, random_state=0, n_jobs=1, device="cpu")
        proba = clf.fit(X, y).predict_proba(X)
        assert proba.shape == (n, 3) and np.isfinite(proba).all()


def test_build_rejects_unknown_parameters():
    with pytest.raises(ValueError, match="Unknown parameters \\['depht'\\]"):
        MLP_FAMILY.build({"depht": 3}, random_state=0, n_jobs=1, device="cpu")
    assert MLP_FAMILY.name == "mlp"
