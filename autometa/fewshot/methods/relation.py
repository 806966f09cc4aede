"""Relation networks (Sung et al., 2018).

Rows are embedded by the shared encoder; a class is represented by the mean embedding of
its support rows; a learned relation module scores every (query, class) pair in [0, 1]
from the concatenated embeddings. As in the paper, the scores are regressed on the one-hot
query labels with a mean squared error. Class probabilities are the scores normalised to
sum to one.

References
----------
Sung, F., Yang, Y., Zhang, L., Xiang, T., Torr, P. H. S., Hospedales, T. M. "Learning to
Compare: Relation Network for Few-Shot Learning". CVPR 2018.
"""

from __future__ import annotations

import numpy as np

from autometa.fewshot.methods.base import EpisodicMethod
from autometa.fewshot.methods.encoder import (
    build_encoder,
    init_parameters,
    mask_classes,
    rows,
)
from autometa.fewshot.methods.protonet import class_means
from autometa.fewshot.sampler import IGNORE_INDEX


class RelationNet(EpisodicMethod):
    """Relation networks on the shared row encoder.

    Hyperparameters: ``relation_hidden`` (width of the relation module, 64).
    """

    name = "relation"
    defaults: dict = {"relation_hidden": 64}
    default_lr = 1e-3

    def init(self, generator) -> None:
        from torch import nn

        enc = build_encoder(self.encoder_config)
        d, h = self.encoder_config.embed, int(self.params["relation_hidden"])
        rel = nn.Sequential(
            nn.Linear(2 * d, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU(), nn.Linear(h, 1)
        )
        init_parameters(enc, generator)
        init_parameters(rel, generator)
        self.modules = {"encoder": enc, "relation": rel}

    def embed(self, x, m):
        return self.modules["encoder"](rows(x, m))

    def scores(self, zq, reps, counts, n_classes):
        """Relation scores (B, Nq, C) in [0, 1]; absent/out-of-range classes get 0."""
        import torch

        b, nq, d = zq.shape
        c = reps.shape[1]
        pair = torch.cat(
            [zq.unsqueeze(2).expand(b, nq, c, d), reps.unsqueeze(1).expand(b, nq, c, d)], dim=-1
        )
        logit = self.modules["relation"](pair).squeeze(-1)
        logit = mask_classes(logit, n_classes).masked_fill(counts.unsqueeze(1) == 0, float("-inf"))
        return torch.sigmoid(logit)

    @staticmethod
    def log_proba(scores):
        s = scores.clamp(min=1e-6) * (scores > 0)
        return (s / s.sum(-1, keepdim=True)).clamp(min=1e-12).log()

    def objective(self, t: dict):
        from torch.nn import functional as F

        c = self.encoder_config.max_classes
        reps, counts = class_means(self.embed(t["xs"], t["ms"]), t["ys"], c)
        s = self.scores(self.embed(t["xq"], t["mq"]), reps, counts, t["n_classes"])
        yq = t["yq"]
        ok = yq != IGNORE_INDEX
        target = F.one_hot(yq.clamp(min=0), c).to(s.dtype)
        valid_class = (counts > 0).unsqueeze(1).expand_as(s)
        mask = ok.unsqueeze(-1) & valid_class
        loss = ((s - target) ** 2)[mask].sum() / ok.sum().clamp(min=1)
        return loss, self.log_proba(s.detach())

    def fit_support(self, xs, ms, ys, n_classes: int):
        import torch

        with torch.no_grad():
            z = self.embed(self._tensor(xs)[None], self._tensor(ms)[None])
            reps, counts = class_means(z, self._tensor(ys, torch.int64)[None], int(n_classes))
        return {"reps": reps, "counts": counts, "n_classes": int(n_classes)}

    def predict_query(self, state, xq, mq) -> np.ndarray:
        import torch

        with torch.no_grad():
            zq = self.embed(self._tensor(xq)[None], self._tensor(mq)[None])
            s = self.scores(zq, state["reps"], state["counts"], state["n_classes"])
            return self.log_proba(s)[0].cpu().numpy()
