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

    from autometa.fewshot.methods.encoder import input_columns

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
            # queries for every row; keys and values from the support rows only
            hn = self.norm1(h)
            k, v = self.keys_values(hn[:, :n_support])
            return self.attend(h, hn, k, v)

        def keys_values(self, hn: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            """Keys and values (B, n_heads, Ns, d / n_heads) of normalised support rows."""
            b, ns, d = hn.shape
            nh = arch.n_heads
            w, bias = self.qkv.weight, self.qkv.bias
            kv = F.linear(hn, w[d:], bias[d:])
            kv = kv.view(b, ns, 2, nh, d // nh).permute(2, 0, 3, 1, 4)
            return kv[0], kv[1]

        def attend(
            self, h: torch.Tensor, hn: torch.Tensor, k: torch.Tensor, v: torch.Tensor
        ) -> torch.Tensor:
            """Rows ``h`` (``hn`` normalised) attend to keys/values ``k``, ``v``; feed-forward."""
            b, n, d = h.shape
            nh = arch.n_heads
            w, bias = self.qkv.weight, self.qkv.bias
            q = F.linear(hn, w[:d], bias[:d]).view(b, n, nh, d // nh).transpose(1, 2)
            a = F.scaled_dot_product_attention(q, k, v)
            h = h + self.proj(a.transpose(1, 2).reshape(b, n, d))
            return h + self.ff2(F.gelu(self.ff1(self.norm2(h))))

    class InContextTransformer(nn.Module):
        """Rows are tokens; every row attends to the support rows only.

        ``forward(xs, ms, ys, xq, mq, n_classes)`` takes support values/missing flags of
        shape (B, Ns, max_features), support labels (B, Ns) and query values/flags
        (B, Nq, max_features); it returns query logits (B, Nq, max_classes) with classes
        ``>= n_classes`` masked to -inf.

        At inference, ``forward_query(support_cache(xs, ms, ys), xq, mq, n_classes)`` gives
        the same logits: the support rows' keys and values are computed once, and the input
        layer multiplies only the columns given (the encoded features, without the zero
        padding).
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
            return self._logits(h[:, ns:], n_classes)

        def support_cache(self, xs, ms, ys) -> list:
            """Keys and values of the support rows at every layer, for :meth:`forward_query`.

            Support rows attend to support rows only, so these do not depend on the query
            rows. ``xs``, ``ms`` may have fewer than ``max_features`` columns (the missing
            ones are zeros).
            """
            h = self._embed(xs, ms) + self.label_embedding(ys)
            cache = []
            for i, layer in enumerate(self.layers):
                hn = layer.norm1(h)
                k, v = layer.keys_values(hn)
                cache.append((k, v))
                if i + 1 < len(self.layers):
                    h = layer.attend(h, hn, k, v)
            return cache

        def forward_query(self, cache: list, xq, mq, n_classes):
            """``forward`` of the query rows, given the support rows' :meth:`support_cache`.

            ``xq``, ``mq`` (B, Nq, width) hold the first ``width <= max_features`` columns
            (the others are zeros); the input layer multiplies those columns only.
            """
            h = self._embed(xq, mq).float()  # a float32 residual stream, also under autocast
            for layer, (k, v) in zip(self.layers, cache, strict=True):
                h = layer.attend(h, layer.norm1(h), k, v)
            return self._logits(h, n_classes)

        def _embed(self, x, m):
            """The input layer on the first ``x.shape[-1]`` value and missing-flag columns."""
            w = input_columns(self.encoder.weight, x.shape[-1], arch.max_features)
            return F.linear(torch.cat([x, m], -1), w, self.encoder.bias)

        def _logits(self, h, n_classes):
            """Class logits of the last layer's rows, classes >= n_classes set to -inf.

            float32 also under autocast: bfloat16 logits would tie rows whose scores differ
            by less than 1 part in 256.
            """
            with torch.autocast(h.device.type, enabled=False):
                logits = self.head(self.norm(h.float()))
            classes = torch.arange(arch.max_classes, device=logits.device)
            n_classes = torch.as_tensor(n_classes, device=logits.device).view(-1, 1, 1)
            return logits.masked_fill(classes.view(1, 1, -1) >= n_classes, float("-inf"))

    return InContextTransformer()
