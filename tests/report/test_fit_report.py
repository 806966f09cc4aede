"""`autometa fit --report`: the report of a fitted model."""

from __future__ import annotations

import html
import re

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from autometa.cli import app
from autometa.report import anytime_curve, describe_fit, render_html

runner = CliRunner()


def test_anytime_curve_is_the_running_best_in_finishing_order():
    board = pd.DataFrame(
        {
            "trial": [0, 1, 2, 3, 4],
            "source": ["prior", "prior", "tpe", "tpe", "tpe"],
            "state": ["complete", "complete", "failed", "complete", "complete"],
            "score": [0.80, 0.70, np.nan, 0.90, 0.85],
            "finished_at": [3.0, 1.0, 2.0, 4.0, 5.0],
        }
    )
    curve = anytime_curve(board)
    assert curve["trial"].tolist() == [1, 0, 3, 4]  # failed trial 2 left out
    assert curve["finished_at"].is_monotonic_increasing
    scores = curve["score"].to_numpy()
    assert curve["best"].tolist() == [max(scores[: i + 1]) for i in range(len(scores))]
    assert anytime_curve(board[board["state"] != "complete"]).empty


@pytest.fixture(scope="module")
def fitted(tmp_path_factory, datasets_dir, manifest):
    m = manifest.set_index("name").loc["breast.w"]
    page = tmp_path_factory.mktemp("fit") / "fit.html"
    result = runner.invoke(
        app,
        [
            "fit",
            str(datasets_dir / m["file"]),
            "--target",
            m["target"],
            "--time-budget",
            "20",
            "--n-trials",
            "3",
            "--prior",
            "none",
            "--report",
            str(page),
            "--out",
            str(page.parent / "model"),
        ],
    )
    assert result.exit_code == 0, result.output
    return page, pd.read_csv(page.parent / "model" / "leaderboard.csv"), m


def test_fit_report_shows_leaderboard_curve_and_ensemble(fitted):
    page, board, m = fitted
    text = page.read_text(encoding="utf-8")
    for section in ("Anytime curve", "Final model", "Leaderboard", "Best configuration", "Dataset"):
        assert f"<h2>{section}</h2>" in text
    images = re.findall(r'src="data:image/png;base64,[^"]+" alt="([^"]+)"', text)
    assert {"anytime curve", "ensemble weights", "class balance"} <= set(images)
    # Every trial of the saved leaderboard is in the page's leaderboard table.
    table = text[text.index("<h2>Leaderboard</h2>") :]
    table = table[: table.index("</table>")]
    rows = re.findall(r"<tr><td class=\"n\">(\d+)</td><td>([^<]*)</td>", table)
    assert sorted(int(t) for t, _ in rows) == sorted(board["trial"].tolist())
    assert {html.unescape(f) for _, f in rows} == set(board["family"])
    # The profile is of the training data (the whole file here).
    assert f"<b>{m['n_rows']}</b><span>rows</span>" in text


def test_describe_fit_matches_the_estimator():
    from sklearn.datasets import make_classification

    from autometa import AutoMetaClassifier

    X, y = make_classification(120, 5, random_state=0)
    clf = AutoMetaClassifier(
        n_trials=3,
        time_budget=30,
        prior=None,
        cv=3,
        random_state=0,
        families=["logistic_regression", "knn", "lightgbm"],
    ).fit(X, y)
    report = describe_fit(clf, X, y, name="synthetic")
    ens = report.ensemble_table
    assert dict(zip(ens["trial"], ens["weight"], strict=True)) == pytest.approx(
        clf.ensemble_weights_
    )
    assert ens["weight"].sum() == pytest.approx(1.0)
    assert report.best_score == clf.best_score_ and report.metric == clf.metric_
    curve = anytime_curve(report.leaderboard)
    assert curve["best"].iloc[-1] == pytest.approx(clf.best_score_)
    assert "synthetic" in render_html(report)
