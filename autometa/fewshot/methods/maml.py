"""Model-agnostic meta-learning: MAML (second order) and first-order MAML.

The network (the shared row encoder and a linear head with ``max_classes`` outputs,
classes beyond the task's count masked) is adapted on the support set by ``inner_steps``
full-batch gradient steps on the support cross-entropy; the meta-objective is the query
cross-entropy of the adapted network. The inner learning rates (one per parameter tensor,
as in Li et al.'s Meta-SGD restricted to tensors, or "LSLR" of MAML++) are meta-learned
with the initial weights.

- ``MAML`` back-propagates through the inner steps, Hessian-vector products included
  (``torch.autograd.grad(..., create_graph=True)``);
- ``FOMAML`` treats the inner gradients as constants, so the meta-gradient of the weights
  is the query gradient at the adapted weights (Finn et al., section 5.2).

At fit time, :class:`~autometa.fewshot.FewShotClassifier` runs the same inner loop on the
training rows, with the meta-learned learning rates and ``inner_steps`` steps.

References
----------
Finn, C., Abbeel, P., Levine, S. "Model-Agnostic Meta-Learning for Fast Adaptation of Deep
Networks". ICML 2017.
Antoniou, A., Edwards, H., Storkey, A. "How to train your MAML". ICLR 2019.
"""

from __future__ import annotations

import math

import numpy as np

from autometa.fewshot.methods.base import EpisodicMethod
from autometa.fewshot.methods.encoder import (
    build_encoder,
    init_parameters,
    input_columns,
    mask_classes,
    query_nll,
    rows,
)

#: candidate numbers of adaptation steps at fit time (chosen on meta-validation)
STEP_GRID = (1, 2, 3, 5, 8, 12, 16, 20, 25, 32)


def build_classifier_net(config):
    """Encoder (ReLU on its output) followed by a linear head with max_classes outputs."""
    from torch import nn

    return nn.Sequential(
        build_encoder(config, final_activation=True), nn.Linear(config.embed, config.max_classes)
    )


class GradientMethod(EpisodicMethod):
    """Shared pieces of MAML, first-order MAML and Reptile (one network, inner SGD)."""

    default_lr = 1e-3
    tokens_per_batch = 1024
    narrow_queries = True
    #: name of the input layer's weight in ``net``
    input_weight = "0.0.weight"

    def init(self, generator) -> None:
        net = build_classifier_net(self.encoder_config)
        init_parameters(net, generator)
        self.modules = {"net": net}

    @property
    def net(self):
        return self.modules["net"]

    def logits(self, params: dict, x, m, n_classes):
        from torch.func import functional_call

        return mask_classes(functional_call(self.net, params, (rows(x, m),)), n_classes)

    def inner_lrs(self) -> list:
        """Learning rate of each parameter tensor (in ``named_parameters`` order)."""
        n = len(list(self.net.parameters()))
        return [float(self.params["inner_lr"])] * n

    def adapt(
        self, params: dict, x, m, y, n_classes, *, steps: int, create_graph: bool, on_step=None
    ):
        """``steps`` full-batch gradient steps on the cross-entropy of (x, m, y).

        ``on_step(i, params)``, when given, sees the weights after every step ``i >= 1``.
        """
        import torch

        lrs = self.inner_lrs()
        for i in range(steps):
            logp = self.logits(params, x, m, n_classes).log_softmax(-1)
            loss, _ = query_nll(logp, y)
            grads = torch.autograd.grad(loss, list(params.values()), create_graph=create_graph)
            params = {
                k: p - lr * g for (k, p), lr, g in zip(params.items(), lrs, grads, strict=True)
            }
            if on_step is not None:
                on_step(i + 1, params)
        return params

    def _test_steps(self) -> int:
        return int(self.params["test_steps"])

    def evaluate(self, batches: dict) -> dict:
        """Query cross-entropy after 1..``STEP_GRID[-1]`` inner steps; sets ``test_steps``.

        The number of adaptation steps used at fit time is the one with the lowest mean
        validation cross-entropy (over every group) among :data:`STEP_GRID`; the reported
        ``"loss"`` and per-group metrics are those at that number of steps.
        """
        import torch

        self.eval()
        grid = [s for s in STEP_GRID if s <= 4 * int(self.params["inner_steps"])]
        per: dict = {}  # (group, steps) -> list of (loss, acc)
        for group, bs in batches.items():
            for b in bs:
                for i in range(len(b.ys)):
                    nc = int(b.n_classes[i])
                    xq, mq = self._tensor(b.xq[i])[None], self._tensor(b.mq[i])[None]
                    yq = self._tensor(b.yq[i], torch.int64)[None]

                    def record(step, params, group=group, nc=nc, xq=xq, mq=mq, yq=yq):
                        if step in grid:
                            with torch.no_grad():
                                logp = self.logits(params, xq, mq, nc).log_softmax(-1)
                                loss, acc = query_nll(logp, yq)
                            per.setdefault((group, step), []).append((float(loss), float(acc)))

                    with torch.enable_grad():
                        params = {
                            k: v.detach().requires_grad_() for k, v in self.net.named_parameters()
                        }
                        self.adapt(
                            params,
                            self._tensor(b.xs[i])[None],
                            self._tensor(b.ms[i])[None],
                            self._tensor(b.ys[i], torch.int64)[None],
                            nc,
                            steps=grid[-1],
                            create_graph=False,
                            on_step=record,
                        )
        groups = list(batches)
        by_steps = {
            s: float(np.mean([np.mean([r[0] for r in per[(g, s)]]) for g in groups])) for s in grid
        }
        best = min(grid, key=lambda s: (by_steps[s], s))
        self.params["test_steps"] = int(best)
        out: dict = {}
        for g in groups:
            out[f"{g}_loss"] = float(np.mean([r[0] for r in per[(g, best)]]))
            out[f"{g}_acc"] = float(np.mean([r[1] for r in per[(g, best)]]))
        out["loss"] = by_steps[best]
        out["test_steps"] = int(best)
        out["loss_by_steps"] = {str(s): round(v, 5) for s, v in by_steps.items()}
        return out

    def fit_support(self, xs, ms, ys, n_classes: int):
        import torch

        x, m = self._tensor(xs)[None], self._tensor(ms)[None]
        y = self._tensor(ys, torch.int64)[None]
        with torch.enable_grad():
            params = {k: v.detach().requires_grad_() for k, v in self.net.named_parameters()}
            params = self.adapt(
                params, x, m, y, int(n_classes), steps=self._test_steps(), create_graph=False
            )
        return {"params": {k: v.detach() for k, v in params.items()}, "n_classes": int(n_classes)}

    def predict_query(self, state, xq, mq) -> np.ndarray:
        import torch

        params = state["params"]
        width, f = np.shape(xq)[-1], self.encoder_config.max_features
        if width < f:  # the input layer multiplies the first `width` columns only
            name = self.input_weight
            params = {**params, name: input_columns(params[name], width, f)}
        with torch.no_grad():
            logits = self.logits(
                params, self._tensor(xq)[None], self._tensor(mq)[None], state["n_classes"]
            )
            return logits.log_softmax(-1)[0].cpu().numpy()


class MAML(GradientMethod):
    """MAML with meta-learned per-tensor inner learning rates.

    Hyperparameters: ``inner_steps`` (5, in meta-training), ``inner_lr`` (initial inner
    learning rate, 0.1), ``first_order`` (False; True is :class:`FOMAML`), ``test_steps``
    (steps at fit time, set by :meth:`evaluate` on meta-validation; 5 before that).
    """

    name = "maml"
    defaults: dict = {"inner_steps": 5, "inner_lr": 0.1, "first_order": False, "test_steps": 5}

    def init(self, generator) -> None:
        import torch

        super().init(generator)
        n = len(list(self.net.parameters()))
        self.inner_log_lr = torch.nn.Parameter(
            torch.full((n,), math.log(float(self.params["inner_lr"])))
        )

    def to(self, device: str):
        super().to(device)
        self.inner_log_lr.data = self.inner_log_lr.data.to(device)
        return self

    def extra_parameters(self) -> list:
        return [self.inner_log_lr]

    def extra_tensors(self) -> dict:
        return {"inner_log_lr": self.inner_log_lr}

    def inner_lrs(self):
        return list(self.inner_log_lr.exp().unbind(0))

    def meta_loss(self, t: dict):
        """Mean query loss after adaptation, and the query log-probabilities."""
        import torch

        first_order = bool(self.params["first_order"])
        params = dict(self.net.named_parameters())
        losses, logps = [], []
        for i in range(t["xs"].shape[0]):
            nc = t["n_classes"][i]
            adapted = self.adapt(
                params,
                t["xs"][i : i + 1],
                t["ms"][i : i + 1],
                t["ys"][i : i + 1],
                nc,
                steps=int(self.params["inner_steps"]),
                create_graph=not first_order,
            )
            logp = self.logits(adapted, t["xq"][i : i + 1], t["mq"][i : i + 1], nc).log_softmax(-1)
            loss, _ = query_nll(logp, t["yq"][i : i + 1])
            losses.append(loss)
            logps.append(logp[0])
        return torch.stack(losses).mean(), torch.stack(logps)

    def objective(self, t: dict):
        return self.meta_loss(t)


class FOMAML(MAML):
    """First-order MAML (same network and inner loop; inner gradients are constants)."""

    name = "fomaml"
    defaults: dict = {"inner_steps": 5, "inner_lr": 0.1, "first_order": True, "test_steps": 5}
