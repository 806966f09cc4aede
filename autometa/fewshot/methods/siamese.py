"""Siamese networks with a contrastive or a triplet loss.

One encoder embeds every row (the twin networks share their weights). Training pulls rows
of the same class together and pushes rows of different classes apart:

- ``loss="contrastive"`` (Hadsell, Chopra and LeCun, 2006): over all (query, support)
  pairs, ``d^2`` for a same-class pair and ``max(0, margin - d)^2`` otherwise, the two
  kinds of pairs weighted equally;
- ``loss="triplet"`` (Schroff, Kalenichenko and Philbin, 2015): for every query row, a
  random support row of its class and one of another class, ``max(0, d_pos^2 - d_neg^2 +
  margin)``.

Prediction is a soft nearest-neighbour vote over the support rows (Koch, Zemel and
Salakhutdinov, 2015 use the single nearest one): ``p(k) ∝ mean over support rows i of
class k of exp(-d_i^2 / tau)``, where the temperature ``tau`` is chosen per support set by
the leave-one-out log loss of the support rows over a grid of multiples of the median
squared distance.

References
----------
Koch, G., Zemel, R., Salakhutdinov, R. "Siamese Neural Networks for One-shot Image
Recognition". ICML Deep Learning Workshop 2015.
Hadsell, R., Chopra, S., LeCun, Y. "Dimensionality Reduction by Learning an Invariant
Mapping". CVPR 2006.
Schroff, F., Kalenichenko, D., Philbin, J. "FaceNet: A Unified Embedding for Face
Recognition and Clustering". CVPR 2015.
"""

from __future__ import annotations

import numpy as np

from autometa.fewshot.methods.base import EpisodicMethod
from autometa.fewshot.methods.encoder import build_encoder, init_parameters, rows
from autometa.fewshot.sampler import IGNORE_INDEX

TAU_GRID = (0.03, 0.1, 0.3, 1.0, 3.0)


def sq_distances(a, b):
    """Squared Euclidean distances (B, Na, Nb) between rows of a (B, Na, D) and b."""
    return ((a.unsqueeze(2) - b.unsqueeze(1)) ** 2).sum(-1)


def soft_vote_logp(d2, ys, n_classes: int, tau):
    """Log-probabilities (..., Nq, n_classes) of a kernel vote of the support rows.

    ``d2`` (..., Nq, Ns) squared distances; ``ys`` (Ns,) support labels.
    """
    import torch
    from torch.nn import functional as F

    onehot = F.one_hot(ys, n_classes).to(d2.dtype)  # (Ns, C)
    counts = onehot.sum(0)
    k = -d2 / tau
    # log of the mean kernel per class, computed stably
    shift = k.max(-1, keepdim=True).values
    per_class = (k - shift).exp() @ onehot / counts.clamp(min=1.0)
    logit = per_class.clamp(min=1e-30).log() + shift
    logit = logit.masked_fill(counts == 0, float("-inf"))
    return torch.log_softmax(logit, -1)


class SiameseNet(EpisodicMethod):
    """Siamese networks on the shared row encoder.

    Hyperparameters: ``loss`` (``"contrastive"`` or ``"triplet"``), ``margin`` (1.0).
    """

    name = "siamese"
    defaults: dict = {"loss": "contrastive", "margin": 1.0}
    default_lr = 1e-3

    def init(self, generator) -> None:
        if self.params["loss"] not in ("contrastive", "triplet"):
            raise ValueError(
                "The 'loss' hyperparameter of the siamese method must be 'contrastive' or "
                f"'triplet'. Got {self.params['loss']!r} instead."
            )
        enc = build_encoder(self.encoder_config)
        init_parameters(enc, generator)
        self.modules = {"encoder": enc}

    def embed(self, x, m):
        return self.modules["encoder"](rows(x, m))

    def pair_loss(self, d2, same, valid):
        """The training loss from distances (B, Nq, Ns) and same-class/valid masks."""
        import torch

        margin = float(self.params["margin"])
        if self.params["loss"] == "contrastive":
            pos = same & valid
            neg = ~same & valid
            d = (d2 + 1e-9).sqrt()
            lp = d2[pos].mean() if bool(pos.any()) else d2.sum() * 0.0
            ln = (torch.relu(margin - d) ** 2)[neg].mean() if bool(neg.any()) else d2.sum() * 0
            return lp + ln
        # triplet: one random positive and one random negative per anchor
        pos_w = (same & valid).to(d2.dtype)
        neg_w = (~same & valid).to(d2.dtype)
        ok = (pos_w.sum(-1) > 0) & (neg_w.sum(-1) > 0)
        if not bool(ok.any()):
            return d2.sum() * 0.0
        flat_d = d2[ok]
        ip = torch.multinomial(pos_w[ok], 1, generator=self.generator)
        ineg = torch.multinomial(neg_w[ok], 1, generator=self.generator)
        dp = flat_d.gather(1, ip).squeeze(1)
        dn = flat_d.gather(1, ineg).squeeze(1)
        return torch.relu(dp - dn + margin).mean()

    def objective(self, t: dict):
        zs = self.embed(t["xs"], t["ms"])
        zq = self.embed(t["xq"], t["mq"])
        d2 = sq_distances(zq, zs)
        yq, ys = t["yq"], t["ys"]
        valid = (yq != IGNORE_INDEX).unsqueeze(-1).expand_as(d2)
        same = yq.unsqueeze(-1) == ys.unsqueeze(1)
        loss = self.pair_loss(d2, same, valid)
        c = self.encoder_config.max_classes
        logp = [
            soft_vote_logp(d2[i].detach(), ys[i], c, d2[i].detach().median() + 1e-6)
            for i in range(len(ys))
        ]
        import torch

        return loss, torch.stack(logp)

    def fit_support(self, xs, ms, ys, n_classes: int):
        import torch

        with torch.no_grad():
            zs = self.embed(self._tensor(xs), self._tensor(ms))
            y = self._tensor(ys, torch.int64)
            d2 = sq_distances(zs[None], zs[None])[0]
            d2_loo = d2 + torch.diag(torch.full((len(y),), float("inf"), device=d2.device))
            off = d2[~torch.eye(len(y), dtype=torch.bool, device=d2.device)]
            scale = float(off.median()) + 1e-6 if off.numel() else 1.0
            best, best_tau = float("inf"), scale
            for f in TAU_GRID:
                logp = soft_vote_logp(d2_loo, y, int(n_classes), scale * f)
                ll = -logp.gather(1, y[:, None]).clamp(min=-30.0).mean()
                if float(ll) < best:
                    best, best_tau = float(ll), scale * f
        return {"z": zs, "y": y, "n_classes": int(n_classes), "tau": best_tau}

    def predict_query(self, state, xq, mq) -> np.ndarray:
        import torch

        with torch.no_grad():
            zq = self.embed(self._tensor(xq), self._tensor(mq))
            d2 = sq_distances(zq[None], state["z"][None])[0]
            return soft_vote_logp(d2, state["y"], state["n_classes"], state["tau"]).cpu().numpy()
