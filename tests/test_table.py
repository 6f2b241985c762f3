"""``grnbench table``: several real runs merged into one method × dataset table."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from test_report import small_run

from grnbench.cli import main
from grnbench.errors import UserError
from grnbench.results.comparison import (
    format_table,
    load_runs,
    method_dataset_table,
    select_protocol,
)


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> list[Path]:
    root = tmp_path_factory.mktemp("table-runs")
    return [small_run(root / "d1", "random,correlation", "standard,noise:repeats=2", dataset="dream4-10-1"),
            small_run(root / "d2", "random,correlation", "standard,noise:repeats=3", dataset="dream4-10-2")]


def expected(runs: list[Path], protocol: str) -> pd.DataFrame:
    frame = pd.concat([pd.read_csv(r / "results.csv") for r in runs])
    frame = frame[frame["protocol"].str.split(",").str[0] == protocol]
    return frame.groupby(["method", "dataset"])["aupr"].agg(["mean", "std", "size"])


def test_csv_merges_runs_into_method_by_dataset(runs: list[Path], capsys) -> None:
    assert main(["table", *map(str, runs), "--format", "csv"]) == 0
    table = pd.read_csv(io.StringIO(capsys.readouterr().out)).set_index("method")
    assert list(table.columns) == ["dream4-10-1", "dream4-10-1 ci_low", "dream4-10-1 ci_high",
                                   "dream4-10-2", "dream4-10-2 ci_low", "dream4-10-2 ci_high", "mean rank"]
    assert list(table.index) == ["random", "correlation"]
    truth = expected(runs, "standard")
    for (method, dataset), row in truth.iterrows():
        assert table.loc[method, dataset] == pytest.approx(row["mean"], rel=1e-5)


def test_csv_intervals_are_each_tasks_bootstrap_interval(runs: list[Path], capsys) -> None:
    """One task per cell (standard protocol): the interval is that task's own bootstrap interval."""
    assert main(["table", *map(str, runs), "--format", "csv"]) == 0
    table = pd.read_csv(io.StringIO(capsys.readouterr().out)).set_index("method")
    frame = pd.concat([pd.read_csv(r / "results.csv") for r in runs])
    for row in frame[frame["protocol"] == "standard"].itertuples():
        assert table.loc[row.method, f"{row.dataset} ci_low"] == pytest.approx(row.aupr_ci_low, rel=1e-5)
        assert table.loc[row.method, f"{row.dataset} ci_high"] == pytest.approx(row.aupr_ci_high, rel=1e-5)
        assert row.aupr_ci_low <= row.aupr <= row.aupr_ci_high


def test_mean_rank_averages_the_ranks_over_datasets(runs: list[Path], capsys) -> None:
    assert main(["table", *map(str, runs), "--format", "csv"]) == 0
    table = pd.read_csv(io.StringIO(capsys.readouterr().out)).set_index("method")
    truth = expected(runs, "standard")["mean"].unstack("dataset")
    ranks = truth.rank(axis=0, ascending=False).mean(axis=1)
    for method, rank in ranks.items():
        assert table.loc[method, "mean rank"] == pytest.approx(rank)


def test_csv_has_sd_columns_when_there_were_repeats(runs: list[Path], capsys) -> None:
    assert main(["table", *map(str, runs), "--format", "csv", "--protocol", "noise"]) == 0
    table = pd.read_csv(io.StringIO(capsys.readouterr().out)).set_index("method")
    assert list(table.columns) == [f"{d}{s}" for d in ("dream4-10-1", "dream4-10-2")
                                   for s in ("", " sd", " ci_low", " ci_high")] + ["mean rank"]
    truth = expected(runs, "noise")
    assert truth.loc[("correlation", "dream4-10-2"), "size"] == 3
    for (method, dataset), row in truth.iterrows():
        assert table.loc[method, dataset] == pytest.approx(row["mean"], rel=1e-5)
        assert table.loc[method, f"{dataset} sd"] == pytest.approx(row["std"], rel=1e-5)


def test_markdown_bolds_only_a_best_method_that_is_resolved(runs: list[Path], capsys) -> None:
    assert main(["table", *map(str, runs), "--format", "markdown"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "| method | dream4-10-1 | dream4-10-2 | mean rank |" and lines[1] == "|---|---:|---:|---:|"
    truth = expected(runs, "standard")["mean"]
    body = lines[2:lines.index("")]
    cells = {line.split(" | ")[0].strip("| "): line.strip("|").split("|")[1:] for line in body}
    comparisons = pd.concat([pd.read_csv(r / "comparisons.csv") for r in runs if (r / "comparisons.csv").is_file()])
    for j, dataset in enumerate(["dream4-10-1", "dream4-10-2"]):
        best = truth.xs(dataset, level="dataset").idxmax()
        rows = comparisons[(comparisons["dataset"] == dataset) & (comparisons["protocol"] == "standard")]
        involving = rows[(rows["method_a"] == best) | (rows["method_b"] == best)]
        resolved = len(involving) == len(cells) - 1 and bool(involving["resolved"].all())
        for method, row in cells.items():
            text = row[j].strip()
            assert text.startswith("**") == (method == best and resolved)
            mean, interval = text.strip("*").split(" [")
            assert mean == f"{truth[(method, dataset)]:.3f}"
            low, high = (float(x) for x in interval.rstrip("]").split(", "))
            assert low <= float(mean) <= high
    notes = "\n".join(lines[lines.index(""):])
    assert "95% interval" in notes and "bold: best on the dataset and resolved" in notes and "mean rank over" in notes


def test_latex_is_a_booktabs_tabular_with_mean_and_sd(runs: list[Path]) -> None:
    table = method_dataset_table(load_runs(runs), "auroc", "noise")
    latex = format_table(table, "latex", "auroc")
    lines = latex.splitlines()
    assert lines[1] == r"\toprule" and r"\end{tabular}" in lines and lines[-1].startswith("% ")
    assert lines[0] == r"\begin{tabular}{lrrr}"
    assert lines[2] == r"method & dream4-10-1 & dream4-10-2 & mean rank \\"
    assert r"$\pm$" in latex and r"\textbf{" not in latex  # only AUPR differences are tested
    assert sum(line.endswith(r"\\") for line in lines) == 3


def test_latex_escapes_names_and_failures_show_status() -> None:
    table = pd.DataFrame({"method": ["my_method", "b&c"], "dataset": ["maize_1", "maize_1"],
                          "mean": [0.5, float("nan")], "sd": [float("nan")] * 2,
                          "ci_low": [float("nan")] * 2, "ci_high": [float("nan")] * 2, "repeats": [1, 0],
                          "status": ["ok", "1 timeout"], "mean_rank": [1.0, float("nan")]})
    latex = format_table(table, "latex")
    assert r"my\_method & 0.500 & 1.00 \\" in latex and r"b\&c & 1 timeout & -- \\" in latex
    assert "maize\\_1" in latex
    markdown = format_table(table, "markdown")
    assert "| b&c | 1 timeout | – |" in markdown


def test_time_metrics_are_never_bold_and_filters_pick_rows(runs: list[Path], capsys) -> None:
    table = method_dataset_table(load_runs(runs), "time_s", "standard")
    assert "**" not in format_table(table, "markdown", "time_s")
    assert main(["table", *map(str, runs), "--methods", "correlation", "--datasets", "dream4-10-1"]) == 0
    out = capsys.readouterr().out
    assert "| correlation |" in out and "dream4-10-2" not in out.splitlines()[0]
    assert main(["table", *map(str, runs), "--methods", "nosuch"]) == 2


def test_the_same_cell_in_two_runs_is_refused(runs: list[Path]) -> None:
    with pytest.raises(UserError, match="is in both"):
        load_runs([runs[0], runs[0]])


def test_unknown_protocol_metric_or_format_is_a_one_line_error(runs: list[Path], capsys) -> None:
    assert main(["table", str(runs[0]), "--protocol", "subsample"]) == 2
    assert "no 'subsample' protocol" in capsys.readouterr().err
    assert main(["table", str(runs[0]), "--metric", "nonsense"]) == 2
    assert "unknown metric" in capsys.readouterr().err
    with pytest.raises(UserError):
        format_table(method_dataset_table(load_runs(runs)), "html")


def test_protocol_name_ambiguous_within_one_cell_is_refused(runs: list[Path]) -> None:
    frame = load_runs(runs)
    extra = frame[frame["protocol"] == "noise,repeats=2"].assign(protocol="noise,fraction=0.1")
    with pytest.raises(UserError, match="several protocols"):
        select_protocol(pd.concat([frame, extra]), "noise")
    assert len(select_protocol(frame, "noise,repeats=3")) == 6


def test_latex_escapes_each_special_character_once():
    from grnbench.results.comparison import _latex_escape

    assert _latex_escape("a\\b_c{d}&%") == r"a\textbackslash{}b\_c\{d\}\&\%"
