from __future__ import annotations

import copy
import json

import numpy as np
import pytest
import torch
from sklearn.datasets import make_classification
from sklearn.metrics import roc_auc_score

import autometa.fewshot.methods as methods
from autometa.fewshot import FewShotClassifier, FewShotWeightsError, load_weights, save_weights
from autometa.fewshot.methods import (
    FOMAML,
    MAML,
    METHODS,
    EncoderConfig,
    ProtoNet,
    Reptile,
    SiameseNet,
)
from autometa.fewshot.sampler import SyntheticSource, TaskSampler
from autometa.fewshot.train import main as train_main
from autometa.fewshot.train import meta_train

TINY = EncoderConfig(max_features=8, max_classes=4, hidden=16, embed=8, n_layers=1)


def _sampler(seed_classes=4):
    return TaskSampler(
        [(SyntheticSource(8, seed_classes), 1.0)],
        max_features=8,
        max_classes=4,
        support_range=(8, 16),
        n_query=8,
        tokens_per_batch=48,
    )


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Every method meta-trained for a few steps on tiny episodes, weights on disk."""
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("methods")
    val = {"synthetic": [_sampler().sample_batch(np.random.default_rng(s), 8) for s in (2, 3, 4)]}
    out = {}
    for name, cls in METHODS.items():
        method = cls(TINY, seed=0)
        meta_train(
            method,
            _sampler(),
            out_dir=root / name,
            minutes=1,
            validation=val,
            max_steps=15,
            checkpoint_every=1e9,
            resume=False,
        )
        tensors, meta = method.export()
        out[name] = save_weights(tensors, dict(meta, steps=method.step), root / f"{name}.pt")
    return out


def _task(n=160, p=5, k=2, seed=0, sep=2.5):
    return make_classification(
        n,
        p,
        n_informative=min(p, 3),
        n_redundant=0,
        n_classes=k,
        n_clusters_per_class=1,
        class_sep=sep,
        random_state=seed,
    )


def test_all_is_sorted_and_registry():
    assert methods.__all__ == sorted(methods.__all__)
    assert methods.METHOD_NAMES == (
        "icl",
        "maml",
        "fomaml",
        "reptile",
        "protonet",
        "relation",
        "siamese",
    )
    for name in methods.__all__:
        assert hasattr(methods, name)


@pytest.mark.parametrize("name", list(METHODS))
def test_each_method_fits_and_predicts(trained, name):
    X, y = _task()
    clf = FewShotClassifier(method=name, weights=trained[name], random_state=0, n_estimators=2)
    proba = clf.fit(X[:48], y[:48]).predict_proba(X[48:])
    assert proba.shape == (112, 2) and np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(1), 1.0, rtol=1e-6)
    assert roc_auc_score(y[48:], proba[:, 1]) > 0.75
    assert clf.metadata_["method"] == name and clf.metadata_["steps"] == 15
    again = (
        FewShotClassifier(method=name, weights=trained[name], random_state=0, n_estimators=2)
        .fit(X[:48], y[:48])
        .predict_proba(X[48:])
    )
    np.testing.assert_array_equal(proba, again)
    other = (
        FewShotClassifier(method=name, weights=trained[name], random_state=1, n_estimators=2)
        .fit(X[:48], y[:48])
        .predict_proba(X[48:])
    )
    assert not np.array_equal(proba, other)


@pytest.mark.parametrize("name", ["protonet", "siamese"])
def test_more_classes_than_the_head(trained, name):
    X, y = _task(n=240, p=4, k=6, sep=3.0)  # TINY heads have 4 outputs: output codes
    clf = FewShotClassifier(method=name, weights=trained[name], random_state=0, n_estimators=2)
    proba = clf.fit(X[:120], y[:120]).predict_proba(X[120:])
    assert proba.shape == (120, 6)
    np.testing.assert_allclose(proba.sum(1), 1.0, rtol=1e-6)
    assert np.mean(clf.predict(X[120:]) == y[120:]) > 2.0 / 6


def _episode(seed=0, ns=6, nq=5):
    rng = np.random.default_rng(seed)
    xs = torch.tensor(rng.normal(size=(1, ns, 8)))
    xq = torch.tensor(rng.normal(size=(1, nq, 8)))
    return {
        "xs": xs,
        "ms": torch.zeros_like(xs),
        "ys": torch.tensor(np.arange(ns)[None] % 2),
        "xq": xq,
        "mq": torch.zeros_like(xq),
        "yq": torch.tensor(np.arange(nq)[None] % 2),
        "n_classes": torch.tensor([2]),
    }


def _double(m):
    for mod in m.modules.values():
        mod.double()
    if hasattr(m, "inner_log_lr"):
        m.inner_log_lr.data = m.inner_log_lr.data.double()
    return m


def test_maml_uses_second_order_gradients():
    t = _episode()
    maml = _double(MAML(TINY, seed=0, inner_steps=2, inner_lr=0.5))
    fo = _double(FOMAML(TINY, seed=0, inner_steps=2, inner_lr=0.5))
    w2, w1 = list(maml.net.parameters())[0], list(fo.net.parameters())[0]
    g2 = torch.autograd.grad(maml.objective(t)[0], w2)[0]
    g1 = torch.autograd.grad(fo.objective(t)[0], w1)[0]
    # the true derivative of L_query(theta - lr * grad L_support(theta)), by finite differences
    fd = torch.zeros_like(w2)
    for idx in list(np.ndindex(*w2.shape))[:40]:
        vals = []
        for e in (1e-6, -1e-6):
            with torch.no_grad():
                w2[idx] += e
            vals.append(float(maml.objective(t)[0].detach()))
            with torch.no_grad():
                w2[idx] -= e
        fd[idx] = (vals[0] - vals[1]) / 2e-6
    rows = [idx for idx in list(np.ndindex(*w2.shape))[:40]]
    a = torch.stack([g2[i] for i in rows])
    b = torch.stack([g1[i] for i in rows])
    f = torch.stack([fd[i] for i in rows])
    assert float((a - f).abs().max()) < 1e-7 * max(1.0, float(f.abs().max())) + 1e-9
    assert float((b - f).abs().max()) > 1e-3 * float(f.abs().max())  # first order differs


def test_fomaml_meta_gradient_is_the_query_gradient_at_the_adapted_weights():
    t = _episode(1)
    fo = _double(FOMAML(TINY, seed=0, inner_steps=3, inner_lr=0.3))
    loss, _ = fo.objective(t)
    theta = list(fo.net.parameters())
    got = torch.autograd.grad(loss, theta + [fo.inner_log_lr])
    # adapt by hand, then differentiate the query loss at the adapted weights
    lrs = fo.inner_log_lr.detach().exp()
    phi = [p.detach().clone() for p in theta]
    names = [k for k, _ in fo.net.named_parameters()]
    for _ in range(3):
        phi = [p.requires_grad_() for p in phi]
        logp = fo.logits(dict(zip(names, phi, strict=True)), t["xs"], t["ms"], 2).log_softmax(-1)
        g = torch.autograd.grad(torch.nn.functional.nll_loss(logp[0], t["ys"][0]), phi)
        phi = [(p - lr * gi).detach() for p, lr, gi in zip(phi, lrs, g, strict=True)]
    phi = [p.requires_grad_() for p in phi]
    logp = fo.logits(dict(zip(names, phi, strict=True)), t["xq"], t["mq"], 2).log_softmax(-1)
    want = torch.autograd.grad(torch.nn.functional.nll_loss(logp[0], t["yq"][0]), phi)
    for a, b in zip(got[:-1], want, strict=True):
        torch.testing.assert_close(a, b)
    assert float(got[-1].abs().sum()) > 0  # the inner learning rates are meta-learned


def test_reptile_update_rule():
    rep = Reptile(TINY, seed=0, inner_steps=3, inner_lr=0.2, meta_step=0.4)
    batch = _sampler().sample_batch(np.random.default_rng(5), batch_size=3)
    theta = {k: v.detach().clone() for k, v in rep.net.named_parameters()}
    t = batch.to_torch()
    deltas = []
    for i in range(3):  # plain SGD on a copy of the network, episode by episode
        net = copy.deepcopy(rep.net)
        opt = torch.optim.SGD(net.parameters(), lr=0.2)
        x = torch.cat([t["xs"][i], t["ms"][i]], -1)
        for _ in range(3):
            logits = net(x).masked_fill(torch.arange(4) >= t["n_classes"][i], float("-inf"))
            loss = torch.nn.functional.cross_entropy(logits, t["ys"][i])
            opt.zero_grad()
            loss.backward()
            opt.step()
        deltas.append({k: v.detach() - theta[k] for k, v in net.named_parameters()})
    rep.train_step(batch)
    for k, v in rep.net.named_parameters():
        want = theta[k] + 0.4 * sum(d[k] for d in deltas) / 3
        torch.testing.assert_close(v.detach(), want, rtol=1e-4, atol=1e-6)
        assert not torch.equal(v.detach(), theta[k])
    assert rep.step == 1


def test_protonet_prototypes_are_class_means():
    proto = ProtoNet(TINY, seed=3)
    rng = np.random.default_rng(0)
    xs = rng.normal(size=(9, 8)).astype(np.float32)
    ms = (rng.random((9, 8)) < 0.2).astype(np.float32)
    ys = np.array([0, 1, 2, 0, 1, 2, 0, 0, 1])
    state = proto.fit_support(xs, ms, ys, 3)
    with torch.no_grad():
        z = proto.embed(torch.tensor(xs), torch.tensor(ms)).numpy()
    for c in range(3):
        np.testing.assert_allclose(
            state["prototypes"][0, c].numpy(), z[ys == c].mean(0), rtol=1e-5, atol=1e-6
        )
    xq = rng.normal(size=(4, 8)).astype(np.float32)
    logp = proto.predict_query(state, xq, np.zeros_like(xq))
    with torch.no_grad():
        zq = proto.embed(torch.tensor(xq), torch.zeros(4, 8)).numpy()
    d2 = ((zq[:, None] - state["prototypes"][0].numpy()[None]) ** 2).sum(-1)
    want = -d2 - np.log(np.exp(-d2).sum(1, keepdims=True))
    np.testing.assert_allclose(logp, want, rtol=1e-4, atol=1e-5)


def test_siamese_losses_pull_same_class_rows_together():
    batch = _sampler().sample_batch(np.random.default_rng(3), batch_size=4)
    for loss in ("contrastive", "triplet"):
        net = SiameseNet(TINY, seed=0, lr=1e-2, loss=loss)
        t = batch.to_torch()
        first = float(net.objective(t)[0].detach())
        for _ in range(30):
            net.train_step(batch)
        assert float(net.objective(t)[0].detach()) < first
    with pytest.raises(ValueError, match="'loss' hyperparameter"):
        SiameseNet(TINY, loss="cosine")
    with pytest.raises(ValueError, match="Unknown hyperparameter"):
        ProtoNet(TINY, inner_steps=3)


def test_clear_errors_without_or_with_wrong_weights(trained, tmp_path, monkeypatch):
    X, y = _task(n=40)
    monkeypatch.setattr(methods.io, "WEIGHTS_DIR", tmp_path)
    with pytest.raises(
        FewShotWeightsError, match="python -m autometa.fewshot.train --method reptile"
    ):
        FewShotClassifier(method="reptile").fit(X, y)
    with pytest.raises(FewShotWeightsError, match="for the few-shot method 'protonet', not 'maml'"):
        FewShotClassifier(method="maml", weights=trained["protonet"]).fit(X, y)
    with pytest.raises(FewShotWeightsError, match="method='protonet'"):
        load_weights(trained["protonet"])
    with pytest.raises(ValueError, match="'method' parameter of FewShotClassifier"):
        FewShotClassifier(method="mamal").fit(X, y)
    meta_path = trained["relation"].with_suffix(".json")
    meta = json.loads(meta_path.read_text())
    bad = tmp_path / "relation.json"
    meta["config"]["params"]["relation_hidden"] = 7
    bad.write_text(json.dumps(meta))
    (tmp_path / "relation.pt").write_bytes(trained["relation"].read_bytes())
    with pytest.raises(FewShotWeightsError, match="has shape"):
        FewShotClassifier(method="relation", weights=tmp_path / "relation.pt").fit(X, y)


def test_training_command_trains_and_resumes(tmp_path):
    out = tmp_path / "run"
    args = [
        "--method",
        "protonet",
        "--out",
        str(out),
        "--minutes",
        "1",
        "--max-steps",
        "2",
        "--checkpoint-every",
        "1e9",
        "--export-to",
        str(tmp_path / "w"),
        "--method-config",
        "{}",
    ]
    assert train_main(args) == 0
    assert train_main([*args[:6], "--max-steps", "4", "--resume", *args[8:]]) == 0
    steps = [json.loads(x)["step"] for x in (out / "history.jsonl").read_text().splitlines()]
    assert steps == [2, 4]
    # the end of every call is exported too, whatever the validation loss did
    final = json.loads((out / "final.json").read_text())
    assert final["steps"] == 4 and final["method"] == "protonet"
    clf = FewShotClassifier(method="protonet", weights=tmp_path / "w" / "protonet.pt")
    X, y = _task(n=60)
    assert clf.fit(X[:30], y[:30]).predict_proba(X[30:]).shape == (30, 2)
    assert clf.metadata_["steps"] == 4 and "--method protonet" in clf.metadata_["training_command"]
    with pytest.raises(SystemExit):
        train_main([*args[:-4], "--export-to", str(tmp_path / "fewshot.pt")])


def test_fit_time_steps_are_chosen_on_meta_validation():
    maml = MAML(TINY, seed=0, inner_steps=2)
    val = {"synthetic": [_sampler().sample_batch(np.random.default_rng(7), 3)]}
    res = maml.evaluate(val)
    grid = [int(s) for s in res["loss_by_steps"]]
    assert grid == [1, 2, 3, 5, 8]  # candidates up to 4 x inner_steps
    best = min(grid, key=lambda s: res["loss_by_steps"][str(s)])
    assert res["test_steps"] == best == maml.params["test_steps"]
    assert maml.export()[1]["config"]["params"]["test_steps"] == best
    # the reported loss is the one of the inference path with that many steps
    b = val["synthetic"][0]
    losses = []
    for i in range(3):
        nc = int(b.n_classes[i])
        logp = maml.predict((b.xs[i], b.ms[i], b.ys[i], nc), (b.xq[i], b.mq[i]))
        ok = b.yq[i] >= 0
        losses.append(-logp[ok, b.yq[i][ok]].mean())
    assert abs(np.mean(losses) - res["loss"]) < 1e-4


def test_sklearn_checks_pass_with_a_method(trained):
    from sklearn.utils.estimator_checks import check_estimator

    est = FewShotClassifier(
        method="protonet", weights=trained["protonet"], n_estimators=2, random_state=0
    )
    results = check_estimator(est, on_fail=None)
    failed = [
        (r["check_name"], str(r["exception"])[:200]) for r in results if r["status"] == "failed"
    ]
    assert len(results) > 40 and failed == []


def test_shipped_method_weights():
    shipped = [m for m in METHODS if methods.default_weights(m).is_file()]
    X, y = _task(n=80)
    for name in METHODS:
        if name in shipped:
            path = methods.default_weights(name)
            assert path.stat().st_size < 1_000_000
            clf = FewShotClassifier(method=name, random_state=0).fit(X[:40], y[:40])
            meta = clf.metadata_
            assert meta["method"] == name and meta["steps"] > 0
            assert f"--method {name}" in meta["training_command"]
            assert set(meta["data"]["corpus_train"]).isdisjoint(meta["data"]["corpus_heldout"])
            assert roc_auc_score(y[40:], clf.predict_proba(X[40:])[:, 1]) > 0.8
        else:
            with pytest.raises(FewShotWeightsError, match=f"--method {name}"):
                FewShotClassifier(method=name).fit(X[:40], y[:40])


def test_combined_method_averages_its_parts():
    from autometa.fewshot.classifier import COMBINED

    X, y = _task(n=120)
    combined = FewShotClassifier(method="icl+fomaml", n_estimators=2, random_state=3)
    combined.fit(X[:60], y[:60])
    parts = [
        FewShotClassifier(method=name, n_estimators=2, random_state=3).fit(X[:60], y[:60])
        for name in COMBINED["icl+fomaml"]
    ]
    expected = np.mean([p.predict_proba(X[60:]) for p in parts], axis=0)
    np.testing.assert_allclose(combined.predict_proba(X[60:]), expected, rtol=1e-6)
    assert combined.metadata_["method"] == "icl+fomaml"
    assert set(combined.metadata_["parts"]) == {"icl", "fomaml"}
    assert combined.n_features_in_ == X.shape[1]
    assert roc_auc_score(y[60:], combined.predict_proba(X[60:])[:, 1]) > 0.8
    with pytest.raises(ValueError, match="'weights' parameter .* method='icl\\+fomaml'"):
        FewShotClassifier(method="icl+fomaml", weights="some/path.pt").fit(X[:60], y[:60])
    with pytest.raises(ValueError, match="'weights' parameter"):
        FewShotClassifier(method="icl+fomaml", weights={"maml": "x.pt"}).fit(X[:60], y[:60])


def test_the_search_family_uses_the_combined_learner():
    from autometa.fewshot.family import FEWSHOT_FAMILY, METHOD

    model = FEWSHOT_FAMILY.build(FEWSHOT_FAMILY.default(), random_state=0, n_jobs=1, device="cpu")
    assert model.method == METHOD == "icl+fomaml"


def test_weights_carry_the_one_hot_encoding_they_were_trained_with(tmp_path):
    import pandas as pd

    args = ["--method", "protonet", "--out", str(tmp_path / "run"), "--minutes", "1",
            "--max-steps", "1", "--checkpoint-every", "1e9", "--export-to", str(tmp_path / "w"),
            "--onehot-max-levels", "12"]
    assert train_main(args) == 0
    wide = tmp_path / "w" / "protonet.pt"
    meta = json.loads(wide.with_suffix(".json").read_text())
    assert meta["onehot_max_levels"] == 12 and "--onehot-max-levels 12" in meta["training_command"]
    # weights from before the option: the key is absent, and 5 levels is what they were trained on
    old = tmp_path / "old" / "protonet.pt"
    old.parent.mkdir()
    old.write_bytes(wide.read_bytes())
    del meta["onehot_max_levels"]
    old.with_suffix(".json").write_text(json.dumps(meta))

    rng = np.random.default_rng(0)
    levels = rng.integers(0, 10, 80)
    X = pd.DataFrame({"c": pd.Categorical([f"l{v}" for v in levels]), "x": rng.normal(size=80)})
    y = (levels % 2 == 0).astype(int)

    def onehot_members(weights):
        clf = FewShotClassifier(method="protonet", weights=weights, n_estimators=8, random_state=0)
        proba = clf.fit(X[:60], y[:60]).predict_proba(X[60:])
        assert proba.shape == (20, 2) and np.allclose(proba.sum(axis=1), 1.0)
        return sum(0 in m["plan"].onehot for m in clf.members_)

    assert onehot_members(wide) > 0  # 10 levels <= 12: one-hot with probability 1/2
    assert onehot_members(old) == 0  # 10 levels > 5: level codes only
    with pytest.raises(SystemExit):
        train_main([*args[:-1], "2"])
