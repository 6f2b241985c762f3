"""BEELINE input folders in, BEELINE ``rankedEdges.csv`` out: a round trip through ``grnbench run``."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from grnbench.cli import main
from grnbench.datasets.beeline import load_beeline_dir, write_ranked_edges
from grnbench.errors import DataError

BEELINE = Path(__file__).parent / "data" / "inputs" / "beeline"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return Path(shutil.copytree(BEELINE, tmp_path / "bee"))


def test_each_pseudotime_column_is_a_series_and_shared_cells_are_in_both():
    ds = load_beeline_dir(BEELINE)
    blocks = ds.series_blocks()
    assert [len(b) for b in blocks] == [14, 14]  # 6 shared early cells + 8 on each branch
    for block in blocks:
        assert np.all(np.diff(ds.times[block]) > 0)
    cells = pd.read_csv(BEELINE / "ExpressionData.csv", index_col=0)
    np.testing.assert_array_equal(ds.expression[:, blocks[0][:6]], ds.expression[:, blocks[1][:6]])
    np.testing.assert_array_equal(ds.expression[:, blocks[1][6:]], cells.iloc[:, 14:22].to_numpy())
    assert ("TF1", "g1") in ds.gold_standard and len(ds.gold_standard) == 10  # header Gene1,Gene2,Type


def test_cell_without_any_pseudotime_is_one_line(folder):
    pt = (folder / "PseudoTime.csv").read_text().replace("c22,NA,13.0", "c22,NA,NA")
    (folder / "PseudoTime.csv").write_text(pt)
    with pytest.raises(DataError, match="1 cell.*no pseudotime in any column, e.g. c22"):
        load_beeline_dir(folder)


def test_pseudotime_cell_missing_from_expression_is_one_line(folder):
    with (folder / "PseudoTime.csv").open("a") as fh:
        fh.write("c99,3.0,NA\n")
    with pytest.raises(DataError, match="not columns of ExpressionData.csv, e.g. c99"):
        load_beeline_dir(folder)


def test_missing_file_in_folder_is_one_line(folder, capsys):
    (folder / "refNetwork.csv").unlink()
    code = main(["run", "--quiet", "--beeline-dir", str(folder)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in err and "has no refNetwork.csv" in err


def test_pseudotime_ties_are_ordered_by_values_not_file_order(folder):
    pt = pd.read_csv(folder / "PseudoTime.csv", index_col=0)
    pt.loc["c2", :] = [0.0, 0.0]  # c1 and c2 both at pseudotime 0
    pt.to_csv(folder / "PseudoTime.csv", na_rep="NA")
    first = load_beeline_dir(folder)
    pt.iloc[::-1].to_csv(folder / "PseudoTime.csv", na_rep="NA")  # the same cells, listed backwards
    cells = pd.read_csv(folder / "ExpressionData.csv", index_col=0)
    cells[cells.columns[::-1]].to_csv(folder / "ExpressionData.csv")
    second = load_beeline_dir(folder)
    np.testing.assert_array_equal(first.expression, second.expression)
    assert first.content_hash == second.content_hash
    tied = cells[["c1", "c2"]].to_numpy()
    assert {tuple(first.expression[:, 0]), tuple(first.expression[:, 1])} == {tuple(tied[:, 0]), tuple(tied[:, 1])}


def test_round_trip_writes_ranked_edges_that_beeline_parses(tmp_path):
    out = tmp_path / "run"
    code = main(["run", "--quiet", "--workers", "0", "--methods", "correlation,node:n_estimators=10",
                 "--beeline-dir", str(BEELINE), "--out", str(out)])
    assert code == 0
    results = pd.read_csv(out / "results.csv")
    assert (results["status"] == "ok").all()
    for edges_file in results["edges_file"]:
        ours = pd.read_csv(out / edges_file)
        ranked = out / "beeline" / Path(edges_file).stem / "rankedEdges.csv"
        # exactly how BEELINE's BLEval reads a method's output
        beeline = pd.read_csv(ranked, sep="\t", header=0, index_col=None)
        assert list(beeline.columns) == ["Gene1", "Gene2", "EdgeWeight"]
        assert ranked.read_text().splitlines()[0] == "Gene1\tGene2\tEdgeWeight"
        assert beeline["EdgeWeight"].is_monotonic_decreasing
        assert len(beeline) == len(ours) == int(results.loc[results["edges_file"] == edges_file, "n_test"].iloc[0])
        merged = ours.merge(beeline, left_on=["regulator", "target"], right_on=["Gene1", "Gene2"])
        assert len(merged) == len(ours)
        np.testing.assert_allclose(merged["score"], merged["EdgeWeight"])
    manifest = (out / "manifest.json").read_text()
    assert "beeline_dir" in manifest
    assert main(["evaluate", str(out)]) == 0  # the dataset is rebuilt from the manifest's files


def test_writer_ranks_best_first_with_stable_ties(tmp_path):
    path = write_ranked_edges(tmp_path / "x" / "rankedEdges.csv", np.array(["a", "b", "c"]),
                              np.array(["x", "y", "z"]), np.array([0.1, 0.5, 0.1]))
    frame = pd.read_csv(path, sep="\t")
    assert frame["Gene1"].tolist() == ["b", "a", "c"]


def test_headerless_ref_network_keeps_its_first_edge(folder):
    lines = (folder / "refNetwork.csv").read_text().splitlines()
    (folder / "refNetwork.csv").write_text("\n".join(lines[1:]) + "\n")
    assert load_beeline_dir(folder).gold_standard == load_beeline_dir(BEELINE).gold_standard
