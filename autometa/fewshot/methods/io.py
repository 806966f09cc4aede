"""Weights of the meta-learning methods: where they ship, how they are read and checked.

The files have the format of the in-context model's weights
(:mod:`autometa.fewshot.weights`): a ``.pt`` dict of float32 tensors read with
``torch.load(weights_only=True)`` and a ``.json`` with ``schema_version``, the SHA-256 of
the tensor file, ``method`` and ``config`` (encoder shape and hyperparameters).
"""

from __future__ import annotations

from pathlib import Path

from autometa.fewshot._errors import FewShotWeightsError
from autometa.fewshot.methods.encoder import ENCODER_KEYS, EncoderConfig

WEIGHTS_DIR = Path(__file__).resolve().parents[1] / "weights"


def default_weights(method: str) -> Path:
    """Where the weights of ``method`` ship inside the package (they may be absent)."""
    return WEIGHTS_DIR / f"{method}.pt"


def training_command(method: str) -> str:
    """The command that meta-trains ``method`` and writes its weights."""
    return (
        f"python -m autometa.fewshot.train --method {method} --out runs/fewshot-{method} "
        f"--minutes 7 --resume --corpus ../shared/datasets --checkpoint-every 60 "
        f"--export-to runs/fewshot-{method}/{method}.pt"
    )


def load_method(method: str, path=None, device: str = "cpu"):
    """Build a method with loaded weights, in eval mode.

    Parameters
    ----------
    method : str
        A name of :data:`autometa.fewshot.methods.METHODS` other than ``"icl"``.
    path : str or Path, optional
        A ``.pt`` file (with its ``.json``) or a folder holding ``<method>.pt``; the weights
        shipped with the package when omitted.
    device : str

    Raises
    ------
    FewShotWeightsError
        No weights (shipped or at ``path``), corrupted files, another schema version,
        weights of another method, or tensors that do not match the configuration.
    """
    from autometa.fewshot.methods import METHODS
    from autometa.fewshot.weights import read_weight_files

    default = default_weights(method)
    if path is None and not default.is_file():
        raise FewShotWeightsError(
            f"No weights for the few-shot method {method!r} ship with autometa (see "
            f"docs/fewshot.md, 'Meta-learning methods'). Train them with `"
            f"{training_command(method)}` and pass weights='runs/fewshot-{method}/best.pt'."
        )
    state, meta = read_weight_files(
        path,
        default=default,
        missing_hint=f"Train them with `{training_command(method)}`.",
    )
    source = str(path if path is not None else default)
    if meta.get("method") != method:
        raise FewShotWeightsError(
            f"The weights at {source} are for the few-shot method "
            f"{meta.get('method', 'in-context')!r}, not {method!r}."
        )
    try:
        config = meta["config"]
        encoder = EncoderConfig(**{k: int(config["encoder"][k]) for k in ENCODER_KEYS})
        obj = METHODS[method](encoder, device="cpu", **dict(config["params"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise FewShotWeightsError(
            f"The weights metadata of {source} has no valid 'config': {exc}"
        ) from exc
    check_tensors(state, obj.tensors(), source)
    obj.load_tensors({k: v.float() for k, v in state.items()})
    obj.metadata = meta
    return obj.to(device).eval()


def check_tensors(state: dict, expected: dict, source: str) -> None:
    """Raise :class:`FewShotWeightsError` unless names and shapes match ``expected``."""
    want = {k: tuple(v.shape) for k, v in expected.items()}
    got = {k: tuple(v.shape) for k, v in state.items()}
    missing, extra = sorted(set(want) - set(got)), sorted(set(got) - set(want))
    if missing or extra:
        raise FewShotWeightsError(
            f"The weights {source} do not match their configuration: missing {missing[:5]}, "
            f"unexpected {extra[:5]}."
        )
    for k in want:
        if want[k] != got[k]:
            raise FewShotWeightsError(
                f"The weights {source} do not match their configuration: {k} has shape "
                f"{got[k]}, expected {want[k]}."
            )
