"""maize1/maize2: the PSGRN construction end to end on fixture files the tests write.

The small fixture's expected genes, TFs, pairs and labels are worked out by hand in the
comments; the sized fixture checks the real 500/1000 cut-offs with counts that follow from
its design.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from grnbench.cli import main
from grnbench.data.universe import EdgeUniverse, dataset_summary
from grnbench.datasets import load_dataset
from grnbench.datasets import maize as mz
from grnbench.errors import DataError, UserError

# Expression: 4 time points, columns deliberately out of order (sorted by the number in the name).
EXPRESSION = {
    "TF1": [5, 6, 7, 8],
    "TF2": [2, 2, 3, 3],
    "TF3": [0.5, 0.5, 0.5, 0.5],   # ChIP-seq TF, mean 0.5 < 1: dropped
    "G1": [10, 20, 30, 40],
    "G2": [1, 2, 3, 4],
    "G3": [4, 4, 4, 4],
    "G4": [3, 3, 3, 3],
    "G5": [1, 1, 1, 1],            # mean exactly 1.0: kept
    "G6": [9, 9, 9, 9],
    "G7": [0.1, 0.2, 0.3, 0.2],    # mean < 1: dropped
}
COLUMNS = ["4h", "0h", "2h", "6h"]  # file order; the times are 4, 0, 2, 6
GRN = [  # TF, target, p (file order)
    ("TF1", "G1", 1e-10),
    ("TF2", "G2", 1e-9),
    ("TF1", "TF2", 1e-8),
    ("TF3", "G3", 1e-12),   # TF3 not expressed: dropped although it has the best p
    ("TF2", "G7", 1e-11),   # G7 not expressed: dropped
    ("TF1", "G3", 1e-7),
    ("TF2", "G1", 0.005),   # outside any top list, still a positive (whole-table labels)
    ("TF1", "G4", 0.02),    # p > 0.01: dropped
    ("TF2", "G5", 0.009),
    ("TF1", "G2", 0.05),    # p > 0.01: TF1→G2 is a negative
    ("TF1", "G1", 0.001),   # duplicate of TF1→G1: the smaller p (1e-10) is kept
    ("TF2", "G6", 0.01),    # p = 0.01 is kept (p ≤ 0.01)
]
# Kept, ascending p: TF1→G1, TF2→G2, TF1→TF2, TF1→G3, TF2→G1, TF2→G5, TF2→G6.
# top 3 → genes {G1, G2, TF1, TF2}; TFs TF1, TF2 (TF3 is not among the genes); pairs 2 × 3.
SMALL_TOP = {"maize1": 3, "maize2": 6}
EXPECTED = {
    "maize1": {
        "genes": ("G1", "G2", "TF1", "TF2"),
        "tfs": ("TF1", "TF2"),
        "labels": {("TF1", "G1"): 1, ("TF1", "G2"): 0, ("TF1", "TF2"): 1,
                   ("TF2", "G1"): 1, ("TF2", "G2"): 1, ("TF2", "TF1"): 0},
    },
    # top 6 adds TF1→G3, TF2→G1 and TF2→G5 → genes + G3, G5; pairs 2 × 5.
    "maize2": {
        "genes": ("G1", "G2", "G3", "G5", "TF1", "TF2"),
        "tfs": ("TF1", "TF2"),
        "labels": {("TF1", "G1"): 1, ("TF1", "G2"): 0, ("TF1", "G3"): 1, ("TF1", "G5"): 0,
                   ("TF1", "TF2"): 1, ("TF2", "G1"): 1, ("TF2", "G2"): 1, ("TF2", "G3"): 0,
                   ("TF2", "G5"): 1, ("TF2", "TF1"): 0},
    },
}


def write_expression(path, expression=EXPRESSION, columns=COLUMNS):
    frame = pd.DataFrame.from_dict(expression, orient="index", columns=columns)
    frame.index.name = "gene_id"
    if path.suffix == ".xlsx":
        frame.to_excel(path)
    else:
        frame.to_csv(path, sep="\t" if path.suffix == ".tsv" else ",")
    return path


def write_grn(path, rows=GRN, header=("TF", "Target", "P-value")):
    frame = pd.DataFrame(rows, columns=list(header))
    if path.suffix == ".xlsx":
        frame.to_excel(path, index=False)
    else:
        frame.to_csv(path, sep="\t" if path.suffix == ".tsv" else ",", index=False)
    return path


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    folder = tmp_path / "grnbench-data"
    monkeypatch.setenv("GRNBENCH_DATA", str(folder))
    return folder


def labels_of(dataset):
    universe = EdgeUniverse.from_dataset(dataset)
    regs, tgts = universe.names()
    return {(r, t): int(label) for r, t, label in zip(regs, tgts, universe.labels, strict=True)}


@pytest.mark.parametrize("suffix", [".tsv", ".csv", ".xlsx"])
def test_import_builds_hand_checked_pairs_and_labels(tmp_path, data_dir, monkeypatch, capsys, suffix):
    monkeypatch.setattr(mz, "TOP_RELATIONSHIPS", SMALL_TOP)
    expr = write_expression(tmp_path / f"expr{suffix}")
    grn = write_grn(tmp_path / f"grn{suffix}")
    assert main(["datasets", "import", "maize", "--expression", str(expr), "--grn", str(grn)]) == 0
    out = capsys.readouterr().out
    assert "maize1" in out and "maize2" in out
    for name, expected in EXPECTED.items():
        ds = load_dataset(name)
        assert ds.genes == expected["genes"]
        assert ds.tfs == expected["tfs"]
        assert labels_of(ds) == expected["labels"]
        assert list(ds.times) == [0.0, 2.0, 4.0, 6.0]
        # columns re-ordered by time: G1 is 10, 20, 30, 40 at 4h, 0h, 2h, 6h
        assert ds.expression[ds.gene_index["G1"]].tolist() == [20.0, 30.0, 10.0, 40.0]
        s = dataset_summary(ds)
        assert (s["pairs"], s["positives"]) == (len(expected["labels"]), sum(expected["labels"].values()))
    assert (data_dir / "maize" / "maize1" / "info.json").is_file()


def test_whole_table_labels_not_only_the_top_list():
    genes = list(EXPRESSION)
    values = np.array([EXPRESSION[g] for g in genes], dtype=float)
    grn = pd.DataFrame(GRN, columns=["tf", "target", "p"])
    build = mz.build_maize("maize1", 3, genes, values, np.arange(4.0), grn)
    assert build.relationships_used == 3
    assert ("TF2", "G1") in build.dataset.gold_standard          # p = 0.005, rank 5
    assert build.positives_p[("TF1", "G1")] == 1e-10               # duplicate kept its smaller p
    assert build.stats["relationships_p_le_0.01"] == 10
    assert build.stats["relationships_kept"] == 7
    assert build.stats["chipseq_tfs_expressed"] == 2


def test_headerless_three_column_grn(tmp_path, data_dir, monkeypatch):
    monkeypatch.setattr(mz, "TOP_RELATIONSHIPS", SMALL_TOP)
    expr = write_expression(tmp_path / "expr.tsv")
    grn = tmp_path / "grn.txt"
    grn.write_text("".join(f"{a}\t{b}\t{p}\n" for a, b, p in GRN))
    mz.import_maize(expr, grn)
    assert labels_of(load_dataset("maize1")) == EXPECTED["maize1"]["labels"]


def _run_cli_error(capsys, argv):
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    return err


def test_gene_id_mismatch_is_one_line(tmp_path, data_dir, capsys):
    expr = write_expression(tmp_path / "expr.tsv")
    other = [(f"Zm00001d{i:06d}", f"Zm00001d{i + 100:06d}", 1e-5) for i in range(20)]
    grn = write_grn(tmp_path / "grn.tsv", rows=other)
    err = _run_cli_error(capsys, ["datasets", "import", "maize", "--expression", str(expr), "--grn", str(grn)])
    assert "gene IDs do not match" in err and "grn.tsv" in err


def test_missing_p_value_is_one_line(tmp_path, data_dir, capsys):
    expr = write_expression(tmp_path / "expr.tsv")
    rows = [*GRN[:3], ("TF1", "G3", None), *GRN[4:]]
    grn = write_grn(tmp_path / "grn.csv", rows=rows)
    err = _run_cli_error(capsys, ["datasets", "import", "maize", "--expression", str(expr), "--grn", str(grn)])
    assert "missing p-value on data row 4 (TF1 → G3)" in err


def test_non_numeric_expression_is_one_line(tmp_path, data_dir, capsys):
    bad = dict(EXPRESSION)
    bad["G2"] = [1, "high", 3, 4]
    expr = write_expression(tmp_path / "expr.tsv", expression=bad)
    grn = write_grn(tmp_path / "grn.tsv")
    err = _run_cli_error(capsys, ["datasets", "import", "maize", "--expression", str(expr), "--grn", str(grn)])
    assert "non-numeric value 'high' at gene G2" in err


@pytest.mark.parametrize("rows, message", [
    ([("TF1", "G1", "small")], "non-numeric p-value 'small'"),
    ([("TF1", "G1", 7.5)], "outside [0, 1]"),
])
def test_bad_p_values(tmp_path, rows, message):
    with pytest.raises(DataError, match=message.replace("[", r"\[")):
        mz.read_grn_table(write_grn(tmp_path / "grn.tsv", rows=rows))


def test_log_values_are_rejected(tmp_path):
    neg = dict(EXPRESSION)
    neg["G2"] = [1, -0.5, 3, 4]
    with pytest.raises(DataError, match="negative expression"):
        mz.read_maize_expression(write_expression(tmp_path / "e.tsv", expression=neg))


def test_unknown_grn_columns(tmp_path):
    path = tmp_path / "grn.tsv"
    pd.DataFrame({"a": ["TF1"], "b": ["G1"], "c": [0.1], "d": [1]}).to_csv(path, sep="\t", index=False)
    with pytest.raises(DataError, match="cannot find the TF, target and p-value columns"):
        mz.read_grn_table(path)


def test_before_import_the_message_names_both_files(data_dir):
    for name in ("maize1", "maize2"):
        with pytest.raises(UserError) as info:
            load_dataset(name)
        text = str(info.value)
        for needle in ("PRJNA505095", "PRJNA518749", "Yi et al. 2019", "Tu et al. 2020",
                       "grnbench datasets import maize --expression FILE --grn FILE"):
            assert needle in text
        assert "\n" not in text


def test_real_cutoffs_500_and_1000(tmp_path, data_dir):
    """A sized fixture: 10 TFs; relationship k (1…1200) is TF{k % 10} → G{k} with p = k·1e-6,
    so the top 500 / 1000 are G1…G500 / G1…G1000 plus the 10 TFs. TF0 also binds every
    G1…G1200 with p = 0.005 (positives beyond the top list); TF1 binds every G with p = 0.5
    (negatives); Gx has the best p of all but mean FPKM 0.5 and is dropped."""
    rng = np.random.default_rng(0)
    genes = [f"TF{i}" for i in range(10)] + [f"G{k}" for k in range(1, 1201)] + ["Gx"]
    values = rng.uniform(2.0, 50.0, size=(len(genes), 107))
    values[-1] = 0.5
    expr = tmp_path / "expr.csv"
    pd.DataFrame(values, index=pd.Index(genes, name="gene"), columns=[f"T{i}" for i in range(107)]).to_csv(expr)
    rows = [(f"TF{k % 10}", f"G{k}", k * 1e-6) for k in range(1, 1201)]
    rows += [("TF0", f"G{k}", 0.005) for k in range(1, 1201)]
    rows += [("TF1", f"G{k}", 0.5) for k in range(1, 1201)]
    rows += [("TF3", "Gx", 1e-30), ("TF2", "TF3", 0.002)]
    grn = write_grn(tmp_path / "grn.tsv", rows=rows, header=("regulator", "target_gene", "pvalue"))
    mz.import_maize(expr, grn)
    for name, n_targets in (("maize1", 500), ("maize2", 1000)):
        ds = load_dataset(name)
        assert ds.n_genes == n_targets + 10 and len(ds.tfs) == 10 and ds.n_samples == 107
        s = dataset_summary(ds)
        assert s["pairs"] == 10 * (n_targets + 9)
        # top rows + TF0's extra targets not already its own top rows + TF2→TF3
        assert s["positives"] == n_targets + (n_targets - n_targets // 10) + 1
        assert "Gx" not in ds.genes
    info = pd.read_json(data_dir / "maize" / "maize2" / "info.json", typ="series")
    assert info["top_relationships_available"] == 1000 and info["genes_expressed"] == 1210
