"""Data: validation of user tables, and loaders for ARFF, CSV, Parquet and OpenML."""

from __future__ import annotations

from autometa.data.io import load_arff, load_dataset, read_table
from autometa.data.table import TableEncoder, check_target, to_frame

__all__ = ["TableEncoder", "check_target", "load_arff", "load_dataset", "read_table", "to_frame"]
