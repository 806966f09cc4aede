"""The prior artifact on disk: a directory of JSON, Parquet, CSV and a LightGBM text model.

``manifest.json`` names every other file with its size and SHA-256, so a truncated or altered
file is caught before it is parsed. Nothing is pickled: loading an artifact cannot run code.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from autometa._files import sha256_file
from autometa.exceptions import PriorError

__all__ = ["SCHEMA_VERSION", "default_prior_path", "load_prior", "prior_info", "write_files"]

SCHEMA_VERSION = 1
FORMAT = "autometa-prior"
MANIFEST = "manifest.json"
_OPTIONAL_FILES = {"ranker.lgbm.txt"}
_REQUIRED = {
    "format": str,
    "schema_version": int,
    "created": str,
    "metric": str,
    "tasks": list,
    "configs": list,
    "families": list,
    "metafeatures": dict,
    "ranking": dict,
    "files": dict,
}


def default_prior_path() -> Path:
    """The folder of the prior shipped inside the package."""
    return Path(__file__).resolve().parent.parent / "priors" / "default"


def write_files(out_dir: Path, files: dict[str, Any], manifest: dict[str, Any]) -> None:
    """Write ``files`` (name -> writer(path)) then the manifest with their checksums.

    Each file goes to a temporary name first; the manifest is written last.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    listed = {}
    for name, writer in files.items():
        tmp = out_dir / (name + ".tmp")
        writer(tmp)
        os.replace(tmp, out_dir / name)
        listed[name] = {
            "size": (out_dir / name).stat().st_size,
            "sha256": sha256_file(out_dir / name),
        }
    manifest = dict(manifest, files=listed)
    tmp = out_dir / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    os.replace(tmp, out_dir / MANIFEST)
    for name in _OPTIONAL_FILES - set(files):  # left over from an earlier fit
        (out_dir / name).unlink(missing_ok=True)


def _resolve(path: str | os.PathLike[str]) -> Path:
    if str(path) == "default":
        return default_prior_path()
    return Path(path)


def read_manifest(path: str | os.PathLike[str]) -> tuple[Path, dict[str, Any]]:
    """Read and validate an artifact's manifest and file checksums (no table parsing)."""
    root = _resolve(path)
    file = root / MANIFEST
    if not file.is_file():
        raise PriorError(
            f"No prior at {str(root)!r}: {MANIFEST} is missing. Build one with "
            "`autometa meta-train` (or autometa.prior.fit_prior)."
        )
    try:
        manifest = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PriorError(
            f"The prior manifest {str(file)!r} is corrupted or truncated: {exc}."
        ) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise PriorError(f"{str(file)!r} is not an autometa prior manifest.")
    version = manifest.get("schema_version")
    if version != SCHEMA_VERSION:
        raise PriorError(
            f"The prior at {str(root)!r} has schema version {version!r}; this version of "
            f"autometa reads schema version {SCHEMA_VERSION}. Rebuild the prior from its "
            "evaluation table with autometa.prior.fit_prior."
        )
    for key, kind in _REQUIRED.items():
        if not isinstance(manifest.get(key), kind):
            raise PriorError(
                f"The prior manifest {str(file)!r} is invalid: {key!r} must be a "
                f"{kind.__name__}. Got {type(manifest.get(key)).__name__}."
            )
    for name, meta in manifest["files"].items():
        target = root / name
        if Path(name).name != name:
            raise PriorError(f"The prior manifest {str(file)!r} names a file outside the prior.")
        if not target.is_file():
            raise PriorError(f"The prior at {str(root)!r} is incomplete: {name} is missing.")
        if target.stat().st_size != meta.get("size") or sha256_file(target) != meta.get("sha256"):
            raise PriorError(
                f"The prior file {str(target)!r} is truncated or corrupted (its size or "
                "checksum differs from the manifest)."
            )
    return root, manifest


def load_prior(path: str | os.PathLike[str] = "default") -> Any:
    """Load and validate a prior artifact.

    Parameters
    ----------
    path : str or Path, default="default"
        A prior directory, or ``"default"`` for the prior shipped with autometa.

    Returns
    -------
    Prior

    Raises
    ------
    PriorError
        If the artifact is missing, truncated, corrupted or of another schema version.
    """
    from autometa.prior.core import Prior
    from autometa.prior.scores import normalised_scores, raw_scores

    root, manifest = read_manifest(path)
    try:
        evaluations = pd.read_parquet(root / "evaluations.parquet")
        configs = {
            c["config_id"]: {"family": c["family"], "params": c["params"]}
            for c in json.loads((root / "configs.json").read_text(encoding="utf-8"))
        }
        mf = pd.read_parquet(root / "metafeatures.parquet")
        ids = list(manifest["configs"])
        tasks = list(manifest["tasks"])
        raw = raw_scores(evaluations, manifest["metric"]).reindex(index=tasks, columns=ids)
        norm = normalised_scores(raw)
        booster = None
        model = manifest["ranking"].get("model_file")
        if model:
            import lightgbm as lgb

            booster = lgb.Booster(model_str=(root / model).read_text(encoding="utf-8"))
        return Prior(
            manifest,
            [configs[c] for c in ids],
            norm,
            mf,
            booster,
            cost=_fit_costs(evaluations),
        )
    except PriorError:
        raise
    except Exception as exc:
        raise PriorError(f"The prior at {str(root)!r} could not be read: {exc}") from exc


def _fit_costs(evaluations: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """Each configuration's fit time as ``seconds_per_fit + seconds_per_row * rows``.

    A least-squares line through the per-task medians of the successful fits, both terms kept
    non-negative; a per-row rate alone, measured on small tasks where a fit's fixed cost
    dominates, overstates what a larger training set costs several-fold.
    """
    if not {"fit_time", "n_train", "config_id"} <= set(evaluations.columns):
        return {}
    ok = evaluations[(evaluations.get("state", "ok") == "ok") & (evaluations["n_train"] > 0)]
    if "task" in ok.columns:
        ok = ok.groupby(["config_id", "task"])[["n_train", "fit_time"]].median().reset_index()
    out: dict[str, tuple[float, float]] = {}
    for cid, g in ok.groupby("config_id"):
        n, t = g["n_train"].to_numpy(float), g["fit_time"].to_numpy(float)
        fixed, per_row = 0.0, float(np.median(t / n))
        if len(g) >= 3 and n.max() >= 2 * n.min():
            (a, b), *_ = np.linalg.lstsq(np.c_[np.ones_like(n), n], t, rcond=None)
            if a >= 0 and b >= 0:
                fixed, per_row = float(a), float(b)
            elif b < 0:
                fixed, per_row = float(np.median(t)), 0.0
        out[str(cid)] = (fixed, per_row)
    return out


def prior_info(path: str | os.PathLike[str] = "default") -> dict[str, Any]:
    """What a prior holds (see :meth:`Prior.info`), plus its location and size on disk."""
    prior = load_prior(path)
    root = _resolve(path)
    info = prior.info()
    info["path"] = str(root.resolve())
    info["size_bytes"] = int(sum(p.stat().st_size for p in root.iterdir() if p.is_file()))
    return info
