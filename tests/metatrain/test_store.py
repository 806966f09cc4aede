from __future__ import annotations

import sqlite3

import pytest

from autometa.exceptions import AutoMetaError
from autometa.metatrain import EvalStore


def _row(task="a", cid="c1", fold=0, state="ok", auc=0.9):
    return {"task": task, "config_id": cid, "fold": fold, "state": state, "roc_auc": auc}


def test_results_are_unique_per_cell(tmp_path):
    with EvalStore(tmp_path / "s.sqlite") as store:
        store.add_configs([("c1", {"family": "knn", "params": {}}, 0)])
        assert store.add_result(_row())
        assert not store.add_result(_row(auc=0.1))  # the first result stays
        assert store.add_result(_row(fold=1))
        assert store.done_keys() == {("a", "c1", 0), ("a", "c1", 1)}
        ev = store.evaluations()
    assert ev.loc[ev["fold"] == 0, "roc_auc"].item() == 0.9
    assert list(ev["family"]) == ["knn", "knn"]


def test_written_rows_are_committed_at_once(tmp_path):
    store = EvalStore(tmp_path / "s.sqlite")
    store.add_result(_row())
    # another connection (another process) sees the row without the writer closing
    other = sqlite3.connect(tmp_path / "s.sqlite")
    assert other.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0] == 1
    assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    other.close()
    store.close()


def test_settings_mismatch_is_refused(tmp_path):
    with EvalStore(tmp_path / "s.sqlite") as store:
        store.check_settings({"folds": 3, "max_rows": 2000})
        store.check_settings({"folds": 3, "max_rows": 2000})
        with pytest.raises(AutoMetaError, match="folds: store has 3, asked 5"):
            store.check_settings({"folds": 5, "max_rows": 2000})


def test_configs_keep_their_first_rank(tmp_path):
    with EvalStore(tmp_path / "s.sqlite") as store:
        assert store.add_configs([("b", {"family": "knn", "params": {}}, 1)]) == 1
        assert (
            store.add_configs(
                [
                    ("a", {"family": "svc", "params": {}}, 0),
                    ("b", {"family": "knn", "params": {}}, 5),
                ]
            )
            == 1
        )
        assert list(store.configs()) == ["a", "b"]


def test_not_a_database_is_a_clear_error(tmp_path):
    bad = tmp_path / "s.sqlite"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(AutoMetaError, match="not a readable evaluation store"):
        EvalStore(bad)


def test_metafeatures_roundtrip(tmp_path):
    with EvalStore(tmp_path / "s.sqlite") as store:
        store.set_metafeatures("a", {"n_rows": 10.0, "bad": float("nan")}, "x-1")
        store.set_metafeatures("b", {"n_rows": 20.0, "bad": 1.0}, "x-1")
        store.set_metafeatures("c", {"n_rows": 30.0}, "other")
        table = store.metafeatures("x-1")
    assert sorted(table.index) == ["a", "b"]
    assert table.loc["b", "n_rows"] == 20.0
    assert table["bad"].isna().sum() == 1
