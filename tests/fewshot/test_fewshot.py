from __future__ import annotations

import json
import math
import shutil

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification
from sklearn.metrics import roc_auc_score
from sklearn.utils.estimator_checks import parametrize_with_checks

import autometa.fewshot as fewshot
from autometa.fewshot import FewShotClassifier, FewShotWeightsError, load_weights, save_weights
from autometa.fewshot.weights import DEFAULT_WEIGHTS

# The network runs in float32 on batches of query rows: a row's probabilities can differ by
# about 1e-7 depending on the other rows in its batch, around the check's own 1e-7 tolerance,
# so scikit-learn's exact-equality checks pass or fail with the thread count and machine. They
# are replaced by the same properties at float32 precision below.
FLOAT32_CHECKS = {"check_methods_subset_invariance", "check_methods_sample_order_invariance"}


@parametrize_with_checks([FewShotClassifier(n_estimators=1, random_state=0)])
def test_sklearn_compatible(estimator, check):
    name = getattr(check, "func", check).__name__
    if name in FLOAT32_CHECKS:
        pytest.skip(f"{name}: at float32 precision in test_rows_do_not_depend_on_batch_*")
    check(estimator)


def test_rows_do_not_depend_on_batch_order_or_subset():
    X, y = _task(n=200, seed=3)
    clf = FewShotClassifier(n_estimators=1, random_state=0).fit(X[:64], y[:64])
    query = X[64:]
    full = clf.predict_proba(query)
    order = np.random.default_rng(0).permutation(len(query))
    np.testing.assert_allclose(clf.predict_proba(query[order]), full[order], atol=1e-5)
    for part in np.array_split(np.arange(len(query)), 7):  # subsets, as the check does
        np.testing.assert_allclose(clf.predict_proba(query[part]), full[part], atol=1e-5)


def _task(n=300, p=6, k=2, seed=0):
    X, y = make_classification(n, p, n_informative=min(p, 4), n_redundant=0, n_classes=k,
                               n_clusters_per_class=1, class_sep=1.5, random_state=seed)
    return X, y


def test_beats_chance_on_a_simple_task():
    X, y = _task()
    clf = FewShotClassifier(random_state=0).fit(X[:64], y[:64])
    proba = clf.predict_proba(X[64:])
    assert proba.shape == (236, 2)
    np.testing.assert_allclose(proba.sum(1), 1.0, rtol=1e-6)
    assert roc_auc_score(y[64:], proba[:, 1]) > 0.8
    # a network that ignores the labels would sit at 0.5 on shuffled labels
    rng = np.random.default_rng(0)
    shuffled = FewShotClassifier(random_state=0).fit(X[:64], rng.permutation(y[:64]))
    assert roc_auc_score(y[64:], shuffled.predict_proba(X[64:])[:, 1]) < 0.75


def test_categorical_and_missing_dataframe():
    rng = np.random.default_rng(1)
    n = 120
    colour = rng.choice(["red", "green", "blue", "grey"], size=n)
    size = rng.normal(size=n)
    y = ((colour == "red") | (size > 1.0)).astype(int)
    size[rng.random(n) < 0.2] = np.nan
    X = pd.DataFrame({
        "colour": pd.Categorical(colour, categories=["red", "green", "blue", "grey"]),
        "size": size,
        "tag": pd.Series(rng.choice(["a", "b", None], size=n), dtype="object"),
    })
    X.loc[::7, "colour"] = np.nan
    clf = FewShotClassifier(random_state=0).fit(X[:80], y[:80])
    assert list(clf.feature_names_in_) == ["colour", "size", "tag"]
    assert clf.is_categorical_.tolist() == [True, False, True]
    test = X[80:].copy()
    test.loc[test.index[0], "tag"] = "never-seen"  # unseen level -> missing
    proba = clf.predict_proba(test)
    assert proba.shape == (40, 2) and np.isfinite(proba).all()
    assert roc_auc_score(y[80:], proba[:, 1]) > 0.7
    with pytest.raises(ValueError, match="must be a DataFrame"):
        clf.predict_proba(test.to_numpy())


def test_more_features_than_the_network_width():
    X, y = _task(n=200, p=150)
    clf = FewShotClassifier(n_estimators=3, random_state=0).fit(X[:100], y[:100])
    used = [len(m["plan"].columns) for m in clf.members_]
    assert all(u <= clf._arch.max_features for u in used)
    assert len({tuple(m["plan"].columns[:5]) for m in clf.members_}) > 1  # different subsets
    assert clf.predict_proba(X[100:]).shape == (100, 2)


def test_more_classes_than_the_network_outputs():
    from autometa.fewshot import load_weights
    from autometa.fewshot.classifier import ECOC_FACTOR

    g = load_weights()[2].max_classes  # the shipped network's outputs
    rng = np.random.default_rng(0)
    k = g + 4
    centers = rng.normal(scale=4.0, size=(k, 3))
    y = np.repeat(np.arange(k), 20)
    X = centers[y] + rng.normal(size=(len(y), 3))
    labels = np.array([f"c{i:02d}" for i in range(k)])[y]
    tr = rng.permutation(len(y))[: 10 * k]
    te = np.setdiff1d(np.arange(len(y)), tr)
    clf = FewShotClassifier(n_estimators=2, random_state=0).fit(X[tr], labels[tr])
    # output codes: ECOC_FACTOR * ceil(log(k) / log(g)) + 1 codebooks (9 for 14 of 10)
    assert len(clf.members_) == ECOC_FACTOR * math.ceil(math.log(k) / math.log(g)) + 1
    proba = clf.predict_proba(X[te])
    assert proba.shape == (len(te), k)
    np.testing.assert_allclose(proba.sum(1), 1.0, rtol=1e-6)
    assert np.mean(clf.predict(X[te]) == labels[te]) > 3.0 / k


def test_determinism():
    X, y = _task(n=100, p=5, k=3)
    a = FewShotClassifier(random_state=3).fit(X[:60], y[:60]).predict_proba(X[60:])
    b = FewShotClassifier(random_state=3).fit(X[:60], y[:60]).predict_proba(X[60:])
    c = FewShotClassifier(random_state=4).fit(X[:60], y[:60]).predict_proba(X[60:])
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_parameter_errors():
    X, y = _task(n=40)
    with pytest.raises(ValueError, match="'n_estimators' parameter of FewShotClassifier"):
        FewShotClassifier(n_estimators=0).fit(X, y)
    with pytest.raises(ValueError, match="'device' parameter"):
        FewShotClassifier(device="tpu").fit(X, y)
    with pytest.raises(ValueError, match="'precision' parameter .* 'auto', 'float32', 'bfloat16'"):
        FewShotClassifier(precision="fp16").fit(X, y)


@pytest.fixture
def weights_copy(tmp_path):
    for suffix in (".pt", ".json"):
        shutil.copy(DEFAULT_WEIGHTS.with_suffix(suffix), tmp_path / f"w{suffix}")
    return tmp_path / "w.pt"


def test_shipped_weights_metadata():
    state, meta, arch = load_weights()
    assert meta["schema_version"] == fewshot.WEIGHTS_SCHEMA_VERSION
    assert meta["steps"] > 0 and "training_command" in meta
    assert set(meta["data"]["corpus_train"]).isdisjoint(meta["data"]["corpus_heldout"])
    assert DEFAULT_WEIGHTS.stat().st_size < 8_000_000


def test_truncated_weights_give_a_clear_error(weights_copy):
    data = weights_copy.read_bytes()
    weights_copy.write_bytes(data[: len(data) // 2])
    with pytest.raises(FewShotWeightsError, match="corrupted or truncated"):
        load_weights(weights_copy)
    X, y = _task(n=40)
    with pytest.raises(FewShotWeightsError):
        FewShotClassifier(weights=weights_copy).fit(X, y)


def test_unreadable_weights_with_matching_checksum(weights_copy):
    weights_copy.write_bytes(b"not a torch file")
    meta_path = weights_copy.with_suffix(".json")
    meta = json.loads(meta_path.read_text())
    import hashlib

    meta["sha256"] = hashlib.sha256(b"not a torch file").hexdigest()
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(FewShotWeightsError, match="could not be read"):
        load_weights(weights_copy)


def test_wrong_schema_version_and_bad_json(weights_copy):
    meta_path = weights_copy.with_suffix(".json")
    meta = json.loads(meta_path.read_text())
    meta_path.write_text(json.dumps(dict(meta, schema_version=99)))
    with pytest.raises(FewShotWeightsError, match="schema version 99"):
        load_weights(weights_copy)
    meta_path.write_text("{not json")
    with pytest.raises(FewShotWeightsError, match="not valid JSON"):
        load_weights(weights_copy)


def test_missing_and_mismatched_weights(tmp_path, weights_copy):
    assert isinstance(FewShotWeightsError("x"), fewshot._errors.AutoMetaError)
    with pytest.raises(FewShotWeightsError, match="No few-shot weights"):
        load_weights(tmp_path / "absent.pt")
    state, meta, _ = load_weights(weights_copy)
    state["head.weight"] = state["head.weight"][:, :3]
    save_weights(state, meta, tmp_path / "bad.pt")
    with pytest.raises(FewShotWeightsError, match="head.weight has shape"):
        load_weights(tmp_path / "bad.pt")
    del state["head.bias"]
    save_weights(state, meta, tmp_path / "bad2.pt")
    with pytest.raises(FewShotWeightsError, match="missing"):
        load_weights(tmp_path / "bad2.pt")
