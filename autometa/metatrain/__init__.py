"""Meta-training: task sources, the resumable evaluation runner and its store."""

from __future__ import annotations

from autometa.metatrain.export import export_evaluations
from autometa.metatrain.progress import ProgressCallback, RichProgress
from autometa.metatrain.runner import cell_counts, run_evaluations
from autometa.metatrain.sources import LocalSource, OpenMLSource, TaskSpec, resolve_source
from autometa.metatrain.store import EvalStore
from autometa.metatrain.train import meta_train

__all__ = [
    "EvalStore",
    "LocalSource",
    "OpenMLSource",
    "ProgressCallback",
    "RichProgress",
    "TaskSpec",
    "cell_counts",
    "export_evaluations",
    "meta_train",
    "resolve_source",
    "run_evaluations",
]
