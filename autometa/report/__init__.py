"""Dataset and fit reports, for the terminal (rich) and as a self-contained HTML page."""

from __future__ import annotations

from autometa.report.analysis import (
    DatasetReport,
    FallbackDecision,
    MetaFeatureGroup,
    Projection,
    Recommendation,
    analyze_dataset,
    fallback_decision,
    project_tasks,
)
from autometa.report.fitted import FitReport, anytime_curve, describe_fit
from autometa.report.html_page import render_html, write_html
from autometa.report.openml_task import load_openml_task
from autometa.report.profile import ColumnInfo, DatasetProfile, profile_dataset
from autometa.report.terminal import terminal_view

__all__ = [
    "ColumnInfo",
    "DatasetProfile",
    "DatasetReport",
    "FallbackDecision",
    "FitReport",
    "MetaFeatureGroup",
    "Projection",
    "Recommendation",
    "analyze_dataset",
    "anytime_curve",
    "describe_fit",
    "fallback_decision",
    "load_openml_task",
    "profile_dataset",
    "project_tasks",
    "render_html",
    "terminal_view",
    "write_html",
]
