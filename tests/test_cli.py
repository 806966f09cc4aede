from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from autometa.cli import app

runner = CliRunner()


def test_fit_on_an_arff_file_saves_the_model(tmp_path, datasets_dir):
    out = tmp_path / "model"
    result = runner.invoke(
        app,
        [
            "fit",
            str(datasets_dir / "uci/breast.w.arff"),
            "--target",
            "Class",
            "--time-budget",
            "20",
            "--n-trials",
            "3",
            "--prior",
            "none",
            "--test-size",
            "0.25",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Leaderboard" in result.output and "held-out" in result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["metric"] == "roc_auc"
    assert len(pd.read_csv(out / "leaderboard.csv")) == 3
    assert (out / "model.pkl").exists()


def test_fit_csv_default_target_is_last_column(tmp_path):
    import numpy as np

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=300), "b": rng.choice(["x", "y"], 300)})
    frame["label"] = np.where(frame["a"] > 0, "pos", "neg")
    frame.to_csv(tmp_path / "d.csv", index=False)
    result = runner.invoke(
        app, ["fit", str(tmp_path / "d.csv"), "--n-trials", "2", "--prior", "none"]
    )
    assert result.exit_code == 0, result.output
    assert "Leaderboard (best 2 of 2 trials)" in result.output


def test_fit_reports_bad_target_clearly(tmp_path):
    pd.DataFrame({"a": [1, 2], "b": [0, 1]}).to_csv(tmp_path / "d.csv", index=False)
    result = runner.invoke(app, ["fit", str(tmp_path / "d.csv"), "--target", "nope"])
    assert result.exit_code == 2
    assert "Target column 'nope' is not in" in result.output


def test_missing_file(tmp_path):
    result = runner.invoke(app, ["fit", str(tmp_path / "none.csv")])
    assert result.exit_code == 2 and "No such data file" in result.output


def test_version_option():
    from autometa import __version__

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"autometa {__version__}"


def test_fit_search_options_reach_the_estimator(tmp_path, monkeypatch):
    import numpy as np

    import autometa

    seen = {}
    real = autometa.AutoMetaClassifier.fit

    def spy(self, X, y):
        seen.update(self.get_params())
        return real(self, X, y)

    monkeypatch.setattr(autometa.AutoMetaClassifier, "fit", spy)
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
    frame["label"] = np.where(frame["a"] > 0, "pos", "neg")
    frame.to_csv(tmp_path / "d.csv", index=False)
    args = ["fit", str(tmp_path / "d.csv"), "--n-trials", "2", "--prior", "none",
            "--families", "logistic_regression,knn", "--cv", "2", "-j", "-1", "--no-ensemble"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert seen["families"] == ["logistic_regression", "knn"]
    assert (seen["cv"], seen["n_jobs"], seen["ensemble"]) == (2, -1, False)
    assert "final model: trial" in result.output  # one model, named by its trial


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--families", "xgboost"], "Unknown families ['xgboost']"),
     (["--n-jobs", "0"], "--n-jobs must be a non-zero int"),
     (["--cv", "1"], "--cv must be at least 2")],
)
def test_fit_bad_search_options_exit_2(tmp_path, args, message):
    pd.DataFrame({"a": range(20), "y": [0, 1] * 10}).to_csv(tmp_path / "d.csv", index=False)
    result = runner.invoke(app, ["fit", str(tmp_path / "d.csv"), *args])
    assert result.exit_code == 2
    assert message in result.output


def test_fit_names_the_ensemble_members_and_shows_log_loss_as_a_loss(tmp_path):
    import numpy as np

    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})
    frame["label"] = np.where(frame["a"] + rng.normal(size=300) > 0, "pos", "neg")
    frame.to_csv(tmp_path / "d.csv", index=False)
    args = ["fit", str(tmp_path / "d.csv"), "--n-trials", "4", "--prior", "none",
            "--metric", "log_loss", "--families", "logistic_regression,knn"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if x.startswith("final model:"))
    loss = float(line.split("best cv log loss ")[1].split(";")[0])
    assert 0 < loss < 1  # a loss, not a negated score
    assert "ensemble of" in line or "final model: trial" in line


@pytest.mark.parametrize("case", ["empty", "binary", "malformed", "bad_prior"])
def test_bad_input_is_one_line_on_stderr_with_exit_2(tmp_path, case):
    path = tmp_path / "d.csv"
    args = []
    if case == "empty":
        path.write_text("")
    elif case == "binary":
        path.write_bytes(bytes(range(256)) * 4)
    elif case == "malformed":
        path.write_text("a,b,y\n1,2,0\n3,4,1\n5,6,7,8,9\n")
    else:
        pd.DataFrame({"a": range(40), "y": [0, 1] * 20}).to_csv(path, index=False)
        args = ["--prior", str(tmp_path / "no-such-prior")]
    result = runner.invoke(app, ["fit", str(path), "-b", "5", *args])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and result.exception is None or isinstance(
        result.exception, SystemExit
    )
    lines = [x for x in result.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    if case == "bad_prior":
        assert "No prior at" in lines[0]
    else:
        assert str(path) in lines[0]  # names the file
    if case == "malformed":
        assert "line 4" in lines[0]  # and the line
