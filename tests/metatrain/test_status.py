from __future__ import annotations

import pytest

from autometa.metatrain import EvalStore
from autometa.metatrain.status import store_status


def _task(name, rows):
    return {
        "name": name,
        "origin": "test",
        "n_rows": rows,
        "n_features": 3,
        "n_classes": 2,
        "n_used": rows,
        "subsampled": 0,
        "data_path": "",
    }


def test_status_counts_cells_by_band_and_rate(tmp_path):
    path = tmp_path / "s.sqlite"
    with EvalStore(path) as store:
        store.add_configs(
            [
                ("c1", {"family": "knn", "params": {}}, 0),
                ("c2", {"family": "knn", "params": {"k": 3}}, 1),
            ]
        )
        store.add_task(_task("small", 200))
        store.add_task(_task("big", 50_000))
        store.add_task(_task("big@10000", 10_000))
        for cid in ("c1", "c2"):  # 'small' complete: 2 configs x 2 folds
            for fold in (0, 1):
                store.add_result(
                    {
                        "task": "small",
                        "config_id": cid,
                        "fold": fold,
                        "state": "ok",
                        "roc_auc": 0.9,
                        "fit_cpu_time": 900.0,
                        "finished_at": 1000.0,
                    }
                )
        store.add_result(
            {"task": "big", "config_id": "c1", "fold": 0, "state": "timeout", "finished_at": 5000.0}
        )
    status = store_status(path, folds=2, now=5000.0, window=3600.0)
    bands = status["bands"]
    assert bands.loc["<1k", "complete"] == 1 and bands.loc["<1k", "cells_done"] == 4
    assert bands.loc["<1k", "fit_cpu_hours"] == pytest.approx(1.0)
    assert bands.loc["10k+", "tasks"] == 2 and bands.loc["10k+", "failed"] == 1
    assert bands.loc["1k-10k", "tasks"] == 0
    assert status["total"]["cells_planned"] == 12 and status["total"]["cells_done"] == 5
    assert status["rate_per_hour"] == 1.0  # one cell finished within the last hour
    assert status["eta_hours"] == pytest.approx(7.0)


def test_status_of_a_missing_store_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="No evaluation store"):
        store_status(tmp_path / "nope.sqlite")
