"""The new datasets run through ``grnbench run`` with the control methods."""

from __future__ import annotations

import pandas as pd
import pytest

from grnbench.cli import build_parser, main


def _serial_flag() -> list[str]:
    run = build_parser()._subparsers._group_actions[0].choices["run"]
    return ["--workers", "0"] if any("--workers" in a.option_strings for a in run._actions) else []


@pytest.mark.parametrize("name", ["maize1-sim", "ecoli-cold"])
def test_controls_run(tmp_path, monkeypatch, name):
    monkeypatch.setenv("GRNBENCH_DATA", str(tmp_path / "data"))
    out = tmp_path / "run"
    assert main(["run", "--methods", "random,correlation", "--dataset", name, "--out", str(out),
                 "--quiet", *_serial_flag()]) == 0
    results = pd.read_csv(out / "results.csv")
    assert set(results["method"]) == {"random", "correlation"}
    assert (results["status"] == "ok").all()
    assert results["aupr"].between(0, 1).all()


def test_datasets_list_and_show(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GRNBENCH_DATA", str(tmp_path / "data"))
    assert main(["datasets", "list"]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("ecoli-cold "))
    assert row.split()[1:7] == ["1034", "135", "3", "series", "×", "8"]
    assert "139455" in row and "1986" in row and "Jozefczuk" in row
    assert any(line.startswith("maize1 ") and "not imported yet" in line for line in out.splitlines())
    assert main(["datasets", "show", "maize1-sim"]) == 0
    shown = dict(line.split(":", 1) for line in capsys.readouterr().out.splitlines())
    assert shown["genes"].strip() == "507" and shown["tfs"].strip() == "101"
    assert shown["time points"].strip() == "107" and shown["pairs"].strip() == "51106"
    assert shown["positives"].strip().startswith("9746 ")
    assert "simulated" in shown["source"] and "BSD" in shown["licence"]
