"""docs/metafeatures.md carries the current feature table."""

from __future__ import annotations

from pathlib import Path

from metafeatures._doc import END, START, markdown_table

DOC = Path(__file__).resolve().parents[2] / "docs" / "metafeatures.md"


def test_feature_table_is_current():
    text = DOC.read_text()
    generated = text.split(START, 1)[1].split(END, 1)[0].strip()
    assert generated == markdown_table().strip(), (
        "docs/metafeatures.md is stale: run `python -m metafeatures._doc docs/metafeatures.md`"
    )
