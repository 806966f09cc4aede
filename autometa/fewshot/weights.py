"""Versioned network weights: a plain dict of tensors plus a JSON metadata file."""

from __future__ import annotations

import json
import os
from pathlib import Path

from autometa._files import sha256_file
from autometa.fewshot._errors import FewShotWeightsError
from autometa.fewshot.model import ARCH_KEYS, ArchConfig

WEIGHTS_SCHEMA_VERSION = 1
DEFAULT_WEIGHTS = Path(__file__).parent / "weights" / "fewshot.pt"


def _paths(path: str | Path | None, default: Path = DEFAULT_WEIGHTS) -> tuple[Path, Path]:
    p = Path(default if path is None else path)
    if p.is_dir() or not p.suffix:
        p = p / default.name
    if p.suffix == ".json":
        p = p.with_suffix(".pt")
    return p, p.with_suffix(".json")


def save_weights(state_dict: dict, metadata: dict, path: str | Path) -> Path:
    """Write ``state_dict`` (float32 tensors) and metadata atomically.

    The metadata gets ``schema_version`` and the SHA-256 of the tensor file.
    """
    import torch

    pt, js = _paths(path)
    pt.parent.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().to("cpu", torch.float32).contiguous() for k, v in state_dict.items()}
    tmp = pt.with_suffix(".pt.tmp")
    torch.save(tensors, tmp)
    meta = dict(
        metadata, schema_version=WEIGHTS_SCHEMA_VERSION, sha256=sha256_file(tmp), file=pt.name
    )
    tmp_js = js.with_suffix(".json.tmp")
    tmp_js.write_text(json.dumps(meta, indent=2, sort_keys=True))
    os.replace(tmp, pt)
    os.replace(tmp_js, js)
    return pt


def load_weights(path: str | Path | None = None) -> tuple[dict, dict, ArchConfig]:
    """Load and validate network weights.

    Parameters
    ----------
    path : str or Path, optional
        A ``.pt`` file (with its ``.json`` beside it) or a folder holding ``fewshot.pt``.
        The weights shipped with the package when omitted.

    Returns
    -------
    state_dict : dict of str to Tensor
    metadata : dict
    arch : ArchConfig

    Raises
    ------
    FewShotWeightsError
        When a file is missing, truncated or corrupted, of another schema version, or
        when tensor names/shapes do not match the architecture.
    """
    state, meta = read_weight_files(path)
    pt, js = _paths(path)
    method = meta.get("method", "in-context")
    if method != "in-context":
        raise FewShotWeightsError(
            f"The weights at {pt} are for the few-shot method {method!r}; pass them to "
            f"FewShotClassifier(method={method!r}, weights=...)."
        )
    try:
        arch = ArchConfig(**{k: int(meta["arch"][k]) for k in ARCH_KEYS})
    except (KeyError, TypeError, ValueError) as exc:
        raise FewShotWeightsError(f"The weights metadata {js} has no valid 'arch': {exc}") from exc
    check_state_dict(state, arch, source=str(pt))
    return {k: v.float() for k, v in state.items()}, meta, arch


def read_weight_files(
    path: str | Path | None = None,
    *,
    default: Path = DEFAULT_WEIGHTS,
    missing_hint: str = "Pass weights=<path> or train them with "
    "`python -m autometa.fewshot.train`.",
) -> tuple[dict, dict]:
    """Read a tensor file and its metadata, checking what every few-shot method shares.

    Checks that both files exist, the metadata is a JSON object of schema version
    :data:`WEIGHTS_SCHEMA_VERSION`, the SHA-256 matches and the file holds a dict of
    tensors. Architecture checks are left to the caller.

    Returns
    -------
    state_dict : dict of str to Tensor
    metadata : dict
    """
    import torch

    pt, js = _paths(path, default)
    if not pt.is_file() or not js.is_file():
        raise FewShotWeightsError(
            f"No few-shot weights at {pt} (expected {pt.name} and {js.name}). {missing_hint}"
        )
    try:
        meta = json.loads(js.read_text())
    except (OSError, ValueError) as exc:
        raise FewShotWeightsError(f"The weights metadata {js} is not valid JSON: {exc}") from exc
    if not isinstance(meta, dict):
        raise FewShotWeightsError(f"The weights metadata {js} must be a JSON object.")
    version = meta.get("schema_version")
    if version != WEIGHTS_SCHEMA_VERSION:
        raise FewShotWeightsError(
            f"The weights at {pt} have schema version {version!r}; this version of autometa "
            f"reads schema version {WEIGHTS_SCHEMA_VERSION}."
        )
    if meta.get("sha256") != sha256_file(pt):
        raise FewShotWeightsError(
            f"The weights file {pt} is corrupted or truncated (its SHA-256 does not match "
            f"{js.name})."
        )
    try:
        state = torch.load(pt, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types on bad files
        raise FewShotWeightsError(f"The weights file {pt} could not be read: {exc}") from exc
    if not isinstance(state, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
    ):
        raise FewShotWeightsError(f"The weights file {pt} must hold a dict of tensors.")
    return state, meta


def check_state_dict(state: dict, arch: ArchConfig, source: str = "state_dict") -> None:
    """Raise :class:`FewShotWeightsError` unless names and shapes fit ``arch``."""
    from autometa.fewshot.model import build_model

    expected = {k: tuple(v.shape) for k, v in build_model(arch).state_dict().items()}
    got = {k: tuple(v.shape) for k, v in state.items()}
    missing = sorted(set(expected) - set(got))
    extra = sorted(set(got) - set(expected))
    if missing or extra:
        raise FewShotWeightsError(
            f"The weights {source} do not match the architecture {arch}: missing "
            f"{missing[:5]}, unexpected {extra[:5]}."
        )
    bad = [k for k in expected if expected[k] != got[k]]
    if bad:
        k = bad[0]
        raise FewShotWeightsError(
            f"The weights {source} do not match the architecture: {k} has shape {got[k]}, "
            f"expected {expected[k]}."
        )


def load_model(path: str | Path | None = None, device: str = "cpu"):
    """Build the network with loaded weights, in eval mode. Returns ``(model, metadata)``."""
    state, meta, arch = load_weights(path)
    from autometa.fewshot.model import build_model

    model = build_model(arch)
    model.load_state_dict(state)
    return model.to(device).eval(), meta
