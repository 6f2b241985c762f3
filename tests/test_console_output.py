"""What a user sees on the console: ``--quiet`` hides the plan and the progress, never the
answer (the results table and the report's path); rendering the report prints no warning."""

from __future__ import annotations

from pathlib import Path

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


def test_rendering_the_report_warns_about_nothing(tmp_path, capsys):
    """A plotting warning (matplotlib's UserWarning) would leak onto the user's console; the
    report of a run with a failed task, two protocols and one method per kind must raise none."""
    import warnings

    from grnbench.report.render import write_report

    out = tmp_path / "run"
    plugin = str(Path(__file__).with_name("plugins_for_tests.py"))
    main(["run", "--quiet", "--dataset", "dream4-10-1", "--methods", "correlation,random,failing", "--plugin", plugin,
          "--protocol", "standard,noise:repeats=2", "--workers", "0", "--out", str(out)])
    capsys.readouterr()
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        write_report(out)
