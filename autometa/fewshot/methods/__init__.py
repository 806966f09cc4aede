"""Classic meta-learning algorithms as few-shot learners on tabular tasks.

Every method is an :class:`EpisodicMethod`: trained by
:func:`autometa.fewshot.train.meta_train` on episodes of a
:class:`~autometa.fewshot.TaskSampler`, used through
``FewShotClassifier(method=name)``. All share the row encoder of
:mod:`autometa.fewshot.methods.encoder`.

========== ==========================================================================
name       method
========== ==========================================================================
maml       MAML, second order (Finn et al., 2017), meta-learned inner learning rates
fomaml     first-order MAML (Finn et al., 2017)
reptile    Reptile (Nichol et al., 2018)
protonet   prototypical networks (Snell et al., 2017)
relation   relation networks (Sung et al., 2018)
siamese    siamese networks, contrastive or triplet loss (Koch et al., 2015)
========== ==========================================================================
"""

from __future__ import annotations

from autometa.fewshot.methods.base import EpisodicMethod
from autometa.fewshot.methods.encoder import EncoderConfig
from autometa.fewshot.methods.io import default_weights, load_method, training_command
from autometa.fewshot.methods.maml import FOMAML, MAML
from autometa.fewshot.methods.protonet import ProtoNet
from autometa.fewshot.methods.relation import RelationNet
from autometa.fewshot.methods.reptile import Reptile
from autometa.fewshot.methods.siamese import SiameseNet

#: method name -> class (the in-context model, "icl", is not an EpisodicMethod)
METHODS: dict = {
    cls.name: cls for cls in (MAML, FOMAML, Reptile, ProtoNet, RelationNet, SiameseNet)
}
#: every value of ``FewShotClassifier(method=...)``
METHOD_NAMES: tuple = ("icl", *METHODS)

__all__ = [
    "EncoderConfig",
    "EpisodicMethod",
    "FOMAML",
    "MAML",
    "METHODS",
    "METHOD_NAMES",
    "ProtoNet",
    "RelationNet",
    "Reptile",
    "SiameseNet",
    "default_weights",
    "load_method",
    "training_command",
]
