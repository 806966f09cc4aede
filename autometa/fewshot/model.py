"""The in-context transformer: query rows attend to labelled support rows."""

from __future__ import annotations

from dataclasses import asdict, dataclass

ARCH_KEYS = ("max_features", "max_classes", "d_model", "n_layers", "n_heads", "d_ff")


@dataclass(frozen=True)
class ArchConfig:
    """Hyperparameters of :class:`InContextTransformer`."""

    max_features: int = 100
    max_classes: int = 10
    d_model: int = 128
    n_layers: int = 4
    n_heads: int = 4
    d_ff: int = 256

    def to_dict(self) -> dict:
        return asdict(self)


def build_model(arch: ArchConfig):
    """Build an :class:`InContextTransformer` (imports torch lazily)."""
    import torch
    from torch import nn
    from torch.nn import functional as F

    class Layer(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            d = arch.d_model
            self.norm1 = nn.LayerNorm(d)
            self.qkv = nn.Linear(d, 3 * d)
            self.proj = nn.Linear(d, d)
            self.norm2 = nn.LayerNorm(d)
            self.ff1 = nn.Linear(d, arch.d_ff)
            self.ff2 = nn.Linear(arch.d_ff, d)

        def forward(self, h: torch.Tensor, n_support: int) -> torch.Tensor:
            b, n, d = h.shape
            nh = arch.n_heads
            hn = self.norm1(h)
            w, bias = self.qkv.weight, self.qkv.bias
            # queries for every row; keys and values from the support rows only
            q = F.linear(hn, w[:d], bias[:d]).view(b, n, nh, d // nh).transpose(1, 2)
            kv = F.linear(hn[:, :n_support], w[d:], bias[d:])
            kv = kv.view(b, n_support, 2, nh, d // nh).permute(2, 0, 3, 1, 4)
            a = F.scaled_dot_product_attention(q, kv[0], kv[1])
            h = h + self.proj(a.transpose(1, 2).reshape(b, n, d))
            return h + self.ff2(F.gelu(self.ff1(self.norm2(h))))

    class InContextTransformer(nn.Module):
        """Rows are tokens; every row attends to the support rows only.

        ``forward(xs, ms, ys, xq, mq, n_classes)`` takes support values/missing flags of
        shape (B, Ns, max_features), support labels (B, Ns) and query values/flags
        (B, Nq, max_features); it returns query logits (B, Nq, max_classes) with classes
        ``>= n_classes`` masked to -inf.
        """

        def __init__(self) -> None:
            super().__init__()
            self.arch = arch
            d = arch.d_model
            self.encoder = nn.Linear(2 * arch.max_features, d)
            self.label_embedding = nn.Embedding(arch.max_classes, d)
            self.layers = nn.ModuleList(Layer() for _ in range(arch.n_layers))
            self.norm = nn.LayerNorm(d)
            self.head = nn.Linear(d, arch.max_classes)

        def forward(self, xs, ms, ys, xq, mq, n_classes):
            ns = xs.shape[1]
            x = torch.cat([torch.cat([xs, ms], -1), torch.cat([xq, mq], -1)], dim=1)
            h = self.encoder(x)
            h = torch.cat([h[:, :ns] + self.label_embedding(ys), h[:, ns:]], dim=1)
            for layer in self.layers:
                h = layer(h, ns)
            logits = self.head(self.norm(h[:, ns:]))
            classes = torch.arange(arch.max_classes, device=logits.device)
            n_classes = torch.as_tensor(n_classes, device=logits.device).view(-1, 1, 1)
            return logits.masked_fill(classes.view(1, 1, -1) >= n_classes, float("-inf"))

    return InContextTransformer()
