"""The documentation site builds with `mkdocs build --strict`, and the CLI reference is current."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_mkdocs_build_strict(tmp_path):
    missing = [
        m
        for m in ("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers.python")
        if importlib.util.find_spec(m.split(".")[0]) is None
        or (m.startswith("mkdocstrings_") and importlib.util.find_spec(m) is None)
    ]
    if missing:
        pytest.skip(
            "the docs build needs mkdocs, mkdocs-material and mkdocstrings[python] "
            f"(pip install mkdocs mkdocs-material 'mkdocstrings[python]'); missing: "
            f"{', '.join(missing)}"
        )
    site = tmp_path / "site"
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", OMP_NUM_THREADS="1")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "-f",
            str(ROOT / "mkdocs.yml"),
            "-d",
            str(site),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    api = (site / "api" / "index.html").read_text(encoding="utf-8")
    # mkdocstrings rendered the docstrings, not just the headings.
    assert "warm-started by a meta-learned prior" in api
    assert "Compute meta-features of a classification dataset" in api
    assert (site / "guide" / "reports" / "index.html").exists()


def test_cli_reference_lists_every_command_and_option():
    """docs/cli.md is generated from the typer app; this catches a stale copy."""
    import click
    import typer.main

    from autometa.cli import app

    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    group = typer.main.get_command(app)

    def walk(cmd: click.Command, path: str):
        yield path, cmd
        if isinstance(cmd, click.Group):
            for name, sub in cmd.commands.items():
                yield from walk(sub, f"{path} {name}")

    stale = []
    for path, cmd in walk(group, "autometa"):
        heading = f"## `{path}`"
        if path != "autometa" and heading not in text:
            stale.append(heading)
            continue
        section = text[text.index(heading) :] if path != "autometa" else text
        nxt = section.find("\n## ", 1)
        section = section if nxt < 0 else section[:nxt]
        for param in cmd.params:
            if isinstance(param, click.Option) and not param.hidden:
                long = max(param.opts, key=len)
                if f"`{long}" not in section and f" {long}" not in section:
                    stale.append(f"{path} {long}")
    assert not stale, (
        f"docs/cli.md is missing {stale}; regenerate it with: typer autometa.cli utils docs "
        "--name autometa --title 'CLI reference' --output docs/cli.md (keep the metatrain "
        "section at the end)"
    )
