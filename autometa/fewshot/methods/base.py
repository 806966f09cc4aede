"""The interface every episodic meta-learning method implements.

A method is trained by :func:`autometa.fewshot.train.meta_train` on batches of episodes
from a :class:`~autometa.fewshot.sampler.TaskSampler`, and used by
:class:`~autometa.fewshot.FewShotClassifier` through :meth:`EpisodicMethod.fit_support`
(adapt to, or summarise, a labelled support set) and :meth:`EpisodicMethod.predict_query`.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from autometa.fewshot.methods.encoder import EncoderConfig, query_nll


class EpisodicMethod:
    """Base class: a network, an optimiser and the training/inference slots.

    Parameters
    ----------
    encoder : EncoderConfig, optional
        Shape of the shared row encoder (the default config when omitted).
    device : str, default="cpu"
    seed : int, default=0
        Seeds the initial weights (through a ``torch.Generator``; no global seeding).
    lr : float, optional
        Learning rate of the meta-optimiser (the class default when omitted).
    **params
        Method hyperparameters; see ``defaults`` of each method.

    Subclasses set ``name`` and ``defaults`` and implement :meth:`init`,
    :meth:`objective`, :meth:`fit_support` and :meth:`predict_query`; gradient-free outer
    updates (Reptile) override :meth:`train_step`.
    """

    name: ClassVar[str] = "base"
    defaults: ClassVar[dict] = {}
    default_lr: ClassVar[float] = 1e-3
    #: rows (support + query) per training batch, see TaskSampler
    tokens_per_batch: ClassVar[int] = 2048
    #: whether :meth:`predict_query` takes rows narrower than ``max_features`` columns
    narrow_queries: ClassVar[bool] = False

    def __init__(
        self,
        encoder: EncoderConfig | None = None,
        *,
        device: str = "cpu",
        seed: int = 0,
        lr: float | None = None,
        **params: Any,
    ) -> None:
        import torch

        unknown = sorted(set(params) - set(self.defaults))
        if unknown:
            raise ValueError(
                f"Unknown hyperparameter(s) {unknown} for the few-shot method {self.name!r}; "
                f"expected some of {sorted(self.defaults)}."
            )
        self.encoder_config = encoder if encoder is not None else EncoderConfig()
        self.params = {**self.defaults, **params}
        self.device = device
        self.lr = float(self.default_lr if lr is None else lr)
        self.generator = torch.Generator().manual_seed(int(seed))
        self.init(self.generator)
        self.to(device)
        self.opt = self.make_optimizer()
        if self.opt is not None:
            #: multiplier of the learning rate, set by ``meta_train``'s ``cooldown``
            self.lr_scale = 1.0
        self.step = 0
        self.metadata: dict = {}

    # --- to implement -------------------------------------------------------------
    def init(self, generator) -> None:
        """Build the networks (as ``self.modules``: dict of name to ``nn.Module``)."""
        raise NotImplementedError

    def objective(self, t: dict):
        """Training loss of a batch (a dict of tensors, see ``Batch.to_torch``).

        Returns ``(loss, logp)``; ``logp`` (B, Nq, C) are query log-probabilities (for the
        accuracy shown during training).
        """
        raise NotImplementedError

    def fit_support(self, xs, ms, ys, n_classes: int) -> Any:
        """Adapt to one labelled support set; returns an opaque state for predict_query.

        ``xs``, ``ms``: arrays (Ns, max_features) of encoded values and missing flags;
        ``ys``: labels in ``0..n_classes-1``.
        """
        raise NotImplementedError

    def predict_query(self, state: Any, xq, mq) -> np.ndarray:
        """Log-probabilities (Nq, n_classes) of query rows given ``fit_support``'s state.

        ``xq``, ``mq``: arrays (Nq, max_features); with ``narrow_queries``, (Nq, width) for
        any ``width <= max_features``: the first columns, the others being zero.
        """
        raise NotImplementedError

    # --- shared -------------------------------------------------------------------
    def to(self, device: str) -> EpisodicMethod:
        self.device = device
        for m in self.modules.values():
            m.to(device)
        return self

    def parameters(self) -> list:
        return [p for m in self.modules.values() for p in m.parameters()] + self.extra_parameters()

    def extra_parameters(self) -> list:
        """Meta-learned tensors outside the modules (MAML's inner learning rates)."""
        return []

    def make_optimizer(self):
        import torch

        return torch.optim.Adam(self.parameters(), lr=self.lr)

    def predict(self, support: tuple, query: tuple) -> np.ndarray:
        """``predict_query(fit_support(*support), *query)``.

        ``support`` is ``(xs, ms, ys, n_classes)``, ``query`` is ``(xq, mq)``.
        """
        return self.predict_query(self.fit_support(*support), *query)

    def _tensor(self, a, dtype=None):
        import torch

        return torch.as_tensor(np.asarray(a), device=self.device, dtype=dtype)

    def train_step(self, batch) -> dict:
        """One meta-update (an optimiser step on :meth:`objective`)."""
        import torch

        for m in self.modules.values():
            m.train()
        t = batch.to_torch(self.device)
        loss, logp = self.objective(t)
        _, acc = query_nll(logp.detach(), t["yq"])
        for g in self.opt.param_groups:
            g["lr"] = self.lr * self.lr_scale
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.parameters(), 1.0)
        self.opt.step()
        self.step += 1
        return {"loss": float(loss.detach()), "acc": float(acc)}

    def evaluate(self, batches: dict) -> dict:
        """Query cross-entropy and accuracy of the inference path on fixed batches.

        Every episode goes through :meth:`fit_support` and :meth:`predict_query`, exactly as
        in :class:`~autometa.fewshot.FewShotClassifier`; ``"loss"`` is the mean
        cross-entropy over the groups (comparable between methods and with in-context
        learning).
        """
        import torch

        for m in self.modules.values():
            m.eval()
        out: dict = {}
        for group, bs in batches.items():
            losses, accs = [], []
            for b in bs:
                for i in range(len(b.ys)):
                    nc = int(b.n_classes[i])
                    logp = self.predict((b.xs[i], b.ms[i], b.ys[i], nc), (b.xq[i], b.mq[i]))
                    loss, acc = query_nll(torch.as_tensor(logp), torch.as_tensor(b.yq[i]))
                    losses.append(float(loss))
                    accs.append(float(acc))
            out[f"{group}_loss"] = float(np.mean(losses))
            out[f"{group}_acc"] = float(np.mean(accs))
        out["loss"] = float(np.mean([v for k, v in out.items() if k.endswith("_loss")]))
        return out

    def tensors(self) -> dict:
        """All meta-learned tensors by name (``module.param``), as exported."""
        out = {}
        for name, m in self.modules.items():
            for k, v in m.state_dict().items():
                out[f"{name}.{k}"] = v
        for k, v in self.extra_tensors().items():
            out[k] = v
        return out

    def extra_tensors(self) -> dict:
        return {}

    def load_tensors(self, tensors: dict) -> None:
        import torch

        for name, m in self.modules.items():
            prefix = name + "."
            m.load_state_dict(
                {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}
            )
        with torch.no_grad():
            for k, v in self.extra_tensors().items():
                v.copy_(tensors[k])

    def state_dict(self) -> dict:
        return {"tensors": self.tensors(), "opt": self.opt.state_dict(), "step": self.step}

    def load_state_dict(self, state: dict) -> None:
        self.load_tensors(state["tensors"])
        self.opt.load_state_dict(state["opt"])
        self.step = int(state["step"])

    def config(self) -> dict:
        """Everything needed to rebuild the networks (written in the weights' metadata)."""
        return {"encoder": self.encoder_config.to_dict(), "params": dict(self.params)}

    def export(self) -> tuple[dict, dict]:
        meta = {"method": self.name, "config": self.config(), "arch": self.encoder_config.to_dict()}
        return {k: v.detach().clone() for k, v in self.tensors().items()}, meta

    def eval(self) -> EpisodicMethod:
        for m in self.modules.values():
            m.eval()
        return self
