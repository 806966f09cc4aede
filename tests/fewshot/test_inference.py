"""The fast inference paths give the predictions of the plain ones.

``FewShotClassifier`` encodes the query rows with support statistics computed at fit
(``fit_encoding``/``transform_features``), pushes only the query rows through the in-context
network (``support_cache``/``forward_query``) and gives the input layers only the encoded
columns; each path is checked against ``encode_features``, ``pad_features`` and ``forward``.
"""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from scipy.special import ndtri
from sklearn.datasets import make_classification

from autometa.fewshot import FewShotClassifier, load_weights
from autometa.fewshot.methods import FOMAML, EncoderConfig
from autometa.fewshot.model import ArchConfig, build_model
from autometa.fewshot.preprocessing import (
    encode_features,
    fit_encoding,
    make_plan,
    pad_features,
    transform_features,
)


def _mixed_rows(rng: np.random.Generator, n: int, n_levels: np.ndarray) -> np.ndarray:
    """Numeric columns (some discrete, one constant) and categorical codes, with NaNs."""
    x = rng.normal(size=(n, len(n_levels))) * rng.exponential(size=len(n_levels))
    x[:, 1] = np.round(x[:, 1])
    x[:, 2] = 3.0
    for j in np.flatnonzero(n_levels):
        x[:, j] = rng.integers(0, n_levels[j] + 1, n)  # the code n_levels[j] is unseen
    x[rng.random(x.shape) < 0.15] = np.nan
    return x


@pytest.mark.parametrize("transform", ["robust", "quantile"])
def test_fitted_encoding_matches_encode_features(transform):
    rng = np.random.default_rng(0)
    n_levels = np.array([0, 0, 0, 0, 4, 2, 5, 0, 7])
    is_cat = n_levels > 0
    for seed in range(20):
        xs, xq = _mixed_rows(rng, 40, n_levels), _mixed_rows(rng, 25, n_levels)
        plan = make_plan(
            is_cat, n_levels, np.random.default_rng(seed), max_features=12, transform=transform
        )
        expected = encode_features(xs, xq, plan, n_levels)
        enc = fit_encoding(xs, plan, n_levels)
        got = (*transform_features(enc, xs), *transform_features(enc, xq))
        assert enc.n_used == expected[0].shape[1]
        for a, b in zip(got, expected, strict=True):
            assert a.dtype == b.dtype == np.float32
            np.testing.assert_array_equal(a, b)


def test_quantile_transform_is_the_normal_score_of_the_mid_rank():
    rng = np.random.default_rng(1)
    xs = np.round(rng.normal(size=(30, 3)), 1)  # ties
    xs[::4, 1] = np.nan
    xq = np.concatenate([xs[:10], np.round(rng.normal(size=(20, 3)) * 3, 1)])
    plan = make_plan(np.zeros(3, bool), np.zeros(3, np.int64), rng, max_features=5,
                     transform="quantile", shuffle=False)
    v, m = transform_features(fit_encoding(xs, plan, np.zeros(3, np.int64)), xq)
    for j in range(3):
        ref = np.sort(xs[~np.isnan(xs[:, j]), j])
        lo = np.searchsorted(ref, xq[:, j], side="left")
        hi = np.searchsorted(ref, xq[:, j], side="right")
        expected = ndtri((0.5 * (lo + hi) + 0.5) / (len(ref) + 1.0)).astype(np.float32)
        np.testing.assert_array_equal(v[:, j], np.where(np.isnan(xq[:, j]), 0, expected))
        np.testing.assert_array_equal(m[:, j], np.isnan(xq[:, j]))


def test_pad_features_width_keeps_the_first_columns():
    rng = np.random.default_rng(2)
    v, m = rng.normal(size=(5, 3)).astype(np.float32), np.zeros((5, 3), np.float32)
    full = pad_features(v, m, 8)
    for width in (3, 6):
        narrow = pad_features(v, m, 8, width)
        for a, b in zip(narrow, full, strict=True):
            assert a.shape == (5, width)
            np.testing.assert_array_equal(a, b[:, :width])


@pytest.fixture(scope="module")
def shipped_model():
    state, _, arch = load_weights(None)
    model = build_model(arch)
    model.load_state_dict(state)
    return model.eval()


@pytest.mark.parametrize("width", [None, 0, 7])
def test_support_cache_matches_forward(shipped_model, width):
    """Query rows through the cached support keys/values == forward on all rows."""
    model, f = shipped_model, shipped_model.arch.max_features
    g = torch.Generator().manual_seed(0)
    used = f if width is None else width
    x = torch.zeros(2, 50, f)
    x[..., :used] = torch.randn(2, 50, used, generator=g)
    m = torch.zeros(2, 50, f)
    m[..., :used] = (torch.rand(2, 50, used, generator=g) < 0.2).float()
    ys = torch.randint(0, 3, (2, 20), generator=g)
    n_classes = torch.tensor([3, 7])
    with torch.inference_mode():
        expected = model(x[:, :20], m[:, :20], ys, x[:, 20:], m[:, 20:], n_classes)
        cols = slice(0, used)
        cache = model.support_cache(x[:, :20, cols], m[:, :20, cols], ys)
        got = model.forward_query(cache, x[:, 20:, cols], m[:, 20:, cols], n_classes)
    assert torch.equal(torch.isinf(got), torch.isinf(expected))
    finite = torch.isfinite(expected)
    torch.testing.assert_close(got[finite], expected[finite], rtol=0, atol=1e-5)


def _reference_forward(model, xs, ms, ys, xq, mq):
    """The in-context network written out: every row attends to the support rows only."""
    F = torch.nn.functional
    ns, nh = xs.shape[1], model.arch.n_heads
    h = model.encoder(torch.cat([torch.cat([xs, ms], -1), torch.cat([xq, mq], -1)], 1))
    h = torch.cat([h[:, :ns] + model.label_embedding(ys), h[:, ns:]], 1)
    for layer in model.layers:
        b, n, d = h.shape
        q, k, v = layer.qkv(layer.norm1(h)).split(d, -1)
        q, k, v = (t.view(b, n, nh, d // nh).transpose(1, 2) for t in (q, k, v))
        a = F.scaled_dot_product_attention(q, k[:, :, :ns], v[:, :, :ns])
        h = h + layer.proj(a.transpose(1, 2).reshape(b, n, d))
        h = h + layer.ff2(F.gelu(layer.ff1(layer.norm2(h))))
    return model.head(model.norm(h[:, ns:]))


def test_forward_is_the_reference_network():
    """Training's forward (its layers written with keys_values and attend) is unchanged."""
    torch.manual_seed(0)
    model = build_model(ArchConfig(max_features=6, max_classes=3, d_model=8, n_layers=2,
                                   n_heads=2, d_ff=8))
    g = torch.Generator().manual_seed(0)
    xs, ms = torch.randn(2, 9, 6, generator=g), torch.zeros(2, 9, 6)
    xq, mq = torch.randn(2, 5, 6, generator=g), torch.ones(2, 5, 6)
    ys = torch.randint(0, 3, (2, 9), generator=g)
    expected = _reference_forward(model, xs, ms, ys, xq, mq)
    torch.testing.assert_close(model(xs, ms, ys, xq, mq, 3), expected, rtol=0, atol=1e-6)
    masked = model(xs, ms, ys, xq, mq, torch.tensor([3, 2]))
    assert torch.isinf(masked[1, :, 2]).all() and torch.isfinite(masked[0]).all()


def _forward_proba(clf: FewShotClassifier, X) -> np.ndarray:
    """predict_proba of an in-context FewShotClassifier through the plain forward."""
    xq, _, _ = clf._matrix(X, fitting=False)
    model = clf._get_model("cpu")
    k = len(clf.classes_)
    g, f = min(k, clf._arch.max_classes), clf._arch.max_features
    scores = np.zeros((len(xq), k))
    for m in clf.members_:
        rows = m["rows"]
        vs, ms, vq, mq = encode_features(clf.support_x_[rows], xq, m["plan"], clf.n_levels_)
        xs, ms, xq_, mq = (torch.as_tensor(a)[None] for a in (*pad_features(vs, ms, f),
                                                               *pad_features(vq, mq, f)))
        ys = torch.as_tensor(m["code"][clf.support_y_[rows]])[None]
        with torch.inference_mode():
            logits = model(xs, ms, ys, xq_, mq, g)
        logp = torch.log_softmax(logits[0, :, :g], -1).numpy()[:, m["code"]]
        scores += np.exp(logp) if k <= g else logp
    return clf._combine(scores, k, g)


def _dataframe():
    rng = np.random.default_rng(3)
    n = 150
    df = pd.DataFrame({
        "a": rng.normal(size=n),
        "b": pd.Categorical(rng.choice(["x", "y", "z", "w"], n)),
        "c": rng.choice(["u", "v"], n).astype(object),
        "d": rng.exponential(size=n),
    })
    df.loc[rng.random(n) < 0.2, "a"] = np.nan
    df.loc[rng.random(n) < 0.1, "b"] = np.nan
    y = ((df["a"].fillna(0) + (df["b"] == "x")) > 0.3).astype(int).to_numpy()
    return df.iloc[:60], y[:60], df.iloc[60:]


def _classes(k: int, p: int):
    X, y = make_classification(200, p, n_informative=min(p, 8), n_redundant=0, n_classes=k,
                               n_clusters_per_class=1, random_state=k)
    return X[:80], y[:80], X[80:]


@pytest.mark.parametrize("task", ["binary-30-features", "3-classes", "12-classes", "dataframe"])
@pytest.mark.parametrize("n_jobs", [1, 2])  # one member per forward pass, or all at once
def test_predict_proba_matches_forward(task, n_jobs):
    Xs, ys, Xq = {
        "binary-30-features": lambda: _classes(2, 30),
        "3-classes": lambda: _classes(3, 6),
        "12-classes": lambda: _classes(12, 10),
        "dataframe": _dataframe,
    }[task]()
    clf = FewShotClassifier(random_state=0, device="cpu", batch_size=50, n_jobs=n_jobs,
                            precision="float32")
    clf.fit(Xs, ys)
    np.testing.assert_allclose(clf.predict_proba(Xq), _forward_proba(clf, Xq), rtol=0,
                               atol=1e-5)


@pytest.mark.parametrize("task", ["binary-30-features", "12-classes"])
def test_bfloat16_predictions_stay_close_to_float32(task):
    Xs, ys, Xq = _classes(2, 30) if task == "binary-30-features" else _classes(12, 10)
    proba = {p: FewShotClassifier(random_state=0, device="cpu", precision=p).fit(Xs, ys)
             .predict_proba(Xq) for p in ("float32", "bfloat16")}
    assert not np.array_equal(proba["bfloat16"], proba["float32"])  # it did run in bfloat16
    np.testing.assert_allclose(proba["bfloat16"], proba["float32"], rtol=0, atol=0.02)
    np.testing.assert_allclose(proba["bfloat16"].sum(1), 1.0, rtol=1e-6)
    # float32 logits: no ties from rounding scores to bfloat16's 8 significant bits
    assert len(np.unique(proba["bfloat16"][:, 0])) == len(np.unique(proba["float32"][:, 0]))


@pytest.mark.parametrize("amx", [True, False])
def test_auto_precision_is_bfloat16_only_on_hardware_that_multiplies_it(monkeypatch, amx):
    from autometa.fewshot.classifier import _resolve_precision

    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: amx, raising=False)
    assert _resolve_precision("auto", "cpu") == (torch.bfloat16 if amx else None)
    assert _resolve_precision("float32", "cpu") is None
    assert _resolve_precision("bfloat16", "cpu") == torch.bfloat16
    Xs, ys, Xq = _classes(3, 6)
    auto, forced = (FewShotClassifier(random_state=0, device="cpu", precision=p).fit(Xs, ys)
                    .predict_proba(Xq) for p in ("auto", "bfloat16" if amx else "float32"))
    np.testing.assert_array_equal(auto, forced)


def test_support_cache_is_rebuilt_after_pickling():
    Xs, ys, Xq = _classes(3, 6)
    clf = FewShotClassifier(random_state=0, device="cpu").fit(Xs, ys)
    copy = pickle.loads(pickle.dumps(clf))
    assert copy._support_kv is None
    np.testing.assert_array_equal(copy.predict_proba(Xq), clf.predict_proba(Xq))


def test_gradient_methods_take_narrow_queries():
    """FOMAML's input layer on the encoded columns only == on the zero-padded rows."""
    method = FOMAML(EncoderConfig(max_features=8, max_classes=3, hidden=16, embed=8), seed=0)
    rng = np.random.default_rng(4)
    xs = np.zeros((12, 8), np.float32)
    xs[:, :5] = rng.normal(size=(12, 5))
    xq = np.zeros((7, 8), np.float32)
    xq[:, :5] = rng.normal(size=(7, 5))
    state = method.fit_support(xs, np.zeros_like(xs), rng.integers(0, 3, 12), 3)
    full = method.predict_query(state, xq, np.zeros_like(xq))
    narrow = method.predict_query(state, xq[:, :5], np.zeros((7, 5), np.float32))
    np.testing.assert_allclose(narrow, full, rtol=0, atol=1e-6)
