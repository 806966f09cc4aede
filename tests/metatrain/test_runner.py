from __future__ import annotations

from pathlib import Path

import pytest
from metatrain_tiny import CONFIGS

from autometa.metatrain import EvalStore, run_evaluations

ROOT = Path(__file__).resolve().parents[2]


def _keys(store_path):
    with EvalStore(store_path) as store:
        ev = store.evaluations()
    return ev


class _Recorder:
    def __init__(self):
        self.started, self.updates, self.finished = None, 0, False

    def start(self, total, done):
        self.started = (total, done)

    def update(self, result):
        self.updates += 1

    def message(self, text):
        pass

    def finish(self):
        self.finished = True


def test_run_then_resume_adds_only_missing_cells(tiny_manifest, tmp_path):
    store = tmp_path / "s.sqlite"
    rec = _Recorder()
    first = run_evaluations(tiny_manifest, store, configs=CONFIGS[:3], folds=2, progress=rec)
    assert first["total"] == 4 * 3 * 2 and first["new"] == 24 and first["done"] == 0
    assert rec.started == (24, 0) and rec.updates == 24 and rec.finished
    ev = _keys(store)
    assert set(ev["state"]) == {"ok"}
    assert ev[["roc_auc", "accuracy"]].notna().all().all()
    assert ((ev["roc_auc"] >= 0) & (ev["roc_auc"] <= 1)).all()
    # more configurations: only the new cells run, nothing is duplicated or redone
    second = run_evaluations(tiny_manifest, store, configs=CONFIGS[:4], folds=2)
    assert second["done"] == 24 and second["new"] == 8
    ev2 = _keys(store)
    assert len(ev2) == 32
    assert not ev2.duplicated(["task", "config_id", "fold"]).any()
    old = ev.set_index(["task", "config_id", "fold"])["finished_at"]
    assert (ev2.set_index(["task", "config_id", "fold"])["finished_at"].loc[old.index] == old).all()
    with EvalStore(store) as s:
        tasks = s.tasks().set_index("name")
    assert tasks.loc["zoo", "n_classes"] == 7 and not tasks["subsampled"].any()


def test_large_tasks_are_subsampled(tiny_manifest, tmp_path):
    store = tmp_path / "s.sqlite"
    run_evaluations(tiny_manifest, store, configs=CONFIGS[:1], folds=2, max_rows=40)
    with EvalStore(store) as s:
        tasks = s.tasks().set_index("name")
        ev = s.evaluations()
    assert tasks.loc["zoo", "subsampled"] == 1 and tasks.loc["zoo", "n_used"] == 40
    assert tasks.loc["zoo", "n_rows"] == 101
    assert tasks.loc["pasture", "subsampled"] == 0
    zoo = ev[ev["task"] == "zoo"]
    assert (zoo["n_train"] + zoo["n_test"] == 40).all()


def test_failures_are_results(tiny_manifest, tmp_path):
    store = tmp_path / "s.sqlite"
    bad = {"family": "knn", "params": {"n_neighbors": 5, "weights": "no-such", "p": 2}}
    out = run_evaluations(tiny_manifest, store, configs=[bad], folds=2)
    assert out["states"] == {"failed": 8}
    ev = _keys(store)
    assert ev["error"].str.contains("weights").all()


def test_invalid_parameters(tiny_manifest, tmp_path):
    with pytest.raises(ValueError, match="'folds' parameter of run_evaluations"):
        run_evaluations(tiny_manifest, tmp_path / "s.sqlite", folds=0)
    with pytest.raises(ValueError, match="'time_limit' parameter"):
        run_evaluations(tiny_manifest, tmp_path / "s.sqlite", time_limit=-1)


def test_meta_train_builds_a_loadable_prior(tiny_manifest, tmp_path):
    from autometa.metatrain import meta_train
    from autometa.prior import load_prior

    out = meta_train(
        tiny_manifest,
        tmp_path / "prior",
        configs=None,
        n_configs=1,
        families=["logistic_regression", "knn"],
        folds=2,
        build_command="autometa meta-train --source tiny",
    )
    prior = load_prior(out["prior"])
    assert prior.info()["n_tasks"] == 4 and prior.info()["n_configs"] == 2
    assert (tmp_path / "prior-store" / "store.sqlite").exists()


def test_config_order_covers_every_family_in_any_prefix():
    from autometa.metatrain.runner import order_configs, plan_configs
    from autometa.space import FAMILIES

    planned = plan_configs(2 * len(FAMILIES))
    ordered = order_configs(planned)
    first = {cfg["family"] for _, cfg in ordered[: len(FAMILIES)]}
    assert first == set(FAMILIES)
    # a family's ranks are stable when the number of candidates changes
    more = {cid: rank for cid, _, rank in plan_configs(4 * len(FAMILIES))}
    assert all(more[cid] == rank for cid, _, rank in planned)
