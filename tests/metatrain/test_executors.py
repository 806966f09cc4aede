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
