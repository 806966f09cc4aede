"""Property-based: any table either fits, or fails with a clear ValueError/TypeError."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autometa import AutoMetaClassifier

COLUMN_KINDS = ["float", "int", "nullable_int", "bool", "str", "category", "object_mixed"]


@st.composite
def tables(draw):
    n = draw(st.integers(0, 40))
    d = draw(st.integers(0, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    cols = {}
    for j in range(d):
        kind = draw(st.sampled_from(COLUMN_KINDS))
        if kind == "float":
            v = rng.normal(size=n)
            if n and draw(st.booleans()):
                v[rng.integers(n)] = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
            col = pd.Series(v)
        elif kind == "int":
            col = pd.Series(rng.integers(-3, 3, n))
        elif kind == "nullable_int":
            col = pd.Series(pd.array(rng.integers(0, 3, n), dtype="Int64"))
            if n:
                col[0] = pd.NA
        elif kind == "bool":
            col = pd.Series(rng.random(n) > 0.5)
        elif kind == "str":
            col = pd.Series(rng.choice(["a", "b", "c"], n)).astype(object)
            if n and draw(st.booleans()):
                col[0] = None
        elif kind == "category":
            col = pd.Series(pd.Categorical(rng.choice(["x", "y"], n)))
        else:
            col = pd.Series(
                [draw(st.sampled_from(["s", 1, 2.5, None])) for _ in range(n)], dtype=object
            )
        cols[f"c{j}"] = col
    X = pd.DataFrame(cols, index=range(n)) if d else np.empty((n, 0))
    label_kind = draw(st.sampled_from(["int", "str", "bool", "float_nan", "single"]))
    if label_kind == "int":
        y = rng.integers(0, 3, n)
    elif label_kind == "str":
        y = rng.choice(["p", "q"], n).astype(object)
    elif label_kind == "bool":
        y = rng.random(n) > 0.5
    elif label_kind == "float_nan":
        y = rng.integers(0, 2, n).astype(float)
        if n:
            y[0] = np.nan
    else:
        y = np.zeros(n, dtype=int)
    return X, y


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_fit_gives_a_model_or_a_clear_error(data):
    X, y = data
    clf = AutoMetaClassifier(
        time_budget=30,
        n_trials=1,
        cv=2,
        prior=None,
        random_state=0,
        fewshot=False,
        isolation="none",
        families=["logistic_regression"],
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            clf.fit(X, y)
    except (ValueError, TypeError) as exc:
        message = str(exc)
        assert len(message) > 20, message
        assert "Traceback" not in message
        return
    proba = clf.predict_proba(X)
    assert proba.shape == (len(y), len(clf.classes_))
    assert np.isfinite(proba).all()
