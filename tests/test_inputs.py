"""Users' own time-series tables: replicates, sample sheets, compression, gold-standard headers,
and the pre-run check of the candidate pairs. Every bad input is one line, exit status 2."""

from __future__ import annotations

import bz2
import gzip
import lzma
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from grnbench.cli import main
from grnbench.datasets.candidates import check_candidate_pairs, count_candidates
from grnbench.datasets.tables import load_table_dataset, read_edge_list
from grnbench.errors import DataError, UserError

EXAMPLES = Path(__file__).parent / "data" / "inputs"
REPLICATES = EXAMPLES / "replicates"
GENES = ["A", "B", "C", "D", "E", "F"]


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def matrix_text(header: list[str], sep: str = "\t", seed: int = 0) -> str:
    rng = np.random.default_rng(seed)
    rows = [sep.join(["gene", *header])]
    for gene in GENES:
        rows.append(sep.join([gene, *(f"{v:.3f}" for v in rng.random(len(header)))]))
    return "\n".join(rows) + "\n"


@pytest.fixture
def gold(tmp_path: Path) -> Path:
    return write(tmp_path / "gold.tsv", "A\tB\t1\nA\tC\t1\nB\tD\t1\nB\tE\t1\nA\tF\t1\n")


def run_cli(capsys, *args: str) -> tuple[int, str]:
    code = main(["run", "--quiet", "--workers", "0", *args])
    return code, capsys.readouterr().err.strip()


def assert_one_line(code: int, err: str, *needles: str) -> None:
    assert code == 2, err
    assert "\n" not in err and "Traceback" not in err
    for needle in needles:
        assert needle in err, err


# --- replicates and sample sheets -------------------------------------------------------------

def test_restarting_times_without_a_sheet_are_refused_with_how_to_write_one(tmp_path, gold, capsys):
    expr = write(tmp_path / "expr.tsv", matrix_text(["0", "50", "100", "0", "50", "100"]))
    code, err = run_cli(capsys, "--expression", str(expr), "--gold-standard", str(gold))
    assert_one_line(code, err, "expr.tsv", "several series", "--samples FILE", "sample,time,series")


def test_times_that_restart_without_repeating_are_refused(tmp_path, gold):
    expr = write(tmp_path / "expr.tsv", matrix_text(["0", "50", "100", "10", "60"]))
    with pytest.raises(DataError, match="do not increase: '10' follows '100'.*--samples"):
        load_table_dataset(expr, gold)


def test_duplicate_sample_names_are_never_renamed(tmp_path, gold):
    expr = write(tmp_path / "expr.tsv", matrix_text(["0", "0", "10", "10"]))
    with pytest.raises(DataError, match=r"duplicated sample name\(s\) '0', '10'.*sample sheet"):
        load_table_dataset(expr, gold)


def test_duplicate_non_numeric_sample_names_are_refused(tmp_path, gold):
    expr = write(tmp_path / "expr.tsv", matrix_text(["a", "b", "a"]))
    with pytest.raises(DataError, match="duplicated sample name.*'a'.*unique name"):
        load_table_dataset(expr, gold)


def test_increasing_numeric_names_are_one_series_with_their_times(tmp_path, gold):
    ds = load_table_dataset(write(tmp_path / "expr.tsv", matrix_text(["0", "5", "20"])), gold)
    assert ds.times.tolist() == [0, 5, 20] and ds.series.tolist() == [0, 0, 0]


def test_sheet_assigns_series_and_reorders_interleaved_columns(tmp_path, gold):
    names = ["t0_r1", "t0_r2", "t1_r1", "t1_r2", "t2_r2", "t2_r1"]
    expr = write(tmp_path / "expr.csv", matrix_text(names, sep=","))
    sheet = write(tmp_path / "samples.csv", "sample,time,series\n" + "".join(
        f"{n},{n[1]},{'rep1' if n.endswith('r1') else 'rep2'}\n" for n in reversed(names)))
    ds = load_table_dataset(expr, gold, samples=sheet)
    assert ds.series.tolist() == [0, 0, 0, 1, 1, 1]
    assert ds.times.tolist() == [0, 1, 2, 0, 1, 2]
    plain = load_table_dataset(write(tmp_path / "plain.csv", matrix_text(["a", "b", "c", "d", "e", "f"], ",")), gold)
    column = {n: k for k, n in enumerate(names)}
    replicates = [plain.expression[:, [column[f"t{i}_{r}"] for i in range(3)]] for r in ("r1", "r2")]
    # each series in time order; the series themselves in the dataset's canonical (content) order
    blocks = [ds.expression[:, ds.series == s] for s in (0, 1)]
    assert any(np.array_equal(blocks[0], replicates[a]) and np.array_equal(blocks[1], replicates[1 - a])
               for a in (0, 1))
    assert "2 series (rep2: 3, rep1: 3 points)" in ds.description or "2 series (rep1: 3, rep2: 3 points)" in ds.description


def test_repeated_names_with_a_sheet_in_file_order_make_two_series():
    ds = load_table_dataset(REPLICATES / "expression.tsv", REPLICATES / "gold.tsv", REPLICATES / "tfs.txt",
                            samples=REPLICATES / "samples.csv")
    assert [len(b) for b in ds.series_blocks()] == [10, 10]
    assert ds.times.tolist() == list(range(0, 100, 10)) * 2


def test_repeated_names_need_the_sheet_in_file_order(tmp_path, gold):
    expr = write(tmp_path / "expr.tsv", matrix_text(["0", "10", "0", "10"]))
    sheet = write(tmp_path / "s.csv", "sample,time,series\n0,0,a\n0,0,b\n10,10,a\n10,10,b\n")
    with pytest.raises(DataError, match="repeats sample names.*in file order"):
        load_table_dataset(expr, gold, samples=sheet)


def test_series_can_come_from_condition_and_replicate(tmp_path, gold):
    expr = write(tmp_path / "expr.tsv", matrix_text(["a", "b", "c", "d"]))
    sheet = write(tmp_path / "s.csv", "sample,time,condition,replicate\na,0,heat,1\nb,1,heat,1\nc,0,cold,1\nd,1,cold,1\n")
    ds = load_table_dataset(expr, gold, samples=sheet)
    assert ds.series.tolist() == [0, 0, 1, 1]


@pytest.mark.parametrize("sheet, needles", [
    ("sample,time,series\na,0,r1\nb,1,r1\nc,2,r1\nzz,3,r1\n", ["s.csv", "not columns of", "'zz'"]),
    ("sample,time,series\na,0,r1\nb,1,r1\n", ["s.csv", "column(s) of", "have no row", "'c'"]),
    ("sample,time,series\na,0,r1\nb,1,r1\nc,2,r1\na,3,r2\n", ["s.csv", "'a' is listed more than once"]),
    ("sample,time,series\na,0,r1\nb,x,r1\nc,2,r1\n", ["s.csv", "time 'x' of sample 'b' is not a number"]),
    ("sample,time,series\na,0,r1\nb,0,r1\nc,2,r1\n", ["s.csv", "series 'r1' has two samples at time 0", "own series"]),
    ("sample,series\na,r1\nb,r1\nc,r1\n", ["s.csv", "missing time"]),
    ("sample,time\na,0\nb,1\nc,2\n", ["s.csv", "needs a series column"]),
])
def test_sample_sheet_mistakes_are_one_line(tmp_path, gold, capsys, sheet, needles):
    expr = write(tmp_path / "expr.tsv", matrix_text(["a", "b", "c"]))
    sheet_path = write(tmp_path / "s.csv", sheet)
    code, err = run_cli(capsys, "--expression", str(expr), "--gold-standard", str(gold), "--samples", str(sheet_path))
    assert_one_line(code, err, *needles)


def test_r_style_header_one_field_short_is_read(tmp_path, gold):
    text = matrix_text(["0", "1", "2"], sep=",")
    expr = write(tmp_path / "expr.csv", text.split("\n", 1)[0].replace("gene,", "") + "\n" + text.split("\n", 1)[1])
    ds = load_table_dataset(expr, gold)
    assert ds.times.tolist() == [0, 1, 2] and ds.n_genes == 6


# --- compression ------------------------------------------------------------------------------

@pytest.mark.parametrize("suffix, opener", [
    (".tsv.gz", lambda p: gzip.open(p, "wt")), (".tsv.bz2", lambda p: bz2.open(p, "wt")),
    (".tsv.xz", lambda p: lzma.open(p, "wt")), (".tsv", None),
])
def test_compressed_tables_read_like_plain_ones(tmp_path, gold, suffix, opener):
    text = matrix_text(["0", "1", "2", "3"])
    path = tmp_path / f"expr{suffix}"
    if opener is None:
        path.write_text(text)
    else:
        with opener(path) as fh:
            fh.write(text)
    ds = load_table_dataset(path, gold)
    plain = load_table_dataset(write(tmp_path / "plain.tsv", text), gold)
    np.testing.assert_array_equal(ds.expression, plain.expression)
    assert ds.name == "expr"


def test_zipped_table_is_read(tmp_path, gold):
    with zipfile.ZipFile(tmp_path / "expr.csv.zip", "w") as archive:
        archive.writestr("expr.csv", matrix_text(["0", "1", "2"], sep=","))
    assert load_table_dataset(tmp_path / "expr.csv.zip", gold).n_samples == 3


def test_a_corrupt_gzip_is_one_line(tmp_path, gold, capsys):
    expr = write(tmp_path / "expr.tsv.gz", "not gzip at all\n")
    assert_one_line(*run_cli(capsys, "--expression", str(expr), "--gold-standard", str(gold)), "expr.tsv.gz")


# --- gold-standard headers --------------------------------------------------------------------

@pytest.mark.parametrize("first", ["TFAP2", "gene1", "regulator_tf", "SOURCE1"])
def test_headerless_gold_keeps_a_first_edge_whose_gene_looks_like_a_header(tmp_path, first):
    genes = {first, "B", "C"}
    gold = write(tmp_path / "gold.tsv", f"{first}\tB\t1\n{first}\tC\t1\n")
    assert read_edge_list(gold, genes) == [(first, "B"), (first, "C")]
    gold2 = write(tmp_path / "gold2.csv", f"{first},B\n{first},C\n")
    assert read_edge_list(gold2, genes) == [(first, "B"), (first, "C")]


def test_gene_name_header_trap_through_the_cli(tmp_path, capsys):
    genes = ["TFAP2", "gene1", "C", "D", "E", "F", "G"]
    rng = np.random.default_rng(1)
    expr = write(tmp_path / "expr.tsv", "gene\t0\t1\t2\t3\n" + "".join(
        f"{g}\t" + "\t".join(f"{v:.3f}" for v in rng.random(4)) + "\n" for g in genes))
    gold = write(tmp_path / "gold.tsv", "TFAP2\tgene1\t1\nTFAP2\tC\t1\ngene1\tD\t1\ngene1\tE\t1\nTFAP2\tF\t1\n")
    ds = load_table_dataset(expr, gold)
    assert ("TFAP2", "gene1") in ds.gold_standard and len(ds.gold_standard) == 5


@pytest.mark.parametrize("text", ["regulator\ttarget\nA\tB\n", "tf,target,label\nA,B,1\n",
                                  "Gene1,Gene2,Type\nA,B,+\n", "source target weight\nA B 1\n"])
def test_a_header_row_that_names_no_gene_is_dropped(tmp_path, text):
    gold = write(tmp_path / "gold.txt", text)
    assert read_edge_list(gold, {"A", "B"}) == [("A", "B")]


def test_without_genes_a_text_label_over_numeric_labels_is_a_header(tmp_path):
    gold = write(tmp_path / "gold.tsv", "x\ty\tlabel\nA\tB\t1\nA\tC\t0\n")
    assert read_edge_list(gold) == [("A", "B")]
    nolabel = write(tmp_path / "gold2.tsv", "G1\tG2\t1\nG1\tG3\t0\n")
    assert read_edge_list(nolabel) == [("G1", "G2")]


def test_gold_header_option_overrides_detection(tmp_path, capsys):
    gold = write(tmp_path / "gold.tsv", "A\tB\nA\tC\nB\tD\nB\tE\nA\tF\nC\tD\n")
    assert read_edge_list(gold, set(GENES), header=True)[0] == ("A", "C")
    assert read_edge_list(gold, set(GENES), header=False)[0] == ("A", "B")
    expr = write(tmp_path / "expr.tsv", matrix_text(["0", "1", "2"]))
    code = main(["run", "--quiet", "--workers", "0", "--methods", "correlation", "--expression", str(expr),
                 "--gold-standard", str(gold), "--gold-header", "yes", "--out", str(tmp_path / "run")])
    assert code == 0


def test_an_unknown_first_gene_hints_at_gold_header(tmp_path, capsys):
    expr = write(tmp_path / "expr.tsv", matrix_text(["0", "1", "2"]))
    gold = write(tmp_path / "gold.tsv", "regulator\tB\nA\tC\n")
    code, err = run_cli(capsys, "--expression", str(expr), "--gold-standard", str(gold))
    assert_one_line(code, err, "gold.tsv", "regulator", "--gold-header")


def test_signed_edge_lists_keep_every_row(tmp_path):
    gold = write(tmp_path / "gold.csv", "A,B,+\nA,C,-\n")
    assert read_edge_list(gold, {"A", "B", "C"}) == [("A", "B"), ("A", "C")]


def test_tf_list_header_is_dropped_by_content(tmp_path, gold):
    expr = write(tmp_path / "expr.tsv", matrix_text(["0", "1", "2"]))
    tfs = write(tmp_path / "tfs.txt", "TF\nA\nB\n")
    assert load_table_dataset(expr, gold, tfs).tfs == ("A", "B")


# --- the candidate pairs, checked before any task ----------------------------------------------

def test_self_loops_are_counted_when_too_few_positives_remain(tmp_path, capsys):
    expr = write(tmp_path / "expr.tsv", matrix_text(["0", "1", "2"]))
    gold = write(tmp_path / "gold.tsv", "A\tA\t1\nB\tB\t1\nC\tC\t1\nA\tB\t1\nB\tC\t1\nC\tD\t1\n")
    out = tmp_path / "run"
    code, err = run_cli(capsys, "--expression", str(expr), "--gold-standard", str(gold), "--out", str(out))
    assert_one_line(code, err, "only 3 of the", "needs at least 5", "3 self loop(s)")
    assert not (out / "results.csv").exists()


def test_tfs_excluding_every_gold_regulator_is_named(tmp_path, gold, capsys):
    expr = write(tmp_path / "expr.tsv", matrix_text(["0", "1", "2"]))
    tfs = write(tmp_path / "tfs.txt", "C\nD\n")
    code, err = run_cli(capsys, "--expression", str(expr), "--gold-standard", str(gold), "--tfs", str(tfs))
    assert_one_line(code, err, "only 0 of the 10 candidate pairs", "5 whose regulator is not in the TF list in --tfs",
                    "tfs.txt")


def test_all_pairs_positive_is_refused_instead_of_nan_metrics(tmp_path, capsys):
    expr = write(tmp_path / "expr.tsv", matrix_text(["0", "1", "2"]))
    gold = write(tmp_path / "gold.tsv", "".join(f"{r}\t{t}\t1\n" for r in "AB" for t in GENES if t != r))
    code, err = run_cli(capsys, "--expression", str(expr), "--gold-standard", str(gold))
    assert_one_line(code, err, "10 of the 10 candidate pairs are gold positives", "0 negative(s)")


def test_bundled_datasets_pass_the_candidate_check(dream4_small):
    counts = check_candidate_pairs(dream4_small)
    assert counts == count_candidates(dream4_small) and counts.positives == 15


def test_candidate_check_raises_user_error_not_a_crash(lagged_dataset):
    from dataclasses import replace

    few = replace(lagged_dataset, gold_standard=frozenset(list(lagged_dataset.gold_standard)[:2]))
    with pytest.raises(UserError, match="only 2 of the"):
        check_candidate_pairs(few)


def test_input_options_without_their_files_are_one_line(tmp_path, capsys):
    tfs = write(tmp_path / "tfs.txt", "G1\n")
    assert_one_line(*run_cli(capsys, "--dataset", "dream4-10-1", "--tfs", str(tfs)),
                    "--tfs applies only to your own files", "not to --dataset dream4-10-1")
    assert_one_line(*run_cli(capsys, "--samples", str(tfs)), "--expression and --gold-standard go together")
    assert_one_line(*run_cli(capsys, "--beeline-dir", str(tmp_path), "--samples", str(tfs)),
                    "--samples does not apply to --beeline-dir")


def test_name_gives_own_data_its_display_name_and_evaluate_rebuilds_it(tmp_path):
    from grnbench.cli import main

    out = tmp_path / "run"
    assert main(["run", "--quiet", "--workers", "0", "--methods", "correlation", "--expression",
                 str(REPLICATES / "expression.tsv"), "--samples", str(REPLICATES / "samples.csv"),
                 "--gold-standard", str(REPLICATES / "gold.tsv"), "--name", "my-study", "--out", str(out)]) == 0
    assert pd.read_csv(out / "results.csv")["dataset"].tolist() == ["my-study"]
    assert main(["evaluate", str(out)]) == 0
