"""The MLP itself: embeddings for categorical columns, a stack of dense blocks, a head.

Parameters are created without touching torch's global random state
(``torch.nn.utils.skip_init``) and initialised from an explicit ``torch.Generator``;
dropout draws its masks from a generator passed to ``forward``.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

__all__ = ["ACTIVATIONS", "NORMALIZATIONS", "SHAPES", "MLPNet", "hidden_widths"]

ACTIVATIONS = ("relu", "gelu", "silu")
NORMALIZATIONS = ("none", "batch", "layer")
SHAPES = ("constant", "funnel")

_MIN_FUNNEL_WIDTH = 16


def hidden_widths(depth: int, width: int, shape: str) -> list[int]:
    """Width of each hidden layer.

    ``"constant"`` keeps ``width`` throughout; ``"funnel"`` halves it at every layer,
    never going below 16 (or ``width`` if that is smaller).
    """
    if shape == "constant":
        return [width] * depth
    floor = min(width, _MIN_FUNNEL_WIDTH)
    return [max(floor, width >> i) for i in range(depth)]


def _activation(name: str) -> nn.Module:
    return {"relu": nn.ReLU, "gelu": nn.GELU, "silu": nn.SiLU}[name]()


def _norm(name: str, width: int) -> nn.Module:
    if name == "batch":
        return nn.BatchNorm1d(width)
    if name == "layer":
        return nn.LayerNorm(width)
    return nn.Identity()


def _dropout(x: torch.Tensor, p: float, training: bool, generator: Any) -> torch.Tensor:
    if not training or p <= 0.0:
        return x
    keep = torch.rand(x.shape, generator=generator, device=x.device) < 1.0 - p
    return x * keep * (1.0 / (1.0 - p))


class _Block(nn.Module):
    """Linear -> normalisation -> activation -> dropout, optionally with a skip path."""

    def __init__(self, d_in: int, d_out: int, activation: str, norm: str, residual: bool):
        super().__init__()
        self.linear = nn.utils.skip_init(nn.Linear, d_in, d_out)
        self.norm = _norm(norm, d_out)
        self.act = _activation(activation)
        self.skip: nn.Module | None = None
        if residual:
            self.skip = (
                nn.Identity()
                if d_in == d_out
                else nn.utils.skip_init(nn.Linear, d_in, d_out, bias=False)
            )

    def forward(self, x: torch.Tensor, p: float, generator: Any) -> torch.Tensor:
        h = _dropout(self.act(self.norm(self.linear(x))), p, self.training, generator)
        return h if self.skip is None else h + self.skip(x)


class MLPNet(nn.Module):
    """Multi-layer perceptron over numeric features and embedded categories.

    Parameters
    ----------
    n_numeric : int
        Width of the numeric input block.
    cardinalities : list of int
        Embedding table size of each categorical column (index 0 = missing/unseen).
    embedding_dim : int
        Size of every category embedding.
    widths : list of int
        Hidden layer widths (see :func:`hidden_widths`).
    n_classes : int
        Number of output logits.
    activation : {"relu", "gelu", "silu"}
    normalization : {"none", "batch", "layer"}
    dropout : float
        Dropout probability after every hidden layer.
    residual : bool
        Add a skip connection around every hidden layer but the first (a bias-free
        linear projection when the widths differ).

    Attributes
    ----------
    config : dict
        The constructor arguments as JSON-serialisable values (``MLPNet(**net.config)``
        rebuilds the architecture).
    """

    def __init__(
        self,
        n_numeric: int,
        cardinalities: list[int],
        embedding_dim: int,
        widths: list[int],
        n_classes: int,
        activation: str,
        normalization: str,
        dropout: float,
        residual: bool,
    ):
        super().__init__()
        self.config = {
            "n_numeric": int(n_numeric),
            "cardinalities": [int(c) for c in cardinalities],
            "embedding_dim": int(embedding_dim),
            "widths": [int(w) for w in widths],
            "n_classes": int(n_classes),
            "activation": str(activation),
            "normalization": str(normalization),
            "dropout": float(dropout),
            "residual": bool(residual),
        }
        self.dropout = float(dropout)
        self.n_categorical = len(cardinalities)
        self.embedding: nn.Embedding | None = None
        if cardinalities:
            offsets = torch.tensor([0, *cardinalities[:-1]], dtype=torch.long).cumsum(0)
            self.register_buffer("offsets", offsets)
            self.embedding = nn.utils.skip_init(nn.Embedding, sum(cardinalities), embedding_dim)
        d_in = n_numeric + len(cardinalities) * embedding_dim
        blocks = []
        for i, width in enumerate(widths):
            blocks.append(_Block(d_in, width, activation, normalization, residual and i > 0))
            d_in = width
        self.blocks = nn.ModuleList(blocks)
        self.head = nn.utils.skip_init(nn.Linear, d_in, n_classes)

    @torch.no_grad()
    def initialize(self, generator: torch.Generator) -> None:
        """Initialise all weights from ``generator`` (torch's default schemes)."""
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.kaiming_uniform_(module.weight, a=math.sqrt(5), generator=generator)
                if module.bias is not None:
                    bound = 1.0 / math.sqrt(module.in_features) if module.in_features else 0.0
                    nn.init.uniform_(module.bias, -bound, bound, generator=generator)
            elif isinstance(module, nn.Embedding):
                nn.init.normal_(module.weight, 0.0, 1.0, generator=generator)

    def forward(
        self, x_num: torch.Tensor, x_cat: torch.Tensor, generator: Any = None
    ) -> torch.Tensor:
        """Logits of shape (n_samples, n_classes)."""
        h = x_num
        if self.embedding is not None:
            emb = self.embedding(x_cat + self.offsets).flatten(1)
            h = torch.cat([x_num, emb.to(x_num.dtype)], dim=1)
        for block in self.blocks:
            h = block(h, self.dropout, generator)
        return self.head(h)
