from __future__ import annotations

import hashlib
import json
import pickle
import shutil
from pathlib import Path

import pytest

from autometa.exceptions import PriorError
from autometa.prior import load_prior

PACKAGE = Path(__file__).resolve().parents[2] / "autometa"


@pytest.fixture
def copy(tiny_prior, tmp_path):
    dst = tmp_path / "prior"
    shutil.copytree(tiny_prior, dst)
    return dst


def _manifest(path):
    return json.loads((path / "manifest.json").read_text())


def _rewrite(path, manifest):
    (path / "manifest.json").write_text(json.dumps(manifest))


def test_missing_prior(tmp_path):
    with pytest.raises(PriorError, match="manifest.json is missing"):
        load_prior(tmp_path)


def test_truncated_manifest(copy):
    text = (copy / "manifest.json").read_text()
    (copy / "manifest.json").write_text(text[: len(text) // 2])
    with pytest.raises(PriorError, match="corrupted or truncated"):
        load_prior(copy)


def test_wrong_schema_version(copy):
    m = _manifest(copy)
    m["schema_version"] = 99
    _rewrite(copy, m)
    with pytest.raises(PriorError, match="schema version 99"):
        load_prior(copy)


def test_not_a_prior_manifest(copy):
    (copy / "manifest.json").write_text("[1, 2, 3]")
    with pytest.raises(PriorError, match="not an autometa prior"):
        load_prior(copy)


def test_missing_key(copy):
    m = _manifest(copy)
    del m["ranking"]
    _rewrite(copy, m)
    with pytest.raises(PriorError, match="'ranking' must be a dict"):
        load_prior(copy)


@pytest.mark.parametrize("name", ["evaluations.parquet", "configs.json", "metafeatures.parquet"])
def test_truncated_or_corrupted_file(copy, name):
    data = (copy / name).read_bytes()
    (copy / name).write_bytes(data[: len(data) // 2])
    with pytest.raises(PriorError, match="truncated or corrupted"):
        load_prior(copy)
    (copy / name).write_bytes(data[:10] + bytes([data[10] ^ 0xFF]) + data[11:])
    with pytest.raises(PriorError, match="truncated or corrupted"):
        load_prior(copy)


def test_missing_file(copy):
    (copy / "configs.json").unlink()
    with pytest.raises(PriorError, match="configs.json is missing"):
        load_prior(copy)


def test_file_outside_the_prior_is_refused(copy):
    m = _manifest(copy)
    m["files"]["../evil.parquet"] = {"size": 1, "sha256": "0"}
    _rewrite(copy, m)
    with pytest.raises(PriorError, match="outside the prior"):
        load_prior(copy)


class _Boom:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (Path.write_text, (Path(self.marker), "pwned"))


def test_crafted_pickle_cannot_execute_code(copy, tmp_path):
    marker = tmp_path / "marker.txt"
    payload = pickle.dumps(_Boom(str(marker)))
    m = _manifest(copy)
    for name in ["evaluations.parquet", "metafeatures.parquet"]:
        (copy / name).write_bytes(payload)  # a valid checksum: only the format stops it
        m["files"][name] = {"size": len(payload), "sha256": hashlib.sha256(payload).hexdigest()}
    _rewrite(copy, m)
    with pytest.raises(PriorError, match="could not be read"):
        load_prior(copy)
    assert not marker.exists()


def test_no_pickle_in_the_code():
    for sub in ["prior", "metatrain"]:
        for file in (PACKAGE / sub).rglob("*.py"):
            text = file.read_text()
            for word in ["import pickle", "joblib", "cloudpickle", "np.load(", "allow_pickle"]:
                assert word not in text, f"{word} in {file}"


def test_fit_costs_separate_a_fixed_cost_per_fit_from_a_cost_per_row():
    import pandas as pd

    from autometa.prior.artifact import _fit_costs

    rows = [100, 200, 400, 800, 1600]
    ev = pd.DataFrame(
        {
            "task": [f"t{n}" for n in rows] * 2,
            "config_id": ["a"] * 5 + ["b"] * 5,
            "state": "ok",
            "n_train": rows * 2,
            # a: 0.2 s per fit + 1e-4 s per row; b: its time does not grow with the rows
            "fit_time": [0.2 + 1e-4 * n for n in rows] + [0.5, 0.4, 0.5, 0.45, 0.4],
        }
    )
    costs = _fit_costs(ev)
    assert costs["a"] == pytest.approx((0.2, 1e-4))
    assert costs["b"] == (0.45, 0.0)
    # a per-row rate alone would put 16,000 rows of "a" at 16000 * median(t / n) = 9.6 s
    assert 5 * costs["a"][0] + 16_000 * costs["a"][1] == pytest.approx(2.6)
