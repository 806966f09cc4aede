from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from autometa.data import TableEncoder, load_dataset, read_table


def test_every_corpus_file_loads(datasets_dir, manifest):
    for row in manifest.itertuples():
        X, y = load_dataset(datasets_dir / row.file, row.target)
        assert X.shape == (row.n_rows, row.n_features), row.name
        assert y.nunique() == row.n_classes, row.name


def test_weka_integer_range_attributes_are_numeric(datasets_dir):
    text = (datasets_dir / "uci/breast.w.arff").read_text(errors="replace")
    assert "integer [1,10]" in text  # the syntax liac-arff rejects on its own
    X, _ = load_dataset(datasets_dir / "uci/breast.w.arff", "Class")
    assert X["Clump_Thickness"].dtype == np.float64
    assert X["Clump_Thickness"].between(1, 10).all()


def test_nominal_attributes_are_categorical_with_missing(datasets_dir):
    X, _ = load_dataset(datasets_dir / "uci/colic.arff", "surgical_lesion")
    cats = [c for c in X.columns if isinstance(X[c].dtype, pd.CategoricalDtype)]
    assert cats and X.isna().any().any()


def test_csv_and_parquet_round_trip(tmp_path):
    frame = pd.DataFrame({"a": [1.0, 2.0, np.nan], "b": ["x", "y", "x"], "t": ["p", "q", "p"]})
    frame.to_csv(tmp_path / "d.csv", index=False)
    frame.to_parquet(tmp_path / "d.parquet")
    for name in ("d.csv", "d.parquet"):
        X, y = load_dataset(tmp_path / name, "t")
        assert list(X.columns) == ["a", "b"] and list(y) == ["p", "q", "p"]


def test_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="No such data file"):
        read_table(tmp_path / "missing.csv")
    (tmp_path / "d.xlsx").write_text("x")
    with pytest.raises(ValueError, match="expected a .csv"):
        read_table(tmp_path / "d.xlsx")
    (tmp_path / "bad.arff").write_text("@relation r\n@attribute a numeric\n@data\nnot,a,row\n")
    with pytest.raises(ValueError, match="bad.arff"):
        read_table(tmp_path / "bad.arff")
    pd.DataFrame({"a": [1]}).to_csv(tmp_path / "one.csv", index=False)
    with pytest.raises(ValueError, match="Target column 'zz' is not in"):
        load_dataset(tmp_path / "one.csv", "zz")


def test_table_encoder_types_and_unseen_categories():
    X = pd.DataFrame(
        {
            "n": pd.array([1, None, 3], dtype="Int64"),
            "b": [True, False, True],
            "s": pd.Series(["a", None, "b"], dtype="string"),
            "o": np.array([1.5, None, 2.0], dtype=object),
        }
    )
    enc = TableEncoder().fit(X)
    out = enc.transform(X)
    assert out["n"].dtype == np.float64 and np.isnan(out["n"][1])
    assert out["b"].dtype == np.float64
    assert out["o"].dtype == np.float64
    assert isinstance(out["s"].dtype, pd.CategoricalDtype)
    new = enc.transform(X.assign(s=pd.Series(["zzz", "a", None], dtype="string")))
    assert new["s"].isna().tolist() == [True, False, True]


def test_numpy_object_array_with_strings():
    X = np.array([["a", 1.0], ["b", 2.0], ["a", np.nan]], dtype=object)
    out = TableEncoder().fit_transform(X)
    assert list(out.columns) == ["x0", "x1"]
    assert isinstance(out["x0"].dtype, pd.CategoricalDtype) and out["x1"].dtype == np.float64


def test_gzipped_arff_loads_like_the_plain_file(tmp_path):
    import gzip
    from pathlib import Path

    import autometa

    plain = Path(autometa.__file__).parent / "datasets" / "credit-a.arff"
    packed = tmp_path / "credit-a.arff.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    X1, y1 = load_dataset(plain)
    X2, y2 = load_dataset(packed)
    pd.testing.assert_frame_equal(X1, X2)
    pd.testing.assert_series_equal(y1, y2)


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_csv_delimiter_is_sniffed(tmp_path, sep):
    frame = pd.DataFrame({"a": [1.5, 2.5, 3.5], "b": ["x", "y", "x"], "label": [0, 1, 0]})
    frame.to_csv(tmp_path / "d.csv", sep=sep, index=False)
    pd.testing.assert_frame_equal(read_table(tmp_path / "d.csv"), frame)
