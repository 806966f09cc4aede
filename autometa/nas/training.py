"""Training loop: AdamW, early stopping on a validation loss, time limit, pruning hook.

On CUDA the forward passes run under ``torch.autocast`` (bfloat16 when supported,
float16 with a gradient scaler otherwise); on CPU the same code runs with autocast and
the scaler disabled.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch.nn import functional as F

from autometa.nas.network import MLPNet

__all__ = ["TrainResult", "predict_logits", "resolve_device", "train_network"]

_EVAL_CHUNK = 8192
_MIN_IMPROVEMENT = 1e-4


def resolve_device(device: str | torch.device) -> torch.device:
    """``"auto"`` -> CUDA when available, otherwise CPU; other values are checked."""
    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            "The 'device' parameter of MLPClassifier must be 'auto', 'cpu', 'cuda' or "
            f"'cuda:<index>'. Got {device!r} instead."
        ) from exc
    if resolved.type not in ("cpu", "cuda"):
        raise ValueError(
            "The 'device' parameter of MLPClassifier must be 'auto', 'cpu', 'cuda' or "
            f"'cuda:<index>'. Got {device!r} instead."
        )
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"The 'device' parameter is {device!r} but CUDA is not available.")
    return resolved


def _amp(device: torch.device) -> tuple[bool, torch.dtype]:
    if device.type != "cuda":
        return False, torch.bfloat16
    return True, torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


@dataclass
class TrainResult:
    """What happened during training.

    Attributes
    ----------
    n_epochs : int
        Epochs run (a partial epoch cut by the time limit counts).
    best_epoch : int
        Epoch whose weights were kept (1-based).
    best_val_loss : float or None
        Validation log loss of the kept weights; None without a validation split.
    train_loss : list of float
        Mean training loss per completed epoch.
    val_loss : list of float
        Validation loss per completed epoch (empty without a validation split).
    stop_reason : {"max_epochs", "early_stopping", "time_limit"}
    """

    n_epochs: int = 0
    best_epoch: int = 0
    best_val_loss: float | None = None
    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    stop_reason: str = "max_epochs"


@torch.no_grad()
def predict_logits(
    net: MLPNet, x_num: torch.Tensor, x_cat: torch.Tensor, device: torch.device
) -> torch.Tensor:
    """Logits on the CPU, computed in chunks on ``device`` in eval mode.

    The dtype follows the network and ``x_num`` (float32 under CUDA autocast).
    """
    was_training = net.training
    net.eval()
    use_amp, amp_dtype = _amp(device)
    out = []
    try:
        for start in range(0, max(len(x_num), 1), _EVAL_CHUNK):
            xn = x_num[start : start + _EVAL_CHUNK].to(device)
            xc = x_cat[start : start + _EVAL_CHUNK].to(device)
            with torch.autocast(device_type=device.type, dtype=amp_dtype, enabled=use_amp):
                logits = net(xn, xc)
                out.append((logits.float() if use_amp else logits).cpu())
    finally:
        net.train(was_training)
    return torch.cat(out)


def train_network(
    net: MLPNet,
    train: tuple[np.ndarray, np.ndarray, np.ndarray],
    valid: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
    *,
    learning_rate: float,
    weight_decay: float,
    batch_size: int,
    max_epochs: int,
    patience: int,
    device: torch.device,
    seed: int,
    deadline: float | None = None,
    epoch_callback: Callable[[int, float], object] | None = None,
) -> TrainResult:
    """Train ``net`` in place and leave the best weights in it.

    Parameters
    ----------
    net : MLPNet
        Initialised network (on CPU); it is moved to ``device`` and back.
    train, valid : tuple of (x_num, x_cat, y)
        Training and validation arrays; without ``valid`` the network trains for
        ``max_epochs`` and the training loss is reported instead.
    learning_rate, weight_decay : float
        AdamW settings (decoupled weight decay).
    batch_size : int
        Rows per step; the rows are split into ``max(1, n // batch_size)`` near-equal
        batches, so small data train full-batch and no batch has a single row.
    max_epochs, patience : int
        Epoch budget; stop after ``patience`` epochs without a validation improvement.
    device : torch.device
    seed : int
        Seed of the shuffling and dropout generators.
    deadline : float, optional
        ``time.perf_counter()`` value after which training stops (checked after every
        step), keeping the best weights seen so far.
    epoch_callback : callable, optional
        Called as ``epoch_callback(epoch, loss)`` after every epoch (1-based); whatever
        it raises (e.g. ``optuna.TrialPruned``) propagates.
    """
    net.to(device)
    shuffle_gen = torch.Generator().manual_seed(seed)
    dropout_gen = torch.Generator(device=device).manual_seed(seed + 1)
    use_amp, amp_dtype = _amp(device)
    scaler = torch.amp.GradScaler(device.type, enabled=use_amp and amp_dtype == torch.float16)
    optimizer = torch.optim.AdamW(net.parameters(), lr=learning_rate, weight_decay=weight_decay)

    xn = torch.from_numpy(train[0]).to(device)
    xc = torch.from_numpy(train[1]).to(device)
    yt = torch.from_numpy(train[2]).to(device)
    n = len(yt)
    n_batches = max(1, n // max(2, batch_size))
    if valid is not None:
        vn, vc = torch.from_numpy(valid[0]), torch.from_numpy(valid[1])
        vy = torch.from_numpy(valid[2])

    result = TrainResult()
    best_state: dict[str, torch.Tensor] | None = None
    best_loss = float("inf")
    stale = 0
    net.train()
    try:
        for epoch in range(1, max_epochs + 1):
            perm = torch.randperm(n, generator=shuffle_gen).to(device)
            total, timed_out = 0.0, False
            for idx in torch.tensor_split(perm, n_batches):
                with torch.autocast(device_type=device.type, dtype=amp_dtype, enabled=use_amp):
                    logits = net(xn[idx], xc[idx], dropout_gen)
                loss = F.cross_entropy(logits.float(), yt[idx])
                optimizer.zero_grad(set_to_none=True)
                scaler.scale(loss).backward()
                scaler.step(optimizer)
                scaler.update()
                total += float(loss.detach()) * len(idx)
                if deadline is not None and time.perf_counter() >= deadline:
                    timed_out = True
                    break
            result.n_epochs = epoch
            if timed_out:
                result.stop_reason = "time_limit"
                if best_state is None:
                    result.best_epoch = epoch
                break
            result.train_loss.append(total / n)
            if valid is None:
                monitored = result.train_loss[-1]
                result.best_epoch = epoch
            else:
                logits = predict_logits(net, vn, vc, device)
                monitored = float(F.cross_entropy(logits, vy))
                result.val_loss.append(monitored)
                if monitored < best_loss - _MIN_IMPROVEMENT:
                    best_loss, stale = monitored, 0
                    best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
                    result.best_epoch = epoch
                else:
                    stale += 1
            if epoch_callback is not None:
                epoch_callback(epoch, monitored)
            if valid is not None and stale >= patience:
                result.stop_reason = "early_stopping"
                break
        if best_state is not None:
            net.load_state_dict(best_state)
            result.best_val_loss = best_loss
    finally:
        net.to("cpu")
        net.eval()
    return result
