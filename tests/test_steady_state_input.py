"""Steady-state data given as files (``--steady-state``): DREAM4's own files reproduce the
bundled dataset exactly, and NODE reads them."""

from __future__ import annotations

from importlib.resources import files

import numpy as np
import pandas as pd
import pytest

from grnbench.cli import main
from grnbench.datasets import load_dataset
from grnbench.datasets.tables import load_table_dataset
from grnbench.errors import DataError


def dream4_files(folder, name="dream4-10-1"):
    ds = load_dataset(name)
    size, net = name.split("-")[1:]
    base = files("grnbench.datasets") / "data" / "dream4"
    folder.mkdir(parents=True, exist_ok=True)
    names = [f"ts{int(s)}_{int(t)}" for s, t in zip(ds.series, ds.times, strict=True)]
    pd.DataFrame(ds.expression, index=list(ds.genes), columns=names).to_csv(folder / "expr.tsv", sep="\t", index_label="gene")
    pd.DataFrame({"sample": names, "time": ds.times, "series": ds.series}).to_csv(folder / "samples.csv", index=False)
    pd.DataFrame(sorted(ds.gold_standard)).to_csv(folder / "gold.tsv", sep="\t", index=False, header=False)
    (folder / "tfs.txt").write_text("\n".join(ds.tfs) + "\n")
    steady = [str(base / f"insilico_size{size}_{net}_{kind}.tsv") for kind in ("knockouts", "knockdowns")]
    return ds, folder, steady


def test_dream4_steady_state_files_reproduce_the_bundled_dataset(tmp_path):
    bundled, folder, steady = dream4_files(tmp_path / "in")
    own = load_table_dataset(folder / "expr.tsv", folder / "gold.tsv", folder / "tfs.txt", name="own",
                             samples=folder / "samples.csv", steady_state=steady)
    np.testing.assert_array_equal(own.steady_state, bundled.steady_state)
    assert own.content_hash == bundled.content_hash
    without = load_table_dataset(folder / "expr.tsv", folder / "gold.tsv", folder / "tfs.txt", name="own",
                                 samples=folder / "samples.csv")
    assert without.steady_state is None and without.content_hash != bundled.content_hash


def test_genes_as_first_column_is_read_too(tmp_path):
    bundled, folder, steady = dream4_files(tmp_path / "in")
    transposed = tmp_path / "ko_genes_by_rows.tsv"
    pd.read_csv(steady[0], sep="\t").T.to_csv(transposed, sep="\t", index_label="gene")
    own = load_table_dataset(folder / "expr.tsv", folder / "gold.tsv", samples=folder / "samples.csv",
                             steady_state=[transposed, steady[1]])
    np.testing.assert_array_equal(own.steady_state, bundled.steady_state)


def test_a_steady_state_file_without_every_gene_is_one_line(tmp_path):
    _, folder, steady = dream4_files(tmp_path / "in")
    bad = tmp_path / "bad.tsv"
    pd.read_csv(steady[0], sep="\t").iloc[:, :-1].to_csv(bad, sep="\t", index=False)
    with pytest.raises(DataError, match="every gene"):
        load_table_dataset(folder / "expr.tsv", folder / "gold.tsv", samples=folder / "samples.csv", steady_state=[bad])


def test_node_gets_the_same_aupr_from_files_as_from_the_bundled_dataset(tmp_path):
    _, folder, steady = dream4_files(tmp_path / "in")
    common = ["run", "--quiet", "--workers", "0", "--methods", "node:n_estimators=30,learning_rate=0.1", "--folds", "0"]
    assert main([*common, "--dataset", "dream4-10-1", "--out", str(tmp_path / "bundled")]) == 0
    assert main([*common, "--expression", str(folder / "expr.tsv"), "--samples", str(folder / "samples.csv"),
                 "--gold-standard", str(folder / "gold.tsv"), "--tfs", str(folder / "tfs.txt"),
                 "--steady-state", steady[0], "--steady-state", steady[1], "--out", str(tmp_path / "own")]) == 0
    a, b = (pd.read_csv(tmp_path / d / "results.csv") for d in ("bundled", "own"))
    assert a["dataset_hash"][0] == b["dataset_hash"][0]
    assert a["aupr"][0] == b["aupr"][0]
