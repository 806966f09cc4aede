from __future__ import annotations

import json

import numpy as np
import pytest

from autometa.fewshot import load_weights, save_weights
from autometa.fewshot.family import FEWSHOT_FAMILY
from autometa.fewshot.methods import EncoderConfig
from autometa.fewshot.methods.maml import FOMAML
from autometa.fewshot.methods.reptile import Reptile
from autometa.fewshot.model import ArchConfig
from autometa.fewshot.preprocessing import encode_features, make_plan, pad_features
from autometa.fewshot.sampler import (
    IGNORE_INDEX,
    CorpusSource,
    SyntheticSource,
    TaskSampler,
    corpus_split,
)
from autometa.fewshot.train import InContextMethod, meta_train

TINY = ArchConfig(max_features=8, max_classes=4, d_model=16, n_layers=1, n_heads=2, d_ff=16)
TINY_ENCODER = EncoderConfig(max_features=8, max_classes=4, hidden=16, embed=8, n_layers=1)


def _sampler():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 3))
    y = (x[:, 0] > 0).astype(np.int64)
    corpus = [("toy", x, y, np.zeros(3, bool), np.zeros(3, np.int64))]
    return TaskSampler([(SyntheticSource(8, 4), 0.5), (CorpusSource(corpus, 4), 0.5)],
                       max_features=8, max_classes=4, support_range=(8, 16), n_query=8,
                       tokens_per_batch=48)


def test_batches_have_consistent_shapes_and_labels():
    batch = _sampler().sample_batch(np.random.default_rng(1))
    b, ns, f = batch.xs.shape
    assert f == 8 and batch.xq.shape == (b, 8, 8) and batch.ys.shape == (b, ns)
    assert (batch.n_classes >= 2).all() and (batch.n_classes <= 4).all()
    for ys, yq, k in zip(batch.ys, batch.yq, batch.n_classes, strict=True):
        assert set(np.unique(ys)) == set(range(k))  # support labels are 0..k-1
        assert np.isin(yq, [*range(k), IGNORE_INDEX]).all()


def test_meta_train_checkpoints_and_resumes(tmp_path):
    seen = []
    val = {"synthetic": [_sampler().sample_batch(np.random.default_rng(2))]}
    method = InContextMethod(TINY)
    s = meta_train(method, _sampler(), out_dir=tmp_path, minutes=1, validation=val,
                   max_steps=3, checkpoint_every=0.0, on_checkpoint=seen.append)
    assert s["step"] == 3 and (tmp_path / "checkpoint.pt").is_file()
    assert seen and seen[0]["is_best"] and np.isfinite(seen[-1]["validation"]["loss"])
    resumed = InContextMethod(TINY)
    s2 = meta_train(resumed, _sampler(), out_dir=tmp_path, minutes=1, validation=val,
                    max_steps=5, checkpoint_every=1e9)
    assert s2["step"] == 5
    lines = (tmp_path / "history.jsonl").read_text().splitlines()
    assert [json.loads(x)["step"] for x in lines][-1] == 5
    tensors, meta = resumed.export()
    save_weights(tensors, dict(meta, steps=5), tmp_path / "w.pt")
    state, meta2, arch = load_weights(tmp_path / "w.pt")
    assert arch == TINY and meta2["steps"] == 5


def test_encoding_uses_support_statistics_only():
    rng = np.random.default_rng(0)
    xs = np.column_stack([rng.normal(5, 2, 50), np.ones(50), rng.integers(0, 3, 50)])
    xq = np.column_stack([rng.normal(5, 2, 10), np.zeros(10), [np.nan] * 10])
    is_cat = np.array([False, False, True])
    levels = np.array([0, 0, 3])
    plan = make_plan(is_cat, levels, rng, max_features=8, transform="robust", shuffle=False)
    vs, ms, vq, mq = encode_features(xs, xq, plan, levels)
    assert vs.shape[1] == 1 + 3  # constant column dropped, 3-level categorical one-hot
    assert abs(np.median(vs[:, 0])) < 1e-6
    assert mq[:, 1:].all() and (vq[:, 1:] == 0).all()  # missing -> 0 plus flag
    xp, mp = pad_features(vs, ms, 8)
    assert xp.shape == (50, 8) and (xp[:, 4:] == 0).all()
    np.testing.assert_allclose(xp[:, 0], vs[:, 0] * np.sqrt(8 / 4), rtol=1e-6)
    before = encode_features(xs, xq[:3], plan, levels)[2]
    np.testing.assert_array_equal(before, vq[:3])  # query rows are encoded independently


def test_corpus_split_is_fixed():
    assert {corpus_split(n) for n in ["iris", "anneal", "letter", "zoo"]} <= {
        "train", "validation", "heldout"}
    assert corpus_split("iris") == corpus_split("iris")


def test_family():
    optuna = pytest.importorskip("optuna")
    assert FEWSHOT_FAMILY.name == "fewshot"
    params = FEWSHOT_FAMILY.suggest(optuna.trial.FixedTrial({"n_estimators": 2,
                                                             "max_support": 256}))
    est = FEWSHOT_FAMILY.build(params, random_state=0, n_jobs=1, device="cpu")
    assert est.get_params()["n_estimators"] == 2 and est.random_state == 0
    assert FEWSHOT_FAMILY.build(FEWSHOT_FAMILY.default(), random_state=None, n_jobs=None,
                                device="auto").n_estimators == 4


def test_meta_train_survives_a_failing_batch(tmp_path):
    sampler = _sampler()
    calls = {"n": 0}
    original = sampler.sample_batch

    def flaky(rng, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ValueError("generator bug")
        return original(rng, *args, **kwargs)

    sampler.sample_batch = flaky
    s = meta_train(InContextMethod(TINY), sampler, out_dir=tmp_path, minutes=1, max_steps=2,
                   checkpoint_every=1e9)
    assert s["step"] == 2 and calls["n"] == 3



def _rates_under_cooldown(method, out_dir) -> list:
    """The learning rate of every step of a short meta_train run with ``cooldown``."""
    rates = []
    step = method.train_step

    def recorded(batch):
        out = step(batch)
        rates.append(method.opt.param_groups[0]["lr"])
        return out

    method.train_step = recorded
    meta_train(method, _sampler(), out_dir=out_dir, minutes=0.02, checkpoint_every=1e9,
               cooldown=True)
    return rates


@pytest.mark.parametrize("kind", ["icl", "fomaml"])
def test_cooldown_decays_the_learning_rate_to_zero_over_the_run(tmp_path, kind):
    method = (InContextMethod(TINY, lr=1e-3, warmup=1) if kind == "icl"
              else FOMAML(TINY_ENCODER, seed=0, lr=1e-3, inner_steps=1))
    rates = _rates_under_cooldown(method, tmp_path)
    assert len(rates) >= 3
    assert rates[0] <= 1e-3 and rates[-1] < rates[0] / 2
    assert all(b <= a for a, b in zip(rates, rates[1:], strict=False))  # never rises


def test_cooldown_needs_a_learning_rate_to_decay(tmp_path):
    with pytest.raises(ValueError, match="lr_scale"):
        meta_train(object(), _sampler(), out_dir=tmp_path / "x", minutes=0.01, cooldown=True)
    with pytest.raises(ValueError, match="lr_scale"):  # Reptile's outer step has no rate
        meta_train(Reptile(TINY_ENCODER, seed=0), _sampler(), out_dir=tmp_path / "r", minutes=0.01,
                   cooldown=True)


def test_the_synthetic_prior_draws_many_level_categorical_columns_on_request():
    from autometa.fewshot.prior import sample_synthetic_task

    def levels(many_levels):
        rng = np.random.default_rng(0)
        out = []
        for _ in range(200):
            x, _, is_cat, n_levels, _ = sample_synthetic_task(rng, 128, many_levels=many_levels)
            for j in np.flatnonzero(is_cat):
                codes = x[~np.isnan(x[:, j]), j]
                assert codes.min() >= 0 and codes.max() < n_levels[j]
            out.extend(n_levels[is_cat])
        return np.asarray(out)

    default, many = levels(0.0), levels(1.0)
    assert default.min() >= 2 and default.max() <= 10
    assert many.min() >= 11 and many.max() <= 40


def test_plans_one_hot_encode_up_to_the_given_number_of_levels():
    is_cat = np.array([True, True, True, True, False])
    n_levels = np.array([2, 4, 12, 50, 0])

    def onehot(**kw):
        plan = make_plan(is_cat, n_levels, np.random.default_rng(0), max_features=100,
                         shuffle=False, **kw)
        return set(plan.onehot)

    assert onehot() == {1}  # binary columns stay one 0/1 column; 3 to 5 levels by default
    assert onehot(onehot_max_levels=12) == {1, 2}
    assert onehot(onehot_max_levels=60) == {1, 2, 3}
    # room permitting: a 50-level block does not fit in 40 features
    plan = make_plan(is_cat, n_levels, np.random.default_rng(0), max_features=40, shuffle=False,
                     onehot_max_levels=60)
    assert set(plan.onehot) == {1, 2} and len(plan.columns) == 5


def test_the_synthetic_prior_draws_more_than_ten_classes_on_request():
    from autometa.fewshot.prior import sample_synthetic_task

    def classes(max_classes, many_classes):
        rng = np.random.default_rng(0)
        return np.array([
            len(np.unique(sample_synthetic_task(rng, 512, max_features=8, max_classes=max_classes,
                                                many_classes=many_classes)[1]))
            for _ in range(150)
        ])

    assert classes(30, 0.0).max() <= 10  # wide networks still train on 2-10 classes by default
    many = classes(30, 0.5)
    assert many.max() > 10 and many.max() <= 30
    assert 0.2 < (many > 10).mean() < 0.6
    assert classes(10, 1.0).max() <= 10  # no room for more: the share does not apply


def test_widening_the_outputs_keeps_the_logits_of_tasks_with_fewer_classes():
    import torch

    from autometa.fewshot.model import build_model
    from autometa.fewshot.train import widen_classes

    torch.manual_seed(0)
    old = build_model(TINY).eval()
    wide_arch = ArchConfig(**{**TINY.to_dict(), "max_classes": 7})
    state = widen_classes(old.state_dict(), 7, seed=1)
    wide = build_model(wide_arch)
    wide.load_state_dict(state)
    wide.eval()
    batch = _sampler().sample_batch(np.random.default_rng(3))
    t = batch.to_torch("cpu")
    args = (t["xs"], t["ms"], t["ys"], t["xq"], t["mq"], t["n_classes"])
    with torch.inference_mode():
        a, b = old(*args), wide(*args)
    assert torch.equal(a, b[..., :4]) and torch.isinf(b[..., 4:]).all()
    emb = state["label_embedding.weight"]
    # rows of new classes start near the copied ones, but not equal, so training can part them
    assert torch.allclose(emb[4:], emb[[0, 1, 2]], atol=0.1) and not torch.equal(emb[4], emb[0])
    with pytest.raises(ValueError, match="narrow"):
        widen_classes(state, 5)


def test_a_run_can_start_from_weights_with_fewer_outputs(tmp_path, capsys):
    from autometa.fewshot import FewShotClassifier
    from autometa.fewshot.train import main as train_main

    small = tmp_path / "small.pt"
    tensors, meta = InContextMethod(TINY).export()
    save_weights(tensors, meta, small)
    # the CLI builds the full-size network, so the tiny weights are refused by architecture
    base = ["--out", str(tmp_path / "run"), "--minutes", "1", "--max-steps", "1",
            "--checkpoint-every", "1e9", "--max-classes", "12", "--many-classes", "0.5"]
    with pytest.raises(SystemExit):
        train_main([*base, "--init-from", str(small)])
    assert "differs from the run's" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        train_main([*base, "--method", "protonet"])  # other methods keep 10 classes
    assert "10 for --method protonet; got 12" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        train_main([*base[:-4], "--max-classes", "1"])
    assert train_main([*base, "--init-from", "default"]) == 0
    final = json.loads((tmp_path / "run" / "final.json").read_text())
    assert final["arch"]["max_classes"] == 12 and final["data"]["synthetic_many_classes"] == 0.5
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(96, 3)), np.arange(96) % 12
    clf = FewShotClassifier(weights=tmp_path / "run" / "final.pt", n_estimators=2).fit(X, y)
    assert len(clf.members_) == 2  # 12 classes read natively, no output codes
    assert clf.predict_proba(X[:5]).shape == (5, 12)
