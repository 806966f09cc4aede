"""The space-filling candidate pool, fidelities, cost columns and seeding a store from another."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest
from metatrain_tiny import CONFIGS

from autometa.metatrain import EvalStore, export_evaluations, run_evaluations
from autometa.metatrain.pool import (
    LARGE_DATA_CONFIGS,
    POOL_SIZES,
    candidate_pool,
    family_counts,
    pool_configs,
)
from autometa.prior import default_prior_path
from autometa.space import FAMILIES, build_pipeline, config_id, default_configs


@pytest.fixture(scope="module")
def pool():
    return candidate_pool(keep=pool_configs(default_prior_path()))


def test_pool_covers_every_family_with_defaults_kept_and_large_configs(pool):
    assert len(pool) >= 300
    assert family_counts(pool) == POOL_SIZES
    assert set(POOL_SIZES) == set(FAMILIES)
    ids = [cid for cid, _, _ in pool]
    assert len(set(ids)) == len(ids)
    ranks = {cid: rank for cid, _, rank in pool}
    for cfg in default_configs():
        assert ranks[config_id(cfg)] == 0  # each family's default comes first
    kept = {config_id(c) for c in pool_configs(default_prior_path())}
    assert kept <= set(ids)  # the shipped prior's configurations stay comparable
    assert {config_id(c) for c in LARGE_DATA_CONFIGS} <= set(ids)


def test_pool_points_are_buildable_and_deterministic(pool):
    again = candidate_pool(keep=pool_configs(default_prior_path()))
    assert [c for c, _, _ in again] == [c for c, _, _ in pool]
    other_seed = candidate_pool(sizes={"logistic_regression": 8}, random_state=1)
    assert len(other_seed) == 8
    for _, cfg, _ in pool[::7]:
        build_pipeline(cfg)


def test_sobol_points_spread_over_the_space():
    # Space-filling: the log-C values of 16 Sobol points cover the range far more evenly than
    # the clumps a bad sampler would give (each of 4 equal bins holds 2-6 points).
    pool = candidate_pool(sizes={"logistic_regression": 17})
    logc = np.log10([cfg["params"]["C"] for _, cfg, rank in pool if rank > 0])
    counts = np.histogram(logc, bins=4, range=(-4, 4))[0]
    assert counts.min() >= 2 and counts.max() <= 6


def test_unknown_family_in_pool_is_an_error():
    with pytest.raises(ValueError, match="Unknown model families"):
        candidate_pool(sizes={"no-such": 3})


def test_fidelity_tasks_and_max_task_rows(tiny_manifest, tmp_path):
    store = tmp_path / "s.sqlite"
    out = run_evaluations(
        tiny_manifest, store, configs=CONFIGS[:1], folds=2, max_rows=None, fidelities=[40]
    )
    with EvalStore(store) as s:
        tasks = s.tasks().set_index("name")
        ev = s.evaluations()
        settings = s.get_meta("settings")
    assert settings["fidelities"] == [40]
    # zoo (101 rows) is more than twice 40 rows: also prepared at 40 rows; pasture is not
    assert tasks.loc["zoo@40", "n_used"] == 40 and tasks.loc["zoo", "n_used"] == 101
    assert "pasture@40" not in tasks.index
    assert out["tasks"] == 5
    assert (
        ev.loc[ev["task"] == "zoo@40", "n_train"] + ev.loc[ev["task"] == "zoo@40", "n_test"] == 40
    ).all()
    # the cost columns are filled for every new evaluation
    assert ev[["fit_cpu_time", "fit_memory_mb"]].notna().all().all()
    assert (ev["fit_cpu_time"] > 0).all()
    # a run limited to small tasks leaves zoo's full size for later
    small = run_evaluations(
        tiny_manifest,
        store,
        configs=CONFIGS[:2],
        folds=2,
        max_rows=None,
        fidelities=[40],
        max_task_rows=70,
    )
    assert small["tasks"] == 4
    with EvalStore(store) as s:
        ev = s.evaluations()
    assert not ((ev["task"] == "zoo") & (ev["config_id"] == config_id(CONFIGS[1]))).any()


def test_families_are_not_run_past_their_row_limit(tiny_manifest, tmp_path, monkeypatch):
    from dataclasses import replace

    import autometa.space as space

    monkeypatch.setitem(space.FAMILIES, "knn", replace(space.FAMILIES["knn"], max_rows=30))
    out = run_evaluations(tiny_manifest, tmp_path / "s.sqlite", configs=CONFIGS[:2], folds=2)
    with EvalStore(tmp_path / "s.sqlite") as s:
        ev = s.evaluations()
        tasks = s.tasks().set_index("name")
    knn_tasks = set(ev.loc[ev["family"] == "knn", "task"])
    big = {t for t in tasks.index if tasks.loc[t, "n_used"] - tasks.loc[t, "n_used"] // 2 > 30}
    assert big and not (knn_tasks & big)
    assert out["total"] == len(ev)


def test_seed_from_store_and_export_copies_identical_cells_only(tiny_manifest, tmp_path):
    first = tmp_path / "first.sqlite"
    run_evaluations(tiny_manifest, first, configs=CONFIGS[:2], folds=2)
    export_evaluations(first, tmp_path / "export")
    for source in (first, tmp_path / "export"):
        store = tmp_path / f"new-{source.name}.sqlite"
        out = run_evaluations(
            tiny_manifest, store, configs=CONFIGS[:3], folds=2, max_rows=None, seed_from=source
        )
        assert out["done"] == 4 * 2 * 2 and out["new"] == 4 * 2  # only the third config runs
    # other folds (another seed) are other cells: nothing is copied
    store = tmp_path / "seed1.sqlite"
    out = run_evaluations(
        tiny_manifest, store, configs=CONFIGS[:2], folds=2, random_state=1, seed_from=first
    )
    assert out["done"] == 0


def test_version_1_store_is_migrated(tmp_path):
    path = tmp_path / "old.sqlite"
    with EvalStore(path):
        pass
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE evaluations")
    conn.execute(
        "CREATE TABLE evaluations (task TEXT NOT NULL, config_id TEXT NOT NULL, fold INTEGER "
        "NOT NULL, state TEXT NOT NULL, roc_auc REAL, accuracy REAL, log_loss REAL, fit_time "
        "REAL, predict_time REAL, n_train INTEGER, n_test INTEGER, error TEXT, finished_at REAL,"
        " PRIMARY KEY (task, config_id, fold))"
    )
    conn.execute("INSERT INTO evaluations (task, config_id, fold, state) VALUES ('t','c',0,'ok')")
    conn.execute("UPDATE meta SET value='1' WHERE key='store_version'")
    conn.commit()
    conn.close()
    with EvalStore(path) as s:
        assert s.get_meta("store_version") == 2
        assert s.add_result(
            {
                "task": "t",
                "config_id": "c",
                "fold": 1,
                "state": "ok",
                "fit_cpu_time": 0.5,
                "fit_memory_mb": 3.0,
            }
        )
        rows = s._conn.execute(
            "SELECT fold, fit_cpu_time FROM evaluations ORDER BY fold"
        ).fetchall()
    assert rows == [(0, None), (1, 0.5)]


def test_local_source_split_selects_manifest_rows(tmp_path, tiny_manifest):
    import csv

    from autometa.metatrain import LocalSource

    rows = list(csv.DictReader(open(tiny_manifest, newline="")))
    out = tmp_path / "manifest.csv"
    with open(out, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=[*rows[0], "split"])
        writer.writeheader()
        for i, r in enumerate(rows):
            writer.writerow({**r, "split": "test" if i == 0 else "train"})
    names = [t.name for t in LocalSource(out, split="train").tasks()]
    assert names == [r["name"] for r in rows[1:]]
    with pytest.raises(ValueError, match="no 'split' column"):
        LocalSource(tiny_manifest, split="train").tasks()
