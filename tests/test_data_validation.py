"""Every bad-input case gives one clear line naming the file and the problem, no traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from grnbench.cli import main


def write(path, text):
    path.write_text(text)
    return path


@pytest.fixture
def good(tmp_path):
    expr = write(tmp_path / "expr.tsv", "gene\t0\t1\t2\nA\t1\t2\t3\nB\t2\t1\t0\nC\t0.5\t0.7\t0.1\n"
                                        "D\t0.2\t0.4\t0.3\nE\t1.5\t0.9\t1.1\n")
    gold = write(tmp_path / "gold.tsv", "A\tB\t1\nA\tC\t1\nB\tC\t0\n")
    return expr, gold


def run_cli(capsys, *args):
    code = main(["run", "--quiet", *args])
    err = capsys.readouterr().err.strip()
    return code, err


def assert_one_line(code, err, *needles):
    assert code == 2
    assert "\n" not in err and "Traceback" not in err
    for needle in needles:
        assert needle in err, err


def test_good_files_run(tmp_path, good, capsys):
    expr, gold = good
    gold.write_text("A\tB\t1\nA\tC\t1\nB\tC\t1\nB\tA\t1\nC\tA\t1\n")
    code = main(["run", "--quiet", "--methods", "correlation", "--expression", str(expr),
                 "--gold-standard", str(gold), "--out", str(tmp_path / "run")])
    assert code == 0
    assert (tmp_path / "run" / "results.csv").is_file()


@pytest.mark.parametrize("expr_text, needles", [
    ("gene\t0\t1\nA\t1\t2\nA\t2\t1\nC\t0\t1\n", ["expr.tsv", "duplicated gene IDs: A"]),
    ("gene\t0\t1\nA\t1\tx\nB\t2\t1\nC\t0\t1\n", ["expr.tsv", "non-numeric value 'x'", "gene A"]),
    ("gene\t0\t1\nA\t1\t\nB\t2\t1\nC\t0\t1\n", ["expr.tsv", "missing or infinite", "gene A"]),
    ("gene\t0\t1\nA\t1\tinf\nB\t2\t1\nC\t0\t1\n", ["expr.tsv", "missing or infinite", "gene A"]),
])
def test_malformed_expression_is_one_line(tmp_path, capsys, expr_text, needles):
    expr = write(tmp_path / "expr.tsv", expr_text)
    gold = write(tmp_path / "gold.tsv", "A\tB\t1\n")
    assert_one_line(*run_cli(capsys, "--expression", str(expr), "--gold-standard", str(gold)), *needles)


def test_missing_file(tmp_path, good, capsys):
    _, gold = good
    assert_one_line(*run_cli(capsys, "--expression", str(tmp_path / "nope.tsv"), "--gold-standard", str(gold)),
                    "nope.tsv", "file not found")


def test_gold_standard_naming_unknown_genes(tmp_path, good, capsys):
    expr, _ = good
    gold = write(tmp_path / "gold.tsv", "A\tZZZ\t1\n")
    assert_one_line(*run_cli(capsys, "--expression", str(expr), "--gold-standard", str(gold)),
                    "gold.tsv", "ZZZ", "not in")


def test_tf_not_in_matrix(tmp_path, good, capsys):
    expr, gold = good
    tfs = write(tmp_path / "tfs.txt", "A\nQQQ\n")
    assert_one_line(*run_cli(capsys, "--expression", str(expr), "--gold-standard", str(gold), "--tfs", str(tfs)),
                    "tfs.txt", "QQQ")


def test_empty_gold_standard(tmp_path, good, capsys):
    expr, _ = good
    gold = write(tmp_path / "gold.tsv", "A\tB\t0\n")
    assert_one_line(*run_cli(capsys, "--expression", str(expr), "--gold-standard", str(gold)),
                    "gold.tsv", "no positive edges")


def test_too_few_time_points_is_a_skip_reason(tmp_path, capsys):
    from grnbench.datasets.tables import load_table_dataset
    from grnbench.methods.correlation import Correlation

    expr = write(tmp_path / "expr.tsv", "gene\t0\nA\t1\nB\t2\n")
    gold = write(tmp_path / "gold.tsv", "A\tB\t1\n")
    dataset = load_table_dataset(expr, gold)
    assert "needs at least 2 time points per series" in Correlation().skip(dataset)


def test_unknown_method_and_dataset_list_valid_names(capsys):
    assert_one_line(*run_cli(capsys, "--methods", "nosuch"), "unknown method 'nosuch'", "valid methods:", "correlation")
    assert_one_line(*run_cli(capsys, "--dataset", "nosuch"), "unknown dataset 'nosuch'", "dream4-100-1")


def test_unknown_method_parameter(capsys):
    assert_one_line(*run_cli(capsys, "--methods", "random:foo=1"), "no parameter 'foo'")


def test_cli_user_error_has_no_traceback_in_a_real_process(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "grnbench", "run", "--dataset", "nosuch"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "Traceback" not in proc.stderr
