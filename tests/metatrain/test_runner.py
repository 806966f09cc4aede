from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from metatrain_tiny import CONFIGS

from autometa.metatrain import EvalStore, run_evaluations
from autometa.metatrain.evaluate import fold_metrics
from autometa.metatrain.executors import run_local

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


def test_killed_run_resumes_without_loss_or_duplicates(tiny_manifest, tmp_path):
    store = tmp_path / "s.sqlite"
    code = (
        "import json, sys\n"
        "from autometa.metatrain import run_evaluations\n"
        "run_evaluations(sys.argv[1], sys.argv[2], configs=json.loads(sys.argv[3]), folds=2)\n"
    )
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(tiny_manifest), str(store), json.dumps(CONFIGS)],
        env=env,
        start_new_session=True,
    )
    total = 4 * len(CONFIGS) * 2
    before = 0
    deadline = time.monotonic() + 90
    try:
        while time.monotonic() < deadline:
            time.sleep(0.05)
            if store.exists():
                try:
                    with EvalStore(store) as s:
                        before = s.n_evaluations()
                except Exception:
                    continue
                if before >= 4:
                    break
        os.killpg(proc.pid, signal.SIGKILL)  # the runner and its worker, mid-run
    finally:
        proc.wait(30)
    assert 4 <= before < total, "the run should have been stopped part-way"
    killed = _keys(store)
    assert len(killed) < total
    summary = run_evaluations(tiny_manifest, store, configs=CONFIGS, folds=2)
    final = _keys(store)
    assert len(final) == total
    assert summary["done"] == len(killed) and summary["new"] == total - len(killed)
    assert not final.duplicated(["task", "config_id", "fold"]).any()
    kept = final.set_index(["task", "config_id", "fold"]).loc[
        killed.set_index(["task", "config_id", "fold"]).index
    ]
    assert (kept["finished_at"].to_numpy() == killed["finished_at"].to_numpy()).all()


def test_timeout_kills_the_worker_and_is_recorded(tiny_manifest, tmp_path):
    store = tmp_path / "s.sqlite"
    run_evaluations(tiny_manifest, store, configs=CONFIGS[:1], folds=2)
    with EvalStore(store) as s:
        task = s.tasks().iloc[0]
    job = {
        "task": task["name"],
        "config_id": "x",
        "config": CONFIGS[4],
        "fold": 0,
        "data_path": task["data_path"],
        "n_classes": int(task["n_classes"]),
    }
    results = []
    t0 = time.monotonic()
    # a spawned worker needs far more than 50 ms to import scikit-learn: both jobs time out
    run_local(iter([job, dict(job, fold=1)]), results.append, time_limit=0.05, grace=0.0)
    assert time.monotonic() - t0 < 30
    assert [r["state"] for r in results] == ["timeout", "timeout"]
    assert "time limit" in results[0]["error"]


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


def test_dask_local_cluster(tiny_manifest, tmp_path):
    distributed = pytest.importorskip("distributed")
    store = tmp_path / "s.sqlite"
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        out = run_evaluations(tiny_manifest, store, configs=CONFIGS[:2], folds=2, scheduler=client)
    assert out["new"] == 16 and out["states"] == {"ok": 16}
    local = tmp_path / "l.sqlite"
    run_evaluations(tiny_manifest, local, configs=CONFIGS[:2], folds=2)
    a = _keys(store).sort_values(["task", "config_id", "fold"]).reset_index(drop=True)
    b = _keys(local).sort_values(["task", "config_id", "fold"]).reset_index(drop=True)
    np.testing.assert_allclose(a["roc_auc"], b["roc_auc"])  # same cells, same scores


def test_fold_metrics_multiclass_and_missing_class():
    y = np.array([0, 1, 2, 2])
    p = np.array([[0.8, 0.1, 0.1, 0], [0.1, 0.8, 0.1, 0], [0.1, 0.1, 0.8, 0], [0.2, 0.2, 0.6, 0]])
    m = fold_metrics(y, p, 4)  # class 3 absent from this fold
    assert m["roc_auc"] == 1.0 and m["accuracy"] == 1.0
    assert m["log_loss"] > 0
    m = fold_metrics(np.array([1, 1]), np.array([[0.3, 0.7], [0.6, 0.4]]), 2)
    assert np.isnan(m["roc_auc"]) and m["accuracy"] == 0.5


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
