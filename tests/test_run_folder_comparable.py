"""A run folder holds one comparable run: rows split another way or of other data under the same
name are refused before the run (one line, exit 2), ``--replace`` drops them, the same data under
another name is never duplicated, and the manifest lists every invocation."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from grnbench.cli import main
from grnbench.datasets import load_dataset


def run(out, *args) -> int:
    return main(["run", "--quiet", "--workers", "0", "--out", str(out), *args])


def write_files(folder, scale: float = 1.0) -> list[str]:
    ds = load_dataset("dream4-10-1")
    folder.mkdir(parents=True, exist_ok=True)
    names = [f"s{int(s)}_{int(t)}" for s, t in zip(ds.series, ds.times, strict=True)]
    pd.DataFrame(ds.expression * scale, index=list(ds.genes), columns=names).to_csv(
        folder / "expr.tsv", sep="\t", index_label="gene")
    pd.DataFrame({"sample": names, "time": ds.times, "series": ds.series}).to_csv(folder / "samples.csv", index=False)
    pd.DataFrame(sorted(ds.gold_standard)).to_csv(folder / "gold.tsv", sep="\t", index=False, header=False)
    return ["--expression", str(folder / "expr.tsv"), "--samples", str(folder / "samples.csv"),
            "--gold-standard", str(folder / "gold.tsv")]


@pytest.mark.parametrize("option, value", [("--seed", "1"), ("--split", "tf-disjoint"), ("--folds", "0"),
                                           ("--top-k", "5")])
def test_a_run_split_another_way_is_refused_and_replace_drops_the_old_rows(tmp_path, capsys, option, value):
    out = tmp_path / "run"
    assert run(out, "--methods", "correlation", "--dataset", "dream4-10-1") == 0
    before = (out / "results.csv").read_bytes()
    assert run(out, "--methods", "random", "--dataset", "dream4-10-1", option, value) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and option in err and "--replace" in err
    assert (out / "results.csv").read_bytes() == before  # nothing written
    assert run(out, "--methods", "random", "--dataset", "dream4-10-1", option, value, "--replace") == 0
    assert pd.read_csv(out / "results.csv")["method"].tolist() == ["random"]
    assert len(json.loads((out / "manifest.json").read_text())["invocations"]) == 1


def test_other_data_under_the_same_name_is_refused(tmp_path, capsys):
    out = tmp_path / "run"
    assert run(out, "--methods", "correlation", *write_files(tmp_path / "a")) == 0
    assert run(out, "--methods", "correlation", *write_files(tmp_path / "b", scale=2.0)) == 2
    assert "other data" in capsys.readouterr().err


def test_the_same_data_under_another_name_is_not_duplicated_and_invocations_accumulate(tmp_path):
    out = tmp_path / "run"
    first = write_files(tmp_path / "a")
    assert run(out, "--methods", "correlation,random", *first) == 0
    second = write_files(tmp_path / "b")
    (tmp_path / "b" / "expr.tsv").rename(tmp_path / "b" / "other.tsv")
    second[1] = str(tmp_path / "b" / "other.tsv")
    assert run(out, "--methods", "correlation,random", *second) == 0  # cache hits from the first run
    results = pd.read_csv(out / "results.csv")
    assert not results.duplicated(["method", "dataset", "protocol", "repeat", "init_seed"]).any()
    assert sorted(results["dataset"].unique()) == ["expr", "other"]
    assert results["dataset_hash"].nunique() == 1
    manifest = json.loads((out / "manifest.json").read_text())
    assert [i["datasets"] for i in manifest["invocations"]] == [["expr"], ["other"]]
    np.testing.assert_array_equal(results.loc[results["dataset"] == "expr", "aupr"].to_numpy(),
                                  results.loc[results["dataset"] == "other", "aupr"].to_numpy())


def test_table_refuses_folders_that_split_one_dataset_differently(tmp_path, capsys):
    assert run(tmp_path / "a", "--methods", "correlation", "--dataset", "dream4-10-1") == 0
    assert run(tmp_path / "b", "--methods", "random", "--dataset", "dream4-10-1", "--seed", "4") == 0
    assert run(tmp_path / "c", "--methods", "random", "--dataset", "dream4-10-1") == 0
    assert main(["table", str(tmp_path / "a"), str(tmp_path / "b")]) == 2
    assert "seed" in capsys.readouterr().err
    assert main(["table", str(tmp_path / "a"), str(tmp_path / "c")]) == 0


def test_evaluate_refuses_a_results_file_that_lost_rows(tmp_path, capsys):
    out = tmp_path / "run"
    assert run(out, "--methods", "correlation,random", "--dataset", "dream4-10-1") == 0
    lines = (out / "results.csv").read_text().splitlines(keepends=True)
    (out / "results.csv").write_text("".join(lines[:2]))  # cut at a row boundary
    assert main(["evaluate", str(out)]) == 2
    assert "lost rows" in capsys.readouterr().err
    assert (out / "results.csv").read_text() == "".join(lines[:2])
