"""MLPClassifier: scikit-learn contract, typed tables, seeds, hooks, persistence."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import optuna
import pandas as pd
import pytest
import torch
from sklearn.utils.estimator_checks import parametrize_with_checks

import autometa.nas
from autometa.exceptions import WeightsError
from autometa.nas import MLPClassifier
from autometa.nas.training import resolve_device

# Small networks and few epochs keep the checks fast; the learning rate is raised so the
# accuracy check on blobs still passes.
_CHECKED = [
    MLPClassifier(width=32, max_epochs=30, learning_rate=1e-2, random_state=0),
    MLPClassifier(
        width=32,
        depth=3,
        shape="constant",
        normalization="batch",
        residual=True,
        activation="gelu",
        scaling="standard",
        dropout=0.3,
        max_epochs=30,
        learning_rate=1e-2,
        random_state=0,
    ),
]
EXPECTED_FAILURES: dict[str, str] = {}


@parametrize_with_checks(_CHECKED, expected_failed_checks=lambda est: EXPECTED_FAILURES)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def _frame(n: int = 240, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """A contract table whose label needs both a numeric and a categorical column."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    cat = rng.choice(["u", "v", "w"], size=n).astype(object)
    y = ((a > 0) ^ (cat == "v")).astype(np.int64)
    a_obs = a.copy()
    a_obs[rng.random(n) < 0.1] = np.nan
    cat[rng.random(n) < 0.05] = None
    X = pd.DataFrame(
        {
            "a": a_obs,
            "noise": rng.normal(size=n),
            "c": pd.Categorical(cat, categories=["u", "v", "w", "never"]),
        }
    )
    return X, y


def _fast(**kw) -> MLPClassifier:
    params = {"width": 64, "max_epochs": 60, "learning_rate": 1e-2, "random_state": 0}
    return MLPClassifier(**{**params, **kw})


def test_contract_frame_with_categories_and_missing_values():
    X, y = _frame()
    clf = _fast().fit(X, y)
    prep = clf.preprocessor_
    assert prep.categories_ == [["u", "v", "w", "never"]]
    assert prep.indicators_ == [0]  # only "a" had missing values
    assert prep.lookups_ == [[0, 1, 2, 3, 0]]  # "never" is rare: it shares index 0
    assert clf.module_.config["cardinalities"] == [4]
    assert clf.module_.config["n_numeric"] == 3  # a, noise, indicator of a
    X_test, y_test = _frame(seed=1)
    assert (clf.predict(X_test) == y_test).mean() > 0.8  # needs the embedded category
    # Missing and unseen categories share index 0, so they predict the same.
    rows = X_test.iloc[:4].copy()
    unseen = rows.assign(c=pd.Categorical(["zzz"] * 4))
    missing = rows.assign(c=pd.Categorical([None] * 4, categories=["u", "v", "w", "never"]))
    np.testing.assert_array_equal(clf.predict_proba(unseen), clf.predict_proba(missing))
    proba = clf.predict_proba(X_test.assign(a=np.nan))
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_object_column_is_categorical_and_numpy_matches_frame():
    X, y = _frame()
    clf = _fast(max_epochs=5).fit(X.assign(c=X["c"].astype(object)), y)
    assert clf.preprocessor_.categories_ == [["u", "v", "w"]]
    numeric = X[["a", "noise"]]
    p_frame = _fast(max_epochs=5).fit(numeric, y).predict_proba(numeric)
    p_array = _fast(max_epochs=5).fit(numeric.to_numpy(), y).predict_proba(numeric.to_numpy())
    np.testing.assert_array_equal(p_frame, p_array)


def test_same_seed_same_probabilities_and_no_global_rng():
    X, y = _frame()
    torch_state, np_state = torch.get_rng_state(), np.random.get_state()
    p1 = _fast(dropout=0.3, max_epochs=8, random_state=7).fit(X, y).predict_proba(X)
    p2 = _fast(dropout=0.3, max_epochs=8, random_state=7).fit(X, y).predict_proba(X)
    p3 = _fast(dropout=0.3, max_epochs=8, random_state=8).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(p1, p2)
    assert not np.allclose(p1, p3)
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert np.array_equal(np.random.get_state()[1], np_state[1])


def test_threads_capped_during_fit_and_restored():
    X, y = _frame()
    previous = torch.get_num_threads()
    seen: list[int] = []
    try:
        torch.set_num_threads(2)
        clf = _fast(
            max_epochs=2, n_jobs=1, epoch_callback=lambda e, v: seen.append(torch.get_num_threads())
        )
        clf.fit(X, y)
        assert seen == [1, 1]
        assert torch.get_num_threads() == 2
        clf.predict_proba(X)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(previous)


def test_callback_exception_propagates_and_stops_training():
    X, y = _frame()
    calls: list[tuple[int, float]] = []

    def prune_at_three(epoch: int, loss: float) -> None:
        calls.append((epoch, loss))
        if epoch == 3:
            raise optuna.TrialPruned()

    previous = torch.get_num_threads()
    with pytest.raises(optuna.TrialPruned):
        _fast(patience=100, epoch_callback=prune_at_three).fit(X, y)
    assert [e for e, _ in calls] == [1, 2, 3]
    assert all(np.isfinite(v) and v > 0 for _, v in calls)
    assert torch.get_num_threads() == previous


def test_pruning_through_an_optuna_study():
    X, y = _frame()
    epochs_run: list[int] = []

    def objective(trial: optuna.Trial) -> float:
        def report(epoch: int, loss: float) -> None:
            epochs_run.append(epoch)
            trial.report(loss, epoch)
            if trial.should_prune():
                raise optuna.TrialPruned()

        clf = _fast(patience=100, epoch_callback=report).fit(X, y)
        return clf.best_val_loss_

    # Any positive loss is above the threshold: the trial is pruned after its first epoch.
    study = optuna.create_study(pruner=optuna.pruners.ThresholdPruner(upper=0.0))
    study.optimize(objective, n_trials=1)
    assert study.trials[0].state == optuna.trial.TrialState.PRUNED
    assert epochs_run == [1]


def test_time_limit_stops_training_and_keeps_a_model():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(4000, 20))
    y = (X[:, 0] + 0.5 * rng.normal(size=4000) > 0).astype(int)
    clf = _fast(max_epochs=10_000, patience=10_000, batch_size=32, time_limit=0.5)
    start = time.perf_counter()
    clf.fit(X, y)
    elapsed = time.perf_counter() - start
    assert clf.stop_reason_ == "time_limit"
    assert elapsed < 0.5 + 2.0  # one step and a validation pass past the limit, noisy host
    assert 1 <= clf.best_epoch_ <= clf.n_epochs_ < 10_000
    assert (clf.predict(X) == y).mean() > 0.7


def test_tiny_data_trains_without_validation_split():
    X, y = _frame(n=50)
    y = np.r_[np.zeros(47, dtype=int), np.ones(3, dtype=int)]  # 3 rows of class 1
    clf = _fast(max_epochs=12).fit(X, y)
    assert clf.n_epochs_ == 12 and clf.stop_reason_ == "max_epochs"
    assert clf.val_loss_curve_ == [] and clf.best_val_loss_ is None
    assert len(clf.train_loss_curve_) == 12
    balanced = _fast(max_epochs=12).fit(X, np.arange(50) % 2)
    assert len(balanced.val_loss_curve_) == balanced.n_epochs_


def test_save_load_round_trip(tmp_path):
    X, y = _frame()
    labels = np.array(["no", "yes"], dtype=object)[y]
    clf = _fast(max_epochs=10, normalization="batch", residual=True, depth=3).fit(X, labels)
    clf.save(tmp_path / "model")
    loaded = MLPClassifier.load(tmp_path / "model")
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    np.testing.assert_array_equal(loaded.predict(X), clf.predict(X))
    assert loaded.get_params() == {**clf.get_params(), "epoch_callback": None}
    assert list(loaded.feature_names_in_) == ["a", "noise", "c"]
    state = torch.load(tmp_path / "model" / "weights.pt", weights_only=True)
    assert set(state) == set(clf.module_.state_dict())

    doc = json.loads((tmp_path / "model" / "model.json").read_text())
    doc["format_version"] = 99
    (tmp_path / "model" / "model.json").write_text(json.dumps(doc))
    with pytest.raises(WeightsError, match="format version 99"):
        MLPClassifier.load(tmp_path / "model")
    (tmp_path / "model" / "weights.pt").unlink()
    with pytest.raises(WeightsError, match="weights.pt is missing"):
        MLPClassifier.load(tmp_path / "model")


def test_device_auto_resolves_to_what_is_available():
    X, y = _frame(n=60)
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected
    assert _fast(max_epochs=1).fit(X, y).device_.startswith(expected)
    with pytest.raises(ValueError, match="'device' parameter"):
        _fast(device="tpu").fit(X, y)


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("depth", 0),
        ("width", 2.5),
        ("shape", "round"),
        ("activation", "tanh"),
        ("dropout", 1.0),
        ("residual", "yes"),
        ("learning_rate", 0),
        ("time_limit", -1),
        ("validation_fraction", 1.0),
        ("epoch_callback", "print"),
    ],
)
def test_invalid_parameters_are_named(param, value):
    X, y = _frame(n=60)
    with pytest.raises(ValueError, match=f"The '{param}' parameter of MLPClassifier must be"):
        MLPClassifier(**{param: value}).fit(X, y)


def test_public_names_and_lazy_torch_import():
    assert autometa.nas.__all__ == sorted(autometa.nas.__all__)
    assert all(hasattr(autometa.nas, name) for name in autometa.nas.__all__)
    code = "import sys, autometa.nas; print('torch' in sys.modules)"
    root = Path(autometa.nas.__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root
    )
    assert out.stdout.strip() == "False"
