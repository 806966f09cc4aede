"""The shared row encoder of the meta-learning methods, and tensor helpers.

Rows reach every method in the form the in-context model reads
(:mod:`autometa.fewshot.preprocessing`): ``max_features`` encoded values, zero-padded and
rescaled by ``sqrt(max_features / n_used)`` so that any number of features gives inputs of
a similar scale, and ``max_features`` missing flags. The encoder is an MLP on those
``2 * max_features`` inputs. Feature order is random in every episode, so the encoder
cannot rely on a feature's position.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

ENCODER_KEYS = ("max_features", "max_classes", "hidden", "embed", "n_layers")


@dataclass(frozen=True)
class EncoderConfig:
    """Shape of the row encoder (and of the label space of the episodes).

    Attributes
    ----------
    max_features : int
        Width of the encoded rows (values; as many missing flags again).
    max_classes : int
        Largest number of classes of an episode (output width of classification heads).
    hidden : int
        Width of the hidden layers.
    embed : int
        Width of the row embedding.
    n_layers : int
        Number of hidden layers (>= 1).
    """

    max_features: int = 100
    max_classes: int = 10
    hidden: int = 128
    embed: int = 64
    n_layers: int = 2

    def to_dict(self) -> dict:
        return asdict(self)


def init_parameters(module, generator) -> None:
    """Re-initialise every ``nn.Linear`` of ``module`` from ``generator`` (PyTorch's rule).

    Weights and biases are uniform in ``[-1/sqrt(fan_in), 1/sqrt(fan_in)]``, drawn from the
    given ``torch.Generator`` so that no global seed is needed.
    """
    import torch
    from torch import nn

    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, nn.Linear):
                bound = 1.0 / math.sqrt(m.in_features)
                m.weight.uniform_(-bound, bound, generator=generator)
                if m.bias is not None:
                    m.bias.uniform_(-bound, bound, generator=generator)


def build_encoder(config: EncoderConfig, *, final_activation: bool = False):
    """The row encoder: ``(..., 2 * max_features) -> (..., embed)``, an MLP with ReLU."""
    from torch import nn

    layers: list = []
    width = 2 * config.max_features
    for _ in range(config.n_layers):
        layers += [nn.Linear(width, config.hidden), nn.ReLU()]
        width = config.hidden
    layers.append(nn.Linear(width, config.embed))
    if final_activation:
        layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def rows(x, m):
    """Concatenate values and missing flags: ``(..., F), (..., F) -> (..., 2F)``."""
    import torch

    return torch.cat([x, m], dim=-1)


def input_columns(weight, width: int, max_features: int):
    """The columns of an input layer's weight that multiply the first ``width`` columns.

    ``weight`` (out, 2 * max_features) multiplies ``rows(x, m)``; when only the first
    ``width`` columns of ``x`` and ``m`` can be non-zero, ``rows(x[..., :width],
    m[..., :width])`` times these columns gives the same result with fewer operations.
    """
    import torch

    return torch.cat([weight[:, :width], weight[:, max_features : max_features + width]], 1)


def mask_classes(logits, n_classes):
    """Set the logits of classes ``>= n_classes`` to -inf.

    ``logits`` has shape (B, N, C); ``n_classes`` is an int or a tensor of shape (B,).
    """
    import torch

    c = logits.shape[-1]
    classes = torch.arange(c, device=logits.device).view(1, 1, -1)
    n = torch.as_tensor(n_classes, device=logits.device).view(-1, 1, 1)
    return logits.masked_fill(classes >= n, float("-inf"))


def query_nll(logp, target):
    """Mean negative log-likelihood over query rows whose target is not ignored.

    ``logp`` (..., C) log-probabilities; ``target`` (...) with ``IGNORE_INDEX`` rows.
    Returns ``(loss, accuracy)``; both 0 when no row counts.
    """
    from torch.nn import functional as F

    from autometa.fewshot.sampler import IGNORE_INDEX

    flat = logp.reshape(-1, logp.shape[-1])
    t = target.reshape(-1)
    ok = t != IGNORE_INDEX
    if not bool(ok.any()):
        zero = flat.sum() * 0.0
        return zero, zero.detach()
    loss = F.nll_loss(flat[ok], t[ok])
    acc = (flat[ok].argmax(-1) == t[ok]).float().mean()
    return loss, acc.detach()
