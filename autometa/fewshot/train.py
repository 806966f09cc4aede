"""Episodic meta-training with checkpoints.

``python -m autometa.fewshot.train --out DIR --minutes M [--method M] [--resume]
[--export-to PATH]``

:func:`meta_train` is generic: any *method* with ``train_step(batch) -> dict``,
``evaluate(batches) -> dict`` (with a ``"loss"``), ``state_dict()``, ``load_state_dict()``
and ``export() -> (tensors, metadata)`` can be trained on a :class:`TaskSampler`
(in-context learning here; the methods of :mod:`autometa.fewshot.methods`, from MAML to
siamese networks, fill the same slots and are chosen with ``--method``).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shlex
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from autometa.fewshot.model import ArchConfig, build_model
from autometa.fewshot.preprocessing import ONEHOT_MAX_LEVELS
from autometa.fewshot.sampler import (
    IGNORE_INDEX,
    CorpusSource,
    SyntheticSource,
    TaskSampler,
    load_corpus,
)

logger = logging.getLogger(__name__)
CHECKPOINT = "checkpoint.pt"


class InContextMethod:
    """Trains :func:`build_model`'s transformer to predict query labels in context."""

    def __init__(
        self,
        arch: ArchConfig,
        *,
        lr: float = 5e-4,
        warmup: int = 300,
        weight_decay: float = 0.01,
        clip: float = 1.0,
        device: str = "cpu",
    ) -> None:
        import torch

        self.arch = arch
        self.device = device
        self.model = build_model(arch).to(device)
        self.lr, self.warmup, self.clip = lr, warmup, clip
        #: multiplier of the learning rate after warm-up, set by ``meta_train``'s ``cooldown``
        self.lr_scale = 1.0
        self.opt = torch.optim.AdamW(self.model.parameters(), lr=lr, weight_decay=weight_decay)
        self.step = 0

    def _loss(self, batch):
        import torch.nn.functional as F

        t = batch.to_torch(self.device)
        logits = self.model(t["xs"], t["ms"], t["ys"], t["xq"], t["mq"], t["n_classes"])
        flat = logits.reshape(-1, logits.shape[-1])
        target = t["yq"].reshape(-1)
        loss = F.cross_entropy(flat, target, ignore_index=IGNORE_INDEX)
        ok = target != IGNORE_INDEX
        acc = (flat.argmax(-1)[ok] == target[ok]).float().mean()
        return loss, acc

    def train_step(self, batch) -> dict:
        import torch

        self.model.train()
        for g in self.opt.param_groups:
            g["lr"] = self.lr * min(1.0, (self.step + 1) / self.warmup) * self.lr_scale
        loss, acc = self._loss(batch)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.clip)
        self.opt.step()
        self.step += 1
        return {"loss": float(loss.detach()), "acc": float(acc)}

    def evaluate(self, batches) -> dict:
        import torch

        self.model.eval()
        out: dict = {}
        with torch.inference_mode():
            for group, bs in batches.items():
                res = [self._loss(b) for b in bs]
                out[f"{group}_loss"] = float(np.mean([float(r[0]) for r in res]))
                out[f"{group}_acc"] = float(np.mean([float(r[1]) for r in res]))
        out["loss"] = float(np.mean([v for k, v in out.items() if k.endswith("_loss")]))
        return out

    def state_dict(self) -> dict:
        return {"model": self.model.state_dict(), "opt": self.opt.state_dict(), "step": self.step}

    def load_state_dict(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.opt.load_state_dict(state["opt"])
        self.step = int(state["step"])

    def export(self) -> tuple[dict, dict]:
        return dict(self.model.state_dict()), {"arch": self.arch.to_dict(), "method": "in-context"}


def _atomic_torch_save(obj, path: Path) -> None:
    import torch

    tmp = path.with_name(path.name + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def meta_train(
    method,
    sampler: TaskSampler,
    *,
    out_dir: str | Path,
    minutes: float,
    validation: dict | None = None,
    max_steps: int | None = None,
    checkpoint_every: float = 180.0,
    resume: bool = True,
    seed: int = 0,
    on_checkpoint: Callable[[dict], None] | None = None,
    cooldown: bool = False,
) -> dict:
    """Run episodic meta-training for a wall-clock budget, checkpointing as it goes.

    Parameters
    ----------
    method : object
        See the module docstring.
    sampler : TaskSampler
        Source of training batches.
    out_dir : path
        Holds ``checkpoint.pt`` (atomic writes) and ``history.jsonl``.
    minutes : float
        Wall-clock budget of this call.
    validation : dict of str to list of Batch, optional
        Fixed validation batches, evaluated at every checkpoint.
    max_steps : int, optional
        Stop after this many steps in total.
    checkpoint_every : float
        Seconds between checkpoints.
    resume : bool
        Continue from ``out_dir/checkpoint.pt`` when it exists.
    seed : int
        Seed of the episode stream (a resumed run restores the stream's state).
    on_checkpoint : callable, optional
        Called with a summary dict after every checkpoint (``is_best`` tells whether the
        validation loss improved).
    cooldown : bool
        Decay the learning rate linearly to zero over this call's ``minutes`` (the method
        must have an ``lr_scale`` attribute). A resumed cooldown starts again from the full
        rate.

    Returns
    -------
    dict
        The last summary.
    """
    import torch

    if cooldown and not hasattr(method, "lr_scale"):
        raise ValueError(
            f"cooldown needs a method with an lr_scale attribute; {type(method).__name__} has none."
        )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ckpt = out / CHECKPOINT
    rng = np.random.default_rng(seed)
    best = float("inf")
    elapsed_before = 0.0
    if resume and ckpt.is_file():
        state = torch.load(ckpt, map_location="cpu", weights_only=True)
        method.load_state_dict(state["method"])
        rng.bit_generator.state = json.loads(state["rng"])
        best = float(state["best"])
        elapsed_before = float(state["elapsed"])
        logger.info("resumed from %s at step %d", ckpt, method.step)
    start = time.monotonic()
    deadline = start + 60.0 * minutes
    last_ckpt = start
    running: list = []
    summary: dict = {}

    def checkpoint() -> dict:
        nonlocal best
        metrics = method.evaluate(validation) if validation else {}
        is_best = bool(metrics) and metrics["loss"] < best
        if is_best:
            best = metrics["loss"]
        elapsed = elapsed_before + time.monotonic() - start
        train = {k: float(np.mean([r[k] for r in running])) for k in running[0]} if running else {}
        summary = {
            "step": method.step,
            "elapsed_s": round(elapsed, 1),
            "train": train,
            "validation": metrics,
            "is_best": is_best,
            "best_loss": best,
        }
        _atomic_torch_save(
            {
                "method": method.state_dict(),
                "rng": json.dumps(rng.bit_generator.state),
                "best": best,
                "elapsed": elapsed,
            },
            ckpt,
        )
        with open(out / "history.jsonl", "a") as f:
            f.write(json.dumps(summary) + "\n")
        logger.info("checkpoint %s", json.dumps(summary))
        if on_checkpoint is not None:
            on_checkpoint(summary)
        running.clear()
        return summary

    while time.monotonic() < deadline and (max_steps is None or method.step < max_steps):
        try:
            batch = sampler.sample_batch(rng)
        except Exception:  # a task-generator bug must not end a long run; it is logged
            logger.exception("sampling a batch failed; drawing another one")
            continue
        if cooldown:
            method.lr_scale = max(0.0, (deadline - time.monotonic()) / (deadline - start))
        running.append(method.train_step(batch))
        if time.monotonic() - last_ckpt >= checkpoint_every:
            summary = checkpoint()
            last_ckpt = time.monotonic()
    return checkpoint() if running or not summary else summary


def make_validation(sampler: TaskSampler, corpus_val: list, seed: int = 12345) -> dict:
    """Fixed validation batches: synthetic tasks and validation-corpus tasks."""
    rng = np.random.default_rng(seed)
    synth = TaskSampler(
        [(SyntheticSource(sampler.max_features, sampler.max_classes), 1.0)],
        max_features=sampler.max_features,
        max_classes=sampler.max_classes,
        n_query=sampler.n_query,
        onehot_max_levels=sampler.onehot_max_levels,
    )
    out = {"synthetic": [synth.sample_batch(rng, 16, ns) for ns in (16, 48, 128)]}
    if corpus_val:
        corp = TaskSampler(
            [(CorpusSource(corpus_val, sampler.max_classes), 1.0)],
            max_features=sampler.max_features,
            max_classes=sampler.max_classes,
            n_query=sampler.n_query,
            onehot_max_levels=sampler.onehot_max_levels,
        )
        out["corpus"] = [corp.sample_batch(rng, 16, ns) for ns in (16, 48, 128)]
    return out


def _method_names() -> list:
    from autometa.fewshot.methods import METHOD_NAMES

    return list(METHOD_NAMES)


def widen_classes(state: dict, n_new: int, *, seed: int = 0, noise: float = 0.01) -> dict:
    """The in-context network's tensors with outputs for ``n_new`` classes.

    The rows of the label embedding and of the output layer for a class ``c`` beyond the old
    ones start as those of class ``c mod n_old``, plus a little noise (``noise`` times the
    tensor's standard deviation) so that the copies can part in training. Nothing else
    changes, so a task with at most ``n_old`` classes gets the same logits as before.
    """
    import torch

    gen = torch.Generator().manual_seed(seed)
    out = dict(state)
    for name in ("label_embedding.weight", "head.weight", "head.bias"):
        old = state[name]
        n_old = old.shape[0]
        if n_new < n_old:
            raise ValueError(f"Cannot narrow {name} from {n_old} to {n_new} classes.")
        new = old[torch.arange(n_new) % n_old].clone()
        new[n_old:] += noise * old.std() * torch.randn(new[n_old:].shape, generator=gen)
        out[name] = new
    return out


def _init_from(method, path: str, seed: int) -> None:
    """Start the in-context network from the weights at ``path`` (widened to its classes)."""
    from dataclasses import replace

    from autometa.fewshot.weights import load_weights

    state, _, arch = load_weights(None if path == "default" else path)
    if replace(arch, max_classes=method.arch.max_classes) != method.arch:
        raise ValueError(
            f"--init-from {path}: its architecture {arch.to_dict()} differs from the run's "
            f"{method.arch.to_dict()} in more than max_classes."
        )
    method.model.load_state_dict(widen_classes(state, method.arch.max_classes, seed=seed))


def _make_method(args):
    if args.method == "icl":
        arch = ArchConfig(max_classes=args.max_classes)
        return InContextMethod(arch, lr=5e-4 if args.lr is None else args.lr)
    from autometa.fewshot.methods import METHODS

    params = json.loads(args.method_config)
    return METHODS[args.method](seed=args.seed, lr=args.lr, **params)


def main(argv: list | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m autometa.fewshot.train", description=__doc__.splitlines()[0]
    )
    p.add_argument("--out", required=True, help="run folder (checkpoint, history)")
    p.add_argument("--minutes", type=float, required=True, help="wall-clock budget")
    p.add_argument("--resume", action="store_true", help="continue from the checkpoint")
    p.add_argument(
        "--export-to",
        default=None,
        help="also write the best weights here (a .pt path or a folder)",
    )
    p.add_argument("--corpus", default=None, help="corpus folder (manifest.csv + ARFF)")
    p.add_argument(
        "--corpus-weight",
        type=float,
        default=0.3,
        help="share of episodes drawn from the training half of the corpus",
    )
    p.add_argument("--checkpoint-every", type=float, default=180.0, help="seconds")
    p.add_argument("--max-steps", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1, help="torch threads")
    p.add_argument(
        "--lr",
        type=float,
        default=None,
        help="meta learning rate (default: 5e-4 for icl, the method's own otherwise)",
    )
    p.add_argument(
        "--cooldown",
        action="store_true",
        help="decay the learning rate linearly to zero over --minutes (every method but "
        "reptile, which has no optimiser)",
    )
    p.add_argument(
        "--method",
        default="icl",
        choices=_method_names(),
        help="icl (in-context transformer) or a meta-learning method",
    )
    p.add_argument(
        "--many-levels",
        type=float,
        default=0.0,
        help="share of the synthetic prior's categorical columns with 11 to 40 levels "
        "(the others have 2 to 10); validation tasks keep the default prior",
    )
    p.add_argument(
        "--onehot-max-levels",
        type=int,
        default=ONEHOT_MAX_LEVELS,
        help="one-hot encode categorical columns with 3 to N levels (probability 1/2, room "
        "permitting; the others are level codes); stored in the weights, which inference "
        f"follows (default {ONEHOT_MAX_LEVELS})",
    )
    p.add_argument(
        "--max-classes",
        type=int,
        default=10,
        help="outputs of the in-context network (default 10); more classes than this are "
        "read through output codes at inference",
    )
    p.add_argument(
        "--many-classes",
        type=float,
        default=0.0,
        help="share of the synthetic prior's tasks with 11 to --max-classes classes (the "
        "others have 2 to 10)",
    )
    p.add_argument(
        "--init-from",
        default=None,
        metavar="WEIGHTS",
        help="start the in-context network from these weights ('default': the shipped ones) "
        "in a new run; rows for classes beyond theirs start as copies of theirs. --resume "
        "continues from the run's checkpoint instead",
    )
    p.add_argument(
        "--method-config",
        default="{}",
        help='JSON hyperparameters of the method, e.g. \'{"loss": "triplet"}\'',
    )
    args = p.parse_args(argv)

    import torch

    from autometa.fewshot.sampler import corpus_split
    from autometa.fewshot.weights import save_weights

    torch.set_num_threads(args.threads)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if args.max_classes < 2 or (args.max_classes != 10 and args.method != "icl"):
        p.error(
            f"--max-classes must be >= 2, and 10 for --method {args.method}; got "
            f"{args.max_classes}."
        )
    if args.init_from and args.method != "icl":
        p.error("--init-from applies to --method icl only.")
    method = _make_method(args)
    if args.cooldown and not hasattr(method, "lr_scale"):
        p.error(f"--cooldown needs a method with an optimiser; {args.method} has none.")
    arch = method.arch if args.method == "icl" else method.encoder_config
    train_sets, val_sets, heldout = [], [], []
    if args.corpus:
        train_sets = load_corpus(args.corpus, "train")
        val_sets = load_corpus(args.corpus, "validation")
        import pandas as pd

        names = pd.read_csv(Path(args.corpus) / "manifest.csv")["name"]
        heldout = sorted(n for n in names if corpus_split(n) == "heldout")
    if args.init_from:
        try:
            _init_from(method, args.init_from, args.seed)
        except ValueError as exc:
            p.error(str(exc))
    synthetic = SyntheticSource(
        arch.max_features, arch.max_classes, args.many_levels, args.many_classes
    )
    sources = [(synthetic, 1.0 - args.corpus_weight)]
    if train_sets and args.corpus_weight > 0:
        sources.append((CorpusSource(train_sets, arch.max_classes), args.corpus_weight))
    tokens = {} if args.method == "icl" else {"tokens_per_batch": method.tokens_per_batch}
    if not 3 <= args.onehot_max_levels <= arch.max_features:
        p.error(
            f"--onehot-max-levels must be between 3 and {arch.max_features} (the network's "
            f"max_features); got {args.onehot_max_levels}."
        )
    sampler = TaskSampler(
        sources,
        max_features=arch.max_features,
        max_classes=arch.max_classes,
        onehot_max_levels=args.onehot_max_levels,
        **tokens,
    )
    validation = make_validation(sampler, val_sets)
    out = Path(args.out)
    export_to = args.export_to
    if export_to and args.method != "icl":
        target = Path(export_to)
        if target.is_dir() or not target.suffix:  # never the in-context model's file name
            export_to = str(target / f"{args.method}.pt")
        if Path(export_to).stem != args.method:
            p.error(
                f"--export-to for --method {args.method} must be a folder or a file named "
                f"{args.method}.pt; got {args.export_to}."
            )
    command = (
        "python -m autometa.fewshot.train "
        + " ".join(shlex.quote(a) for a in sys.argv[1:] if argv is None)
        if argv is None
        else ("python -m autometa.fewshot.train " + " ".join(shlex.quote(a) for a in argv))
    )
    data = {
        "synthetic_prior": ["mlp-scm", "tree-ensemble", "linear"],
        "synthetic_many_levels": args.many_levels,
        "synthetic_many_classes": args.many_classes,
        "init_from": args.init_from,
        "corpus_train": [d[0] for d in train_sets] if args.corpus_weight > 0 else [],
        "corpus_validation": [d[0] for d in val_sets],
        "corpus_heldout": heldout,
        "corpus_split_rule": "sha256(name) % 10: 0-4 heldout, 5-8 train, 9 validation",
    }

    def weights(summary: dict) -> tuple:
        tensors, meta = method.export()
        meta.update(
            steps=summary["step"],
            elapsed_s=summary["elapsed_s"],
            validation=summary["validation"],
            training_command=command,
            data=data,
            encoding="v1",
            onehot_max_levels=args.onehot_max_levels,
            torch_version=torch.__version__,
            created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        )
        return tensors, meta

    def export(summary: dict) -> None:
        if not summary["is_best"]:
            return
        tensors, meta = weights(summary)
        save_weights(tensors, meta, out / "best.pt")
        if export_to:
            save_weights(tensors, meta, export_to)

    summary = meta_train(
        method,
        sampler,
        out_dir=out,
        minutes=args.minutes,
        validation=validation,
        max_steps=args.max_steps,
        checkpoint_every=args.checkpoint_every,
        resume=args.resume,
        seed=args.seed,
        on_checkpoint=export,
        cooldown=args.cooldown,
    )
    # the weights at the end of the call: after a cooldown these, not the best validation
    # checkpoint of a noisy validation set, are what the run produced
    save_weights(*weights(summary), out / "final.pt")
    logger.info("done: %s", json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
