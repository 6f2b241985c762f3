"""AnnData ``.h5ad`` input: samples × genes transposed, obs columns for time and series, layers,
sparse X. The shipped example was written by anndata 0.12.19; files written live by anndata
are tested where anndata is installed (grnbench itself reads them with h5py only)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from grnbench.cli import main
from grnbench.datasets.samples import ObsKeys
from grnbench.datasets.tables import load_table_dataset
from grnbench.errors import DataError

EXAMPLES = Path(__file__).parent / "data" / "inputs"
H5AD = EXAMPLES / "timecourse.h5ad"
REP = EXAMPLES / "replicates"


def series_blocks(ds) -> list[np.ndarray]:
    """Each series' columns (in time order); datasets hold series in content order."""
    return [ds.expression[:, ds.series == s] for s in np.unique(ds.series)]


def same_series(a: list[np.ndarray], b: list[np.ndarray], compare=np.array_equal) -> bool:
    """``a`` and ``b`` hold the same series, in any order."""
    return len(a) == len(b) and all(any(compare(x, y) for y in b) for x in a)


def test_shipped_h5ad_equals_the_same_numbers_given_as_a_table_and_sheet():
    from_h5ad = load_table_dataset(H5AD, REP / "gold.tsv", REP / "tfs.txt", name="x")
    from_table = load_table_dataset(REP / "expression.tsv", REP / "gold.tsv", REP / "tfs.txt", name="x",
                                    samples=REP / "samples.csv")
    assert from_h5ad.genes == from_table.genes  # var names; samples × genes was transposed
    assert from_h5ad.series.tolist() == [0] * 10 + [1] * 10
    np.testing.assert_array_equal(from_h5ad.expression, from_table.expression)
    assert from_h5ad.content_hash == from_table.content_hash


def test_layer_is_read_instead_of_x():
    ds = load_table_dataset(H5AD, REP / "gold.tsv", REP / "tfs.txt", obs_keys=ObsKeys(layer="raw"))
    base = load_table_dataset(H5AD, REP / "gold.tsv", REP / "tfs.txt")
    assert same_series(series_blocks(ds), [np.round(np.exp(b)) for b in series_blocks(base)], np.allclose)


def test_unknown_layer_lists_the_layers():
    with pytest.raises(DataError, match="no layer 'counts'; layers: raw"):
        load_table_dataset(H5AD, REP / "gold.tsv", obs_keys=ObsKeys(layer="counts"))


def test_missing_time_column_names_the_obs_columns_and_the_options():
    with pytest.raises(DataError, match="no time column 'pseudotime'.*obs columns: series, time.*--time-key"):
        load_table_dataset(H5AD, REP / "gold.tsv", obs_keys=ObsKeys(time="pseudotime"))


def test_sample_sheet_keyed_by_obs_names_replaces_obs_columns(tmp_path):
    names = [f"rep{s}_t{t}" for s in (1, 2) for t in range(0, 100, 10)]
    sheet = tmp_path / "s.csv"
    # one series per replicate, but reversed time: the order must follow the sheet's times
    pd.DataFrame({"sample": names, "time": [90 - t for t in range(0, 100, 10)] * 2,
                  "series": ["a"] * 10 + ["b"] * 10}).to_csv(sheet, index=False)
    ds = load_table_dataset(H5AD, REP / "gold.tsv", samples=sheet)
    base = load_table_dataset(H5AD, REP / "gold.tsv")
    base_blocks = series_blocks(base)
    assert same_series(series_blocks(ds), [b[:, ::-1] for b in base_blocks])


def test_h5ad_runs_through_the_cli(tmp_path):
    code = main(["run", "--quiet", "--workers", "0", "--methods", "correlation", "--expression", str(H5AD),
                 "--gold-standard", str(REP / "gold.tsv"), "--out", str(tmp_path / "run")])
    assert code == 0
    assert (tmp_path / "run" / "results.csv").is_file()


def test_h5ad_options_on_a_table_are_one_line(tmp_path, capsys):
    code = main(["run", "--quiet", "--expression", str(REP / "expression.tsv"), "--gold-standard",
                 str(REP / "gold.tsv"), "--layer", "raw"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in err and "--layer applies only to an .h5ad" in err


def test_not_an_hdf5_file_is_one_line(tmp_path):
    bad = tmp_path / "bad.h5ad"
    bad.write_text("hello")
    with pytest.raises(DataError, match="bad.h5ad: not an HDF5"):
        load_table_dataset(bad, REP / "gold.tsv")


@pytest.fixture
def anndata():
    module = pytest.importorskip("anndata")
    module.settings.allow_write_nullable_strings = True  # pandas 3 strings
    return module


def _write(anndata, path, x, obs, genes, **layers):
    adata = anndata.AnnData(X=x, obs=obs, var=pd.DataFrame(index=genes))
    for key, value in layers.items():
        adata.layers[key] = value
    adata.write_h5ad(path)
    return path


def test_live_anndata_dense_x_with_integer_times_and_string_series(tmp_path, anndata):
    genes = ["A", "B", "C", "D", "E", "F"]
    rng = np.random.default_rng(0)
    x = rng.random((6, 6))
    obs = pd.DataFrame({"hours": [4, 0, 2, 0, 2, 4], "donor": ["d1", "d1", "d1", "d2", "d2", "d2"]},
                       index=[f"s{k}" for k in range(6)])
    path = _write(anndata, tmp_path / "a.h5ad", x, obs, genes)
    gold = tmp_path / "g.tsv"
    gold.write_text("A\tB\t1\nA\tC\t1\n")
    ds = load_table_dataset(path, gold, obs_keys=ObsKeys(time="hours", series="donor"))
    assert ds.times.tolist() == [0, 2, 4, 0, 2, 4]
    # series are stored in the dataset's canonical (content) order, so find each sample's column
    column = {k: next(j for j in range(6) if np.array_equal(ds.expression[:, j], x[k])) for k in range(6)}
    assert [ds.times[column[k]] for k in range(6)] == obs["hours"].tolist()
    assert len({ds.series[column[k]] for k in (0, 1, 2)}) == len({ds.series[column[k]] for k in (3, 4, 5)}) == 1
    assert ds.series[column[0]] != ds.series[column[3]]


def test_live_anndata_sparse_csc_x_is_densified(tmp_path, anndata):
    import scipy.sparse as sp

    genes = ["A", "B", "C"]
    dense = np.array([[0, 1, 2], [3, 0, 0], [0, 0, 5], [1, 1, 1]], dtype=float)
    obs = pd.DataFrame({"time": [0.0, 1.0, 2.0, 3.0]}, index=list("pqrs"))
    path = _write(anndata, tmp_path / "s.h5ad", sp.csc_matrix(dense), obs, genes)
    gold = tmp_path / "g.tsv"
    gold.write_text("A\tB\t1\n")
    ds = load_table_dataset(path, gold)
    np.testing.assert_array_equal(ds.expression, dense.T)


def test_live_anndata_replicates_without_series_column_are_refused(tmp_path, anndata):
    obs = pd.DataFrame({"time": [0.0, 1.0, 0.0, 1.0]}, index=list("pqrs"))
    path = _write(anndata, tmp_path / "r.h5ad", np.ones((4, 2)), obs, ["A", "B"])
    gold = tmp_path / "g.tsv"
    gold.write_text("A\tB\t1\n")
    with pytest.raises(DataError, match="two samples at time 0.*own series"):
        load_table_dataset(path, gold)


def test_pandas2_style_encoding_with_csr_x_is_read(tmp_path):
    """anndata under pandas 2 writes indexes as plain ``string-array`` datasets; built by hand here."""
    import h5py

    path = tmp_path / "p2.h5ad"
    dense = np.array([[1.0, 0.0, 2.0], [0.0, 3.0, 0.0], [4.0, 0.0, 5.0]])  # obs × var
    strings = h5py.string_dtype()
    with h5py.File(path, "w") as h5:
        h5.attrs.update({"encoding-type": "anndata", "encoding-version": "0.1.0"})
        x = h5.create_group("X")
        x.attrs.update({"encoding-type": "csr_matrix", "encoding-version": "0.1.0", "shape": [3, 3]})
        x["data"], x["indices"], x["indptr"] = [1.0, 2.0, 3.0, 4.0, 5.0], [0, 2, 1, 0, 2], [0, 2, 3, 5]
        for name, index, columns in (("obs", ["s2", "s0", "s1"], {"time": [2.0, 0.0, 1.0]}),
                                     ("var", ["A", "B", "C"], {})):
            group = h5.create_group(name)
            group.attrs.update({"encoding-type": "dataframe", "encoding-version": "0.2.0", "_index": "_index",
                                "column-order": list(columns)})
            group.create_dataset("_index", data=index, dtype=strings).attrs["encoding-type"] = "string-array"
            for key, values in columns.items():
                group[key] = values
    gold = tmp_path / "g.tsv"
    gold.write_text("A\tB\t1\n")
    ds = load_table_dataset(path, gold)
    assert ds.times.tolist() == [0.0, 1.0, 2.0]
    np.testing.assert_array_equal(ds.expression, dense[[1, 2, 0]].T)  # s0, s1, s2 in time order
