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
