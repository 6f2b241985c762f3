"""A damaged run folder is refused by ``grnbench evaluate`` and ``grnbench report`` with one line
naming the file (exit 2), never scored: an edge list cut short, with a pair twice, a NaN score,
labels that disagree with the gold standard or pairs that are not the task's test pairs; a
manifest.json that is not JSON; a results.csv that lost its rows. results.csv is left as it was."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from grnbench.cli import main

EDGES = "edges/correlation__dream4-10-1__standard__r0.csv"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("integrity") / "run"
    assert main(["run", "--quiet", "--methods", "random,correlation", "--dataset", "dream4-10-1",
                 "--workers", "0", "--out", str(out)]) == 0
    return out


@pytest.fixture
def copy(run_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(run_dir, target)
    return target


def refused(run: Path, capsys, command: str = "evaluate") -> str:
    """Run ``grnbench COMMAND RUN``: exit 2, one line on stderr, results.csv untouched."""
    before = (run / "results.csv").read_bytes()
    capsys.readouterr()
    assert main([command, str(run)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("grnbench: error: "), err
    assert (run / "results.csv").read_bytes() == before
    return err


def test_an_untouched_run_evaluates_without_notes(copy: Path, capsys) -> None:
    capsys.readouterr()
    assert main(["evaluate", str(copy)]) == 0
    assert "not checked" not in capsys.readouterr().out


def test_an_edge_list_cut_mid_line_is_refused(copy: Path, capsys) -> None:
    path = copy / EDGES
    n_test = int(pd.read_csv(copy / "results.csv").set_index("method").loc["correlation", "n_test"])
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:5]) + lines[5][:12])  # cut inside line 6's score
    for command in ("evaluate", "report"):
        err = refused(copy, capsys, command)
        assert str(path) in err and "last line 6 is incomplete (no label" in err and f"5 of {n_test} test pairs" in err


def test_an_edge_list_that_lost_whole_rows_is_refused(copy: Path, capsys) -> None:
    path = copy / EDGES
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-3]))
    err = refused(copy, capsys)
    assert str(path) in err and f"covers {len(lines) - 4} of {len(lines) - 1} test pairs" in err


def test_a_pair_listed_twice_is_refused(copy: Path, capsys) -> None:
    path = copy / EDGES
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines + [lines[2]]))
    regulator, target = lines[2].split(",")[:2]
    err = refused(copy, capsys)
    assert str(path) in err and f"pair ({regulator}, {target}) is listed twice (lines 3 and {len(lines) + 1})" in err


def test_labels_that_disagree_with_the_gold_standard_are_refused(copy: Path, capsys) -> None:
    path = copy / EDGES
    edges = pd.read_csv(path)
    first_negative = int((edges["label"] == 0).to_numpy().argmax())
    edges["label"] = 1
    edges.to_csv(path, index=False)
    err = refused(copy, capsys)
    assert str(path) in err and f"line {first_negative + 2}:" in err and "gold standard of dream4-10-1 says 0" in err


def test_a_pair_that_is_not_a_test_pair_is_refused(copy: Path, capsys) -> None:
    path = copy / EDGES
    edges = pd.read_csv(path)
    edges.loc[5, "target"] = "G999"
    edges.to_csv(path, index=False)
    err = refused(copy, capsys)
    assert str(path) in err and "line 7:" in err and "is not a test pair of this task" in err


@pytest.mark.parametrize("bad", ["nan", "inf", "high"])
def test_a_non_finite_score_is_refused_by_evaluate_and_report(copy: Path, capsys, bad: str) -> None:
    path = copy / EDGES
    lines = path.read_text().splitlines(keepends=True)
    fields = lines[1].split(",")
    lines[1] = ",".join([*fields[:2], bad, *fields[3:]])
    path.write_text("".join(lines))
    for command in ("evaluate", "report"):
        err = refused(copy, capsys, command)
        assert str(path) in err and f"line 2: score '{bad}' is not a finite number" in err


def test_without_its_dataset_an_edge_list_is_still_checked_on_its_own(copy: Path, capsys) -> None:
    """A dataset that changed since the run cannot rebuild the split: evaluate says so in a note
    and still checks the list against the row's n_test."""
    results = pd.read_csv(copy / "results.csv", keep_default_na=False)
    results.assign(dataset_hash="0000000000000000").to_csv(copy / "results.csv", index=False)
    capsys.readouterr()
    assert main(["evaluate", str(copy)]) == 0
    assert "note: edge lists of dream4-10-1 not checked against its gold standard" in capsys.readouterr().out
    path = copy / EDGES
    path.write_text("".join(path.read_text().splitlines(keepends=True)[:-1]))
    assert "covers" in refused(copy, capsys)


def test_a_manifest_that_is_not_json_is_refused(copy: Path, capsys) -> None:
    (copy / "manifest.json").write_text("{bad json\n")
    for command in ("evaluate", "report"):
        err = refused(copy, capsys, command)
        assert f"{copy / 'manifest.json'}: not valid JSON (line 1" in err and "re-run" in err
    (copy / "manifest.json").write_text("[1, 2]\n")
    assert "not a grnbench manifest" in refused(copy, capsys, "report")


def test_report_refuses_a_results_file_that_lost_its_rows(copy: Path, capsys) -> None:
    header = (copy / "results.csv").read_text().splitlines()[0]
    (copy / "results.csv").write_text(header + "\n")
    err = refused(copy, capsys, "report")
    assert "has no row for 2 saved edge list(s)" in err
    assert not (copy / "report.html").read_text().count("Only no method")


def test_a_label_other_than_0_or_1_is_refused(copy: Path, capsys) -> None:
    path = copy / EDGES
    edges = pd.read_csv(path)
    edges.loc[3, "label"] = 2
    edges.to_csv(path, index=False)
    assert "line 5: label '2' is not 0 or 1" in refused(copy, capsys)
