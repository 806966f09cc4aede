"""Reptile (Nichol, Achiam and Schulman, 2018).

For every episode of a batch, a copy of the weights is trained by ``inner_steps``
full-batch SGD steps (learning rate ``inner_lr``) on the support cross-entropy; the meta
update moves the weights towards the mean of the adapted copies:
``theta <- theta + meta_step * mean_i(phi_i - theta)``. No second derivatives and no query
labels are needed for the update (the query rows only measure the adapted copies). At fit
time the same inner loop, with ``test_steps`` steps (chosen on meta-validation, see
:meth:`~autometa.fewshot.methods.maml.GradientMethod.evaluate`), adapts the network to the
training rows.

References
----------
Nichol, A., Achiam, J., Schulman, J. "On First-Order Meta-Learning Algorithms".
arXiv:1803.02999, 2018.
"""

from __future__ import annotations

from autometa.fewshot.methods.encoder import query_nll
from autometa.fewshot.methods.maml import GradientMethod


class Reptile(GradientMethod):
    """Reptile with plain SGD in the inner loop.

    Hyperparameters: ``inner_steps`` (8), ``inner_lr`` (0.1), ``meta_step`` (0.5, the
    outer step size epsilon), ``test_steps`` (inner steps at fit time, set on
    meta-validation; 8 before that).
    """

    name = "reptile"
    defaults: dict = {"inner_steps": 8, "inner_lr": 0.1, "meta_step": 0.5, "test_steps": 8}

    def make_optimizer(self):
        return None  # the outer update is the Reptile rule, not an optimiser

    def outer_step(self, t: dict) -> tuple[dict, float, float]:
        """Adapt a copy per episode; returns the new weights, mean query loss and accuracy."""
        import torch

        theta = {k: v.detach() for k, v in self.net.named_parameters()}
        total = {k: torch.zeros_like(v) for k, v in theta.items()}
        losses, accs = [], []
        b = t["xs"].shape[0]
        for i in range(b):
            nc = t["n_classes"][i]
            with torch.enable_grad():
                phi = {k: v.clone().requires_grad_() for k, v in theta.items()}
                phi = self.adapt(
                    phi,
                    t["xs"][i : i + 1],
                    t["ms"][i : i + 1],
                    t["ys"][i : i + 1],
                    nc,
                    steps=int(self.params["inner_steps"]),
                    create_graph=False,
                )
            phi = {k: v.detach() for k, v in phi.items()}
            with torch.no_grad():
                logp = self.logits(phi, t["xq"][i : i + 1], t["mq"][i : i + 1], nc).log_softmax(-1)
                loss, acc = query_nll(logp, t["yq"][i : i + 1])
            losses.append(float(loss))
            accs.append(float(acc))
            for k in total:
                total[k] += phi[k] - theta[k]
        eps = float(self.params["meta_step"])
        new = {k: theta[k] + eps * total[k] / b for k in theta}
        return new, sum(losses) / b, sum(accs) / b

    def train_step(self, batch) -> dict:
        import torch

        self.net.train()
        new, loss, acc = self.outer_step(batch.to_torch(self.device))
        with torch.no_grad():
            for k, p in self.net.named_parameters():
                p.copy_(new[k])
        self.step += 1
        return {"loss": loss, "acc": acc}

    def objective(self, t: dict):
        raise NotImplementedError("Reptile has no differentiable meta-objective; see outer_step.")

    def state_dict(self) -> dict:
        return {"tensors": self.tensors(), "step": self.step}

    def load_state_dict(self, state: dict) -> None:
        self.load_tensors(state["tensors"])
        self.step = int(state["step"])
