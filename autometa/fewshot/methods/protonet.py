"""Prototypical networks (Snell, Swersky and Zemel, 2017).

A class is the mean embedding (its prototype) of its support rows; a query row's class
log-probabilities are a softmax over minus its squared Euclidean distances to the
prototypes. Training minimises the query cross-entropy.

References
----------
Snell, J., Swersky, K., Zemel, R. "Prototypical Networks for Few-shot Learning".
NeurIPS 2017.
"""

from __future__ import annotations

import numpy as np

from autometa.fewshot.methods.base import EpisodicMethod
from autometa.fewshot.methods.encoder import (
    build_encoder,
    init_parameters,
    mask_classes,
    query_nll,
    rows,
)


def class_means(z, y, n_max: int):
    """Mean of ``z`` (B, N, D) per label of ``y`` (B, N) in ``0..n_max-1``.

    Returns ``(means, counts)`` of shapes (B, n_max, D) and (B, n_max); classes without
    rows have a zero mean and a zero count.
    """
    from torch.nn import functional as F

    onehot = F.one_hot(y, n_max).to(z.dtype)  # (B, N, C)
    counts = onehot.sum(1)
    means = onehot.transpose(1, 2) @ z / counts.clamp(min=1.0).unsqueeze(-1)
    return means, counts


def prototype_logits(zq, protos, counts, n_classes):
    """Minus squared distances (B, Nq, C), absent or out-of-range classes at -inf."""
    d2 = ((zq.unsqueeze(2) - protos.unsqueeze(1)) ** 2).sum(-1)
    logits = mask_classes(-d2, n_classes)
    return logits.masked_fill(counts.unsqueeze(1) == 0, float("-inf"))


class ProtoNet(EpisodicMethod):
    """Prototypical networks on the shared row encoder."""

    name = "protonet"
    defaults: dict = {}
    default_lr = 1e-3

    def init(self, generator) -> None:
        enc = build_encoder(self.encoder_config)
        init_parameters(enc, generator)
        self.modules = {"encoder": enc}

    def embed(self, x, m):
        return self.modules["encoder"](rows(x, m))

    def objective(self, t: dict):
        c = self.encoder_config.max_classes
        protos, counts = class_means(self.embed(t["xs"], t["ms"]), t["ys"], c)
        logits = prototype_logits(self.embed(t["xq"], t["mq"]), protos, counts, t["n_classes"])
        logp = logits.log_softmax(-1)
        loss, _ = query_nll(logp, t["yq"])
        return loss, logp

    def fit_support(self, xs, ms, ys, n_classes: int):
        import torch

        with torch.no_grad():
            z = self.embed(self._tensor(xs)[None], self._tensor(ms)[None])
            protos, counts = class_means(z, self._tensor(ys, torch.int64)[None], int(n_classes))
        return {"prototypes": protos, "counts": counts, "n_classes": int(n_classes)}

    def predict_query(self, state, xq, mq) -> np.ndarray:
        import torch

        with torch.no_grad():
            zq = self.embed(self._tensor(xq)[None], self._tensor(mq)[None])
            logits = prototype_logits(zq, state["prototypes"], state["counts"], state["n_classes"])
            return logits.log_softmax(-1)[0].cpu().numpy()
