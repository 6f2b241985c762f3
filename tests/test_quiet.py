"""``--quiet`` hides the plan and the progress, never the answer: the results table and the
report's path are still printed."""

from __future__ import annotations

from grnbench.cli import main


def test_quiet_keeps_the_results_table_and_the_report_path(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["run", "--quiet", "--dataset", "dream4-10-1", "--methods", "random", "--workers", "0",
                 "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "AUPR" in captured.out and "random" in captured.out
    assert f"report: {out / 'report.html'}" in captured.out
    assert "dataset dream4-10-1:" not in captured.out  # the plan is hidden
    assert captured.err == ""  # and the progress
