from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from metatrain_tiny import CONFIGS, DATASETS

from autometa.exceptions import AutoMetaError
from autometa.metatrain import LocalSource, OpenMLSource, resolve_source, run_evaluations
from autometa.metatrain.sources import prepare_task

TEST_SERVER = "https://test.openml.org/api/v1/xml"


@pytest.fixture
def openml_cache(tmp_path):
    src = DATASETS.parent / "openml-cache"
    if not src.exists():
        pytest.skip("no OpenML cache")
    dst = tmp_path / "cache"
    shutil.copytree(src, dst)
    return dst


def test_local_source_reads_manifest(tiny_manifest):
    specs = LocalSource(tiny_manifest).tasks()
    assert [s.name for s in specs] == ["pasture", "squash.stored", "white.clover", "zoo"]
    task = prepare_task(specs[-1], folds=3, max_rows=None)
    assert task.n_rows == 101 and task.n_classes == 7
    assert set(task.frame["__fold__"]) == {0, 1, 2}
    assert task.frame["__y__"].max() == 6


def test_local_folder_of_csv_and_parquet_without_manifest(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "a": rng.normal(size=60),
            "b": rng.choice(["x", "y"], 60),
            "label": rng.choice(["p", "q"], 60),
        }
    )
    frame.to_csv(tmp_path / "one.csv", index=False)
    frame.to_parquet(tmp_path / "two.parquet")
    specs = LocalSource(tmp_path).tasks()
    assert sorted(s.name for s in specs) == ["one", "two"]
    task = prepare_task(specs[0], folds=2, max_rows=None)
    assert task.n_features == 2 and task.n_classes == 2


def test_manifest_needs_its_columns(tmp_path):
    (tmp_path / "manifest.csv").write_text("name,path\na,b.csv\n")
    with pytest.raises(ValueError, match="name, file and target"):
        LocalSource(tmp_path).tasks()


def test_resolve_source():
    assert isinstance(resolve_source("openml:OpenML-CC18"), OpenMLSource)
    assert resolve_source("OpenML-CC18").suite == "OpenML-CC18"
    assert resolve_source([1882]).task_ids == [1882]
    assert isinstance(resolve_source("some/folder"), LocalSource)
    with pytest.raises(TypeError, match="'source' parameter"):
        resolve_source(3.5)


def test_openml_task_from_the_client_cache(openml_cache, tmp_path):
    source = OpenMLSource(task_ids=[1882], cache_dir=openml_cache, server=TEST_SERVER)
    spec = source.tasks()[0]
    task = prepare_task(spec, folds=3, max_rows=None)
    assert task.n_rows == 898 and task.n_classes == 5  # anneal
    folds = task.frame["__fold__"].to_numpy()
    assert set(folds) == set(range(10))  # the task's own 10-fold split, repetition 0
    out = run_evaluations(source, tmp_path / "s.sqlite", configs=CONFIGS[:1], folds=2)
    assert out["tasks"] == 1 and out["states"] == {"ok": 2}


def test_offline_openml_fails_fast_with_a_hint(tmp_path):
    import time

    source = OpenMLSource(
        suite="OpenML-CC18", cache_dir=tmp_path / "empty", server="http://127.0.0.1:9/api/v1/xml"
    )
    t0 = time.monotonic()
    with pytest.raises(AutoMetaError, match="--source DIR"):
        source.tasks()
    assert time.monotonic() - t0 < 30
    task = OpenMLSource(
        task_ids=[31], cache_dir=tmp_path / "empty", server="http://127.0.0.1:9/api/v1/xml"
    ).tasks()[0]
    with pytest.raises(AutoMetaError, match="Could not get OpenML task 31"):
        run_evaluations(
            OpenMLSource(
                task_ids=[31], cache_dir=tmp_path / "empty", server="http://127.0.0.1:9/api/v1/xml"
            ),
            tmp_path / "s.sqlite",
            configs=CONFIGS[:1],
            folds=2,
        )
    assert task.name == "openml-31"
