"""`autometa report`: the terminal report, the HTML file, and the OpenML path."""

from __future__ import annotations

import html
import re
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from autometa.cli import app
from autometa.report import fallback_decision

runner = CliRunner()
OPENML_CACHE = Path(__file__).resolve().parents[3] / "shared" / "openml-cache"


def _row(manifest, name):
    return manifest.set_index("name").loc[name]


@pytest.mark.parametrize("name", ["hepatitis", "eucalyptus"])
def test_terminal_report_on_a_corpus_dataset(name, datasets_dir, manifest):
    m = _row(manifest, name)
    result = runner.invoke(app, ["report", str(datasets_dir / m["file"]), "--target", m["target"]])
    assert result.exit_code == 0, result.output
    out = result.output
    # The profile agrees with the corpus manifest, computed independently of autometa.
    assert re.search(rf"rows\s+{m['n_rows']:,}\b", out)
    assert f"{m['n_features']} ({m['n_numeric']} numeric, {m['n_nominal']} categorical)" in out
    assert re.search(rf"\b{m['majority']}\s+│", out) and re.search(rf"\b{m['minority']}\s+│", out)
    assert f"classes  {m['n_classes']} (imbalance ratio" in out
    # The prior's view: nearest tasks with similarities and ranked configurations.
    assert "Nearest tasks of the prior" in out and "Recommended configurations" in out
    nearest = out[out.index("Nearest tasks of the prior") : out.index("Recommended configurations")]
    sims = [float(s) for s in re.findall(r"│\s+([01]\.\d{3}) │\n", nearest)]
    assert sims and all(0 <= s <= 1 for s in sims)
    assert sims == sorted(sims, reverse=True)
    # The tiny-data rule, with the numbers that decide it.
    decision = fallback_decision(int(m["n_rows"]))
    expected = (
        f"would be used because the data has {m['n_rows']} <= {decision.threshold} rows"
        if m["n_rows"] <= decision.threshold
        else f"would not be used because the data has {m['n_rows']} > {decision.threshold} rows"
    )
    assert expected in " ".join(out.split())


def test_report_writes_html_with_its_plots(tmp_path, datasets_dir, manifest):
    m = _row(manifest, "hepatitis")
    page = tmp_path / "out" / "hepatitis.html"
    result = runner.invoke(
        app, ["report", str(datasets_dir / m["file"]), "--target", m["target"], "--html", str(page)]
    )
    assert result.exit_code == 0, result.output
    text = page.read_text(encoding="utf-8")
    # Four plots: class balance, missing values, the map of the prior's tasks, expected scores.
    images = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)" alt="([^"]*)"', text)
    assert sorted(html.unescape(alt) for _, alt in images) == sorted(
        [
            "class balance",
            "missing-value map",
            "PCA map of the prior's tasks",
            "expected scores of the recommendations",
        ]
    )
    assert all(len(data) > 2000 for data, _ in images)
    # Self-contained: nothing is fetched from elsewhere.
    assert "http://" not in text and "https://" not in text and "<script" not in text
    assert "hepatitis.arff" in text and "Tiny-data fallback" in text


def test_report_without_prior_skips_the_prior_sections(datasets_dir, manifest):
    m = _row(manifest, "iris")
    result = runner.invoke(
        app, ["report", str(datasets_dir / m["file"]), "--target", m["target"], "--prior", "none"]
    )
    assert result.exit_code == 0, result.output
    assert "Class balance" in result.output
    assert "Nearest tasks" not in result.output and "Recommended" not in result.output


def test_report_reads_csv_and_parquet(tmp_path):
    frame = pd.DataFrame(
        {"a": [0.1, 0.5, None, 0.9] * 10, "b": list("xyzx") * 10, "label": ["p", "n"] * 20}
    )
    frame.to_csv(tmp_path / "d.csv", index=False)
    frame.to_parquet(tmp_path / "d.parquet")
    for file in ("d.csv", "d.parquet"):
        result = runner.invoke(
            app, ["report", str(tmp_path / file), "--target", "label", "--prior", "none"]
        )
        assert result.exit_code == 0, result.output
        assert "2 (1 numeric, 1 categorical)" in result.output
        assert "10 cells (12.5%) in 1 column(s)" in result.output


def test_report_needs_exactly_one_source(tmp_path):
    result = runner.invoke(app, ["report"])
    assert result.exit_code == 2 and "either a data file or --openml-task" in result.output
    result = runner.invoke(app, ["report", str(tmp_path / "none.csv")])
    assert result.exit_code == 2 and "No such data file" in result.output


@pytest.fixture
def openml_config():
    openml = pytest.importorskip("openml")
    saved = (
        openml.config.server,
        openml.config.get_cache_directory(),
        openml.config.connection_n_retries,
    )
    root = getattr(openml.config, "_root_cache_directory", None)
    yield openml
    openml.config.server, _, openml.config.connection_n_retries = saved
    if root is not None:
        openml.config.set_root_cache_directory(str(root))


def test_openml_task_from_the_client_cache(tmp_path, openml_config):
    if not (OPENML_CACHE / "org").exists():
        pytest.skip(f"no openml-python cache at {OPENML_CACHE}")
    cache = tmp_path / "cache"
    shutil.copytree(OPENML_CACHE, cache)
    result = runner.invoke(
        app,
        [
            "report",
            "--openml-task",
            "1882",
            "--openml-cache",
            str(cache),
            "--openml-server",
            "https://test.openml.org/api/v1/xml",
            "--prior",
            "none",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "OpenML task 1882 (anneal)" in result.output
    assert re.search(r"rows\s+898\b", result.output)


def test_openml_task_fails_fast_without_a_server(tmp_path, openml_config):
    start = time.monotonic()
    result = runner.invoke(
        app,
        [
            "report",
            "--openml-task",
            "31",
            "--openml-cache",
            str(tmp_path / "empty"),
            "--openml-server",
            "http://127.0.0.1:9/api/v1/xml",
        ],
    )
    assert time.monotonic() - start < 20
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "Could not get OpenML task 31" in text and "pass the file instead" in text
