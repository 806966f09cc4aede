"""Several processes share one study through Optuna's storage."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from autometa import AutoMetaClassifier, AutoMetaError
from autometa.data import load_dataset

SETTINGS = dict(
    prior=None,
    cv=2,
    random_state=0,
    fewshot=False,
    isolation="none",
    families=["logistic_regression", "lightgbm", "knn"],
)


@pytest.fixture
def data_file(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=300), "b": rng.choice(["u", "v"], 300)})
    frame["label"] = np.where(frame["a"] + rng.normal(size=300) > 0, "p", "n")
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    return path


def _workers(data_file: Path, storage: str, n: int, trials: int) -> None:
    cmd = [
        sys.executable,
        "-m",
        "autometa.cli",
        "worker",
        str(data_file),
        "--target",
        "label",
        "--storage",
        storage,
        "--study",
        "shared",
        "--n-trials",
        str(trials),
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    procs = [
        subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        for _ in range(n)
    ]
    for p in procs:
        out, _ = p.communicate(timeout=300)
        assert p.returncode == 0, out
        assert f"worker ran {trials} trials" in out


def _shared_search(data_file: Path, storage: str) -> None:
    import optuna

    X, y = load_dataset(data_file, "label")
    AutoMetaClassifier(**SETTINGS, n_trials=3, storage=storage, study_name="shared").fit(X, y)
    _workers(data_file, storage, n=2, trials=3)
    clf = AutoMetaClassifier(**SETTINGS, n_trials=2, storage=storage, study_name="shared").fit(X, y)
    study = optuna.load_study(
        study_name="shared", storage=__import__("autometa.search").search.resolve_storage(storage)
    )
    assert len(study.trials) == 3 + 2 * 3 + 2
    board = clf.leaderboard_
    # every trial another process finished is seen; the median pruner may stop some of those
    # 9 once 5 trials are complete (n_startup_trials), so at least 5 of them finish
    finished = {t.number for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE}
    own = set(board.trial[board.source != "worker"])
    assert set(board.trial[board.source == "worker"]) == finished - own
    assert len(finished - own) >= 5
    assert clf.best_score_ == pytest.approx(study.best_value)


def test_two_workers_share_a_journal_file(tmp_path, data_file):
    _shared_search(data_file, f"journal://{tmp_path / 'study.log'}")


def test_two_workers_share_sqlite(tmp_path, data_file):
    _shared_search(data_file, f"sqlite:///{tmp_path / 'study.db'}")


def test_worker_refuses_other_data(tmp_path, data_file):
    from autometa.search import run_worker

    storage = f"journal://{tmp_path / 'study.log'}"
    X, y = load_dataset(data_file, "label")
    AutoMetaClassifier(**SETTINGS, n_trials=1, storage=storage, study_name="s").fit(X, y)
    with pytest.raises(AutoMetaError, match="different search: its fingerprint"):
        run_worker(X.iloc[:-1], y.iloc[:-1], storage=storage, study_name="s", n_trials=1)
    with pytest.raises(AutoMetaError, match="No study named 'nope'"):
        run_worker(X, y, storage=storage, study_name="nope", n_trials=1)


def test_bad_storage_url():
    X = np.random.default_rng(0).normal(size=(40, 2))
    with pytest.raises(ValueError, match="'storage' parameter must be an Optuna storage URL"):
        AutoMetaClassifier(**SETTINGS, n_trials=1, storage="not a url").fit(X, [0, 1] * 20)


# --------------------------------------------------------------------------- PostgreSQL
def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


@pytest.fixture
def postgres_url():
    """A throwaway PostgreSQL server on localhost, from Debian's postgresql package."""
    bindir = _pg_bin()
    if bindir is None:
        pytest.skip(
            "PostgreSQL is not installed (Debian package 'postgresql'; .ci/run installs it)"
        )
    pytest.importorskip("psycopg2", reason="psycopg2 is needed for a postgresql:// storage")
    run_as: list[str] = []
    if os.geteuid() == 0:  # the server refuses to run as root
        if shutil.which("runuser") is None:
            pytest.skip("running as root without runuser: cannot start PostgreSQL")
        run_as = ["runuser", "-u", "postgres", "--"]
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="autometa-pg-"))  # pytest's tmp is private to root
    os.chmod(base, 0o755)
    data = base / "pg"
    data.mkdir()
    if run_as:
        shutil.chown(data, "postgres")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    subprocess.run(
        [*run_as, str(bindir / "initdb"), "-D", str(data), "-U", "autometa", "--auth=trust"],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            *run_as,
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(data / "log"),
            "-o",
            f"-p {port} -k {data} -c listen_addresses=127.0.0.1",
            "-w",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        url = f"postgresql+psycopg2://autometa@127.0.0.1:{port}/postgres"
        deadline = time.monotonic() + 20
        import sqlalchemy

        while True:
            try:
                sqlalchemy.create_engine(url).connect().close()
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        yield url
    finally:
        subprocess.run(
            [*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(base, ignore_errors=True)


def test_two_workers_share_postgresql(postgres_url, data_file):
    _shared_search(data_file, postgres_url)
