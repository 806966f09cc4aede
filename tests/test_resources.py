from __future__ import annotations

import os

import pytest

from autometa._resources import _cgroup_cpus, available_cpus, resolve_n_jobs


def test_n_jobs_means_what_it_means_in_scikit_learn():
    assert resolve_n_jobs(None) == 1
    assert resolve_n_jobs(3) == 3
    assert resolve_n_jobs(-1, cpus=8) == 8
    assert resolve_n_jobs(-2, cpus=8) == 7
    assert resolve_n_jobs(-20, cpus=8) == 1  # never fewer than one thread


@pytest.mark.parametrize("bad", [0, True, 1.5, "2"])
def test_bad_n_jobs_is_refused(bad):
    with pytest.raises(ValueError, match="n_jobs must be None or a non-zero int"):
        resolve_n_jobs(bad)


def test_minus_one_is_the_process_affinity_by_default():
    expected = len(os.sched_getaffinity(0))
    assert resolve_n_jobs(-1) == min(expected, available_cpus())
    assert 1 <= available_cpus() <= expected


def test_cgroup_quota_caps_the_cores(tmp_path):
    (tmp_path / "cpu.max").write_text("150000 100000\n")  # 1.5 CPUs
    assert _cgroup_cpus(tmp_path) == pytest.approx(1.5)
    assert available_cpus(tmp_path) == 1
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert _cgroup_cpus(tmp_path) is None
    assert available_cpus(tmp_path) == len(os.sched_getaffinity(0))


def test_cgroup_v1_quota(tmp_path):
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("200000")
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text("100000")
    assert _cgroup_cpus(tmp_path) == pytest.approx(2.0)


def test_the_estimator_passes_resolved_threads_to_the_search(monkeypatch):
    import numpy as np

    import autometa.estimator as est
    from autometa import AutoMetaClassifier

    seen = {}
    real = est.run_search

    def spy(*args, **kwargs):
        seen["n_jobs"] = kwargs["n_jobs"]
        return real(*args, **kwargs)

    monkeypatch.setattr(est, "run_search", spy)
    monkeypatch.setattr(est, "resolve_n_jobs", lambda n: 5 if n == -1 else 1)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 4))
    y = (X[:, 0] > 0).astype(int)
    AutoMetaClassifier(
        n_trials=1,
        time_budget=30,
        n_jobs=-1,
        prior=None,
        fewshot=False,
        families=["logistic_regression"],
        ensemble=False,
        isolation="none",
    ).fit(X, y)
    assert seen["n_jobs"] == 5
