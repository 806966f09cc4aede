"""FewShotClassifier: a meta-trained few-shot learner for tiny tables.

The default is an in-context transformer; ``method=`` selects one of the classic
meta-learning algorithms of :mod:`autometa.fewshot.methods` instead.
"""

from __future__ import annotations

import contextlib
import math
import numbers
import os

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from autometa.fewshot.preprocessing import (
    ONEHOT_MAX_LEVELS,
    TRANSFORMS,
    fit_encoding,
    make_plan,
    pad_features,
    transform_features,
)

#: Methods that average the probabilities of several learners, each with ``n_estimators``
#: members. ``"icl+fomaml"``: the in-context transformer and first-order MAML, the two
#: learners that do best alone; together they beat either (docs/fewshot.md), and
#: AutoMetaClassifier's few-shot fallback uses them.
COMBINED: dict[str, tuple[str, ...]] = {"icl+fomaml": ("icl", "fomaml")}

#: With more classes ``K`` than the network's ``g`` outputs, every member maps the classes
#: to ``g`` groups (output codes) and at least ``ECOC_FACTOR * ceil(log(K) / log(g)) + 1``
#: members are used. 4 rather than 2 (9 members rather than 5 for 11 to 100 classes):
#: +0.005 mean ROC AUC on the tiny-data tasks with more than 10 classes, both on datasets
#: seen in meta-training (where it was chosen; 7 gained 0.0007 more) and on held-out ones
#: (docs/fewshot.md, "Limits").
ECOC_FACTOR = 4


def _resolve_device(device: str) -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


#: Values of ``FewShotClassifier(precision=...)``.
PRECISIONS = ("auto", "float32", "bfloat16")


def _resolve_precision(precision: str, device: str):
    """The dtype of the in-context transformer's matrix products in ``predict_proba``
    (None: float32).

    ``"auto"`` picks bfloat16 where the hardware multiplies it natively (CPUs with AMX
    tiles, CUDA devices with bf16 support): about 2x faster on an AMX CPU, probabilities
    within a few thousandths of float32's. Elsewhere float32: without such units bfloat16
    products are converted or emulated, and no speed-up was measured there.
    """
    import torch

    if precision == "float32":
        return None
    if precision == "bfloat16":
        return torch.bfloat16
    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else None
    amx = getattr(torch.cpu, "_is_amx_tile_supported", None)  # private, absent in some builds
    return torch.bfloat16 if amx is not None and amx() else None


def _autocast(device: str, dtype):
    """``torch.autocast`` to ``dtype`` on ``device`` (nothing when dtype is None)."""
    import torch

    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device.split(":")[0], dtype=dtype)


@contextlib.contextmanager
def _torch_threads(n: int):
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class FewShotClassifier(ClassifierMixin, BaseEstimator):
    """In-context classifier for tiny tabular datasets (TabPFN-like).

    ``fit`` stores the training rows (and the network's keys and values of them);
    ``predict_proba`` feeds them, with their labels, and the new rows to a transformer
    meta-trained on many small tasks, which predicts the new rows' classes in one forward
    pass. Predictions are averaged over an ensemble of random feature orders, feature
    encodings and class-label permutations.

    Parameters
    ----------
    device : {"auto", "cpu", "cuda"} or str, default="auto"
        Torch device; ``"auto"`` uses CUDA when available.
    n_estimators : int, default=4
        Ensemble members (each a different feature order/subset, encoding and label order).
    random_state : int, RandomState instance or None, default=None
        Seeds the ensemble members.
    weights : str or path, optional
        Network weights (a ``.pt`` file with its ``.json``, or a folder); the weights shipped
        with the package when None.
    n_jobs : int, default=1
        Torch threads used by ``predict_proba`` (``-1``: all cores).
    max_support : int, default=512
        At most this many training rows are used as context per ensemble member (a
        stratified subsample, different per member). The network was meta-trained with up
        to 256 context rows.
    batch_size : int, default=2048
        Query rows per forward pass.
    precision : {"auto", "float32", "bfloat16"}, default="auto"
        Precision of the in-context transformer's matrix products in ``predict_proba``
        (the support rows' keys and values, layer norms, softmaxes, the residual stream and
        the output layer stay float32). ``"auto"``: bfloat16 on hardware that multiplies
        it natively (CPUs with AMX, e.g. Intel Xeon since Sapphire Rapids; CUDA GPUs with
        bf16), where prediction is about twice as fast and probabilities differ from
        float32's by a few thousandths; float32 elsewhere. The other methods always run in
        float32.
    method : str, default="icl"
        ``"icl"``: the in-context transformer. ``"maml"``, ``"fomaml"``, ``"reptile"``
        (adapt the network by gradient steps on the training rows at fit time),
        ``"protonet"``, ``"relation"``, ``"siamese"`` (compare embeddings of the new rows
        with those of the training rows); see docs/fewshot.md. Methods whose weights do
        not ship with the package need ``weights=``; fit raises
        :class:`~autometa.fewshot.FewShotWeightsError` naming the training command.
        ``"icl+fomaml"``: the average of the in-context transformer's and first-order MAML's
        probabilities (``weights`` is then None or ``{"icl": path, "fomaml": path}``); the
        best of all on the tiny-data benchmark, and what AutoMetaClassifier's few-shot
        fallback uses.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    n_features_in_ : int
    feature_names_in_ : ndarray of str, only when fitted on a DataFrame with string names
    metadata_ : dict
        Metadata of the weights used (training steps, data, architecture).

    Notes
    -----
    The network handles up to ``max_features`` (100) encoded features and ``max_classes``
    (10) classes. With more features, every ensemble member sees a different random subset
    of them; with more classes, every member sees a random grouping of the classes into at
    most 10 groups (output codes), and class scores combine the members' group
    log-probabilities.
    """

    def __init__(
        self,
        device="auto",
        n_estimators=4,
        random_state=None,
        weights=None,
        n_jobs=1,
        max_support=512,
        batch_size=2048,
        method="icl",
        precision="auto",
    ) -> None:
        self.device = device
        self.n_estimators = n_estimators
        self.random_state = random_state
        self.weights = weights
        self.n_jobs = n_jobs
        self.max_support = max_support
        self.batch_size = batch_size
        self.method = method
        self.precision = precision

    # --- validation -----------------------------------------------------------------
    def _check_params(self) -> None:
        def positive_int(name: str, minimum: int) -> None:
            v = getattr(self, name)
            if not isinstance(v, numbers.Integral) or isinstance(v, bool) or v < minimum:
                raise ValueError(
                    f"The '{name}' parameter of FewShotClassifier must be an int >= {minimum}. "
                    f"Got {v!r} instead."
                )

        positive_int("n_estimators", 1)
        positive_int("max_support", 2)
        positive_int("batch_size", 1)
        from autometa.fewshot.methods import METHOD_NAMES

        names = (*METHOD_NAMES, *COMBINED)
        if not isinstance(self.method, str) or self.method not in names:
            raise ValueError(
                f"The 'method' parameter of FewShotClassifier must be one of "
                f"{', '.join(map(repr, names))}. Got {self.method!r} instead."
            )
        if self.method in COMBINED and not (
            self.weights is None
            or (isinstance(self.weights, dict) and set(self.weights) <= set(COMBINED[self.method]))
        ):
            raise ValueError(
                f"The 'weights' parameter of FewShotClassifier with method={self.method!r} must "
                f"be None (the shipped weights) or a dict with keys among "
                f"{list(COMBINED[self.method])}. Got {self.weights!r} instead."
            )
        if not (
            self.n_jobs is None
            or self.n_jobs == -1
            or (isinstance(self.n_jobs, numbers.Integral) and self.n_jobs >= 1)
        ):
            raise ValueError(
                "The 'n_jobs' parameter of FewShotClassifier must be an int >= 1, "
                f"-1 or None. Got {self.n_jobs!r} instead."
            )
        if not isinstance(self.precision, str) or self.precision not in PRECISIONS:
            raise ValueError(
                f"The 'precision' parameter of FewShotClassifier must be one of "
                f"{', '.join(map(repr, PRECISIONS))}. Got {self.precision!r} instead."
            )
        if not isinstance(self.device, str) or not (
            self.device in ("auto", "cpu") or self.device.startswith("cuda")
        ):
            raise ValueError(
                "The 'device' parameter of FewShotClassifier must be 'auto', "
                f"'cpu' or 'cuda[:N]'. Got {self.device!r} instead."
            )

    def _n_threads(self) -> int:
        if self.n_jobs is None:
            return 1
        return os.cpu_count() or 1 if self.n_jobs == -1 else int(self.n_jobs)

    # --- input conversion -----------------------------------------------------------
    @staticmethod
    def _mixed(X) -> bool:
        return isinstance(X, pd.DataFrame) and not all(
            pd.api.types.is_numeric_dtype(t)
            and not isinstance(t, pd.CategoricalDtype)
            and not pd.api.types.is_bool_dtype(t)
            for t in X.dtypes
        )

    def _matrix(self, X, *, fitting: bool):
        """Float matrix with categorical columns as codes; (values, is_cat, n_levels)."""
        custom = self._mixed(X) if fitting else any(c is not None for c in self._categories)
        if custom and not isinstance(X, pd.DataFrame):
            raise ValueError(
                "FewShotClassifier was fitted on a DataFrame with categorical columns; X "
                f"must be a DataFrame with the same columns. Got {type(X).__name__} instead."
            )
        if not custom:
            x = validate_data(
                self, X, reset=fitting, ensure_all_finite="allow-nan", dtype=np.float64
            )
            if fitting:
                self._categories = [None] * x.shape[1]
            p = x.shape[1]
            return x, np.zeros(p, bool), np.zeros(p, np.int64)
        validate_data(self, X, reset=fitting, skip_check_array=True)
        if fitting:
            cats = []
            for name in X.columns:
                col = X[name]
                if isinstance(col.dtype, pd.CategoricalDtype):
                    cats.append(list(col.cat.categories))
                elif pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(
                    col.dtype
                ):
                    cats.append(None)
                else:
                    cats.append(sorted(col.dropna().astype(str).unique()))
            self._categories = cats
        elif len(self._categories) != X.shape[1]:
            raise ValueError(
                f"X has {X.shape[1]} features, but FewShotClassifier is expecting "
                f"{len(self._categories)} features as input."
            )
        n, p = X.shape
        values = np.empty((n, p), dtype=np.float64)
        is_cat = np.zeros(p, dtype=bool)
        n_levels = np.zeros(p, dtype=np.int64)
        for j, (name, cats) in enumerate(zip(X.columns, self._categories, strict=True)):
            col = X[name]
            if cats is None:
                values[:, j] = pd.to_numeric(col, errors="coerce").to_numpy(
                    dtype=np.float64, na_value=np.nan
                )
                continue
            if not isinstance(col.dtype, pd.CategoricalDtype):
                col = col.astype("object").where(col.isna(), col.astype(str))
            col = col.astype("object").where(col.isin(cats))  # unseen levels -> missing
            codes = pd.Categorical(col, categories=cats).codes.astype(np.float64)
            codes[codes < 0] = np.nan
            values[:, j], is_cat[j], n_levels[j] = codes, True, len(cats)
        return values, is_cat, n_levels

    # --- fit / predict --------------------------------------------------------------
    def fit(self, X, y):
        """Store the training rows as the context of the network.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Numeric, or a DataFrame with categorical/object columns; NaN allowed.
        y : array-like of shape (n_samples,)

        Returns
        -------
        self
        """
        self._check_params()
        if self.method in COMBINED:
            return self._fit_combined(X, y)
        if self._mixed(X):
            x, is_cat, n_levels = self._matrix(X, fitting=True)
            y = column_or_1d(y, warn=True)
            check_consistent_length(x, y)
        else:
            x, y = validate_data(self, X, y, ensure_all_finite="allow-nan", dtype=np.float64)
            self._categories = [None] * x.shape[1]
            is_cat, n_levels = np.zeros(x.shape[1], bool), np.zeros(x.shape[1], np.int64)
        check_classification_targets(y)
        self.classes_, y_enc = np.unique(y, return_inverse=True)
        if self.method != "icl":
            from autometa.fewshot.methods import load_method

            self._learner = load_method(self.method, self.weights, _resolve_device(self.device))
            self.metadata_, self._arch = self._learner.metadata, self._learner.encoder_config
            self._state = self._model = None
        else:
            from autometa.fewshot.weights import load_weights

            self._state, self.metadata_, self._arch = load_weights(self.weights)
            self._model = None
            self._learner = None
            self._get_model(_resolve_device(self.device))
        self._support_kv = None
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        rng = np.random.default_rng(seed)
        self.support_x_, self.support_y_ = x, y_enc.astype(np.int64)
        self.is_categorical_, self.n_levels_ = is_cat, n_levels
        k = len(self.classes_)
        g = min(k, self._arch.max_classes)
        n_members = self.n_estimators
        if k > self._arch.max_classes:  # enough codebooks to tell every class apart
            n_members = max(n_members, ECOC_FACTOR * math.ceil(math.log(k) / math.log(g)) + 1)
        # the encoding the weights were meta-trained with (weights older than the option: 5)
        onehot_max_levels = int(self.metadata_.get("onehot_max_levels", ONEHOT_MAX_LEVELS))
        members = []
        for e in range(n_members):
            plan = make_plan(
                is_cat,
                n_levels,
                rng,
                max_features=self._arch.max_features,
                transform=TRANSFORMS[e % len(TRANSFORMS)],
                onehot_max_levels=onehot_max_levels,
            )
            code = rng.permutation(np.arange(k) % g)  # class -> network label (0..g-1)
            rows = self._subsample(y_enc, rng)
            encoding = fit_encoding(x[rows], plan, n_levels)
            members.append({"plan": plan, "code": code, "rows": rows, "encoding": encoding})
        self.members_ = members
        with _torch_threads(self._n_threads()):
            if self.method == "icl":
                self._support_cache(_resolve_device(self.device))
            else:
                for m in members:
                    m["support"] = self._fit_support(m, x, y_enc, g)
        return self

    def _fit_combined(self, X, y) -> FewShotClassifier:
        """Fit one classifier per part of a combined method; predictions average them."""
        weights = self.weights or {}
        params = self.get_params()
        self.parts_ = []
        for name in COMBINED[self.method]:
            part = FewShotClassifier(**{**params, "method": name, "weights": weights.get(name)})
            self.parts_.append(part.fit(X, y))
        first = self.parts_[0]
        self.classes_, self.n_features_in_ = first.classes_, first.n_features_in_
        if hasattr(first, "feature_names_in_"):
            self.feature_names_in_ = first.feature_names_in_
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        self.metadata_ = {
            "method": self.method,
            "parts": {
                n: p.metadata_ for n, p in zip(COMBINED[self.method], self.parts_, strict=True)
            },
        }
        self.members_ = [m for p in self.parts_ for m in p.members_]
        return self

    def _encode(self, m: dict, x: np.ndarray, width: int | None = None):
        """Rows encoded with a member's support statistics, padded (see pad_features)."""
        return pad_features(*transform_features(m["encoding"], x), self._arch.max_features, width)

    def _fit_support(self, m: dict, x: np.ndarray, y: np.ndarray, g: int):
        """A meta-learning method adapts to (or summarises) one member's support rows."""
        ps, pms = self._encode(m, x[m["rows"]])
        return self._learner.fit_support(ps, pms, m["code"][y[m["rows"]]], g)

    def _member_logp(self, xq: np.ndarray) -> list:
        """Log-probabilities (n, g) of every member of a meta-learning method."""
        out = []
        for m in self.members_:
            width = m["encoding"].n_used if self._learner.narrow_queries else None
            logp = self._learner.predict_query(m["support"], *self._encode(m, xq, width))
            out.append(np.maximum(logp, -50.0))
        return out

    def _subsample(self, y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        n = len(y)
        if n <= self.max_support:
            return np.arange(n)
        rows = []
        for c in np.unique(y):  # stratified, at least one row per class
            idx = np.flatnonzero(y == c)
            take = max(1, int(round(self.max_support * len(idx) / n)))
            rows.append(rng.choice(idx, size=min(take, len(idx)), replace=False))
        return np.sort(np.concatenate(rows))

    def _get_model(self, device: str):
        if self._model is None or self._model[0] != device:
            from autometa.fewshot.model import build_model

            model = build_model(self._arch)
            model.load_state_dict(self._state)
            self._model = (device, model.to(device).eval())
        return self._model[1]

    def _support_cache(self, device: str) -> list:
        """Members grouped by support size, with the network's keys and values of their rows.

        The in-context network's support rows attend to support rows only, so their keys
        and values at every layer are computed once, at fit (again after unpickling, or
        on another device).
        """
        if self._support_kv is None or self._support_kv[0] != device:
            import torch

            model = self._get_model(device)
            by_size: dict = {}
            for m in self.members_:
                by_size.setdefault(len(m["rows"]), []).append(m)
            groups = []
            for group in by_size.values():
                width = max(m["encoding"].n_used for m in group)
                xs, ms = zip(
                    *(self._encode(m, self.support_x_[m["rows"]], width) for m in group),
                    strict=True,
                )
                ys = [m["code"][self.support_y_[m["rows"]]] for m in group]
                xs, ms, ys = (torch.as_tensor(np.stack(a), device=device) for a in (xs, ms, ys))
                with torch.inference_mode():
                    groups.append((group, model.support_cache(xs, ms, ys)))
            self._support_kv = (device, groups)
        return self._support_kv[1]

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_model"] = state["_support_kv"] = None
        return state

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities of the rows of X.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self, "members_")
        if self.method in COMBINED:
            return np.mean([p.predict_proba(X) for p in self.parts_], axis=0)
        xq, _, _ = self._matrix(X, fitting=False)
        k = len(self.classes_)
        if k == 1:
            return np.ones((xq.shape[0], 1))
        import torch

        device = _resolve_device(self.device)
        g = min(k, self._arch.max_classes)
        scores = np.zeros((xq.shape[0], k))
        dtype = _resolve_precision(self.precision, device)  # used by the in-context path only
        with _torch_threads(self._n_threads()), torch.inference_mode():
            groups = None if self.method != "icl" else self._support_cache(device)
            for start in range(0, xq.shape[0], self.batch_size):
                chunk = xq[start : start + self.batch_size]
                if groups is None:
                    logps = zip(self.members_, self._member_logp(chunk), strict=True)
                else:
                    with _autocast(device, dtype):
                        logps = self._icl_logp(groups, chunk, g, device)
                for m, lp in logps:
                    part = lp[:, m["code"]]
                    scores[start : start + len(chunk)] += np.exp(part) if k <= g else part
        return self._combine(scores, k, g)

    def _icl_logp(self, groups: list, xq: np.ndarray, g: int, device: str) -> list:
        """(member, log-probabilities (n, g)) of the in-context network's members; the
        members sharing a support size go through the network in one pass."""
        import torch

        model = self._get_model(device)
        out = []
        for members, cache in groups:
            width = max(m["encoding"].n_used for m in members)
            vq, mq = zip(*(self._encode(m, xq, width) for m in members), strict=True)
            vq, mq = (torch.as_tensor(np.stack(a), device=device) for a in (vq, mq))
            logits = model.forward_query(cache, vq, mq, g)
            logp = torch.log_softmax(logits[..., :g].float(), -1).cpu().numpy()
            out += zip(members, logp, strict=True)
        return out

    def _combine(self, scores: np.ndarray, k: int, g: int) -> np.ndarray:
        if k <= g:
            proba = scores / len(self.members_)
        else:
            proba = np.exp(scores - scores.max(axis=1, keepdims=True))
        return proba / proba.sum(axis=1, keepdims=True)

    def predict(self, X) -> np.ndarray:
        """Most probable class of each row of X."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        return tags
