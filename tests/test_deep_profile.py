"""--profile quick: caps are parameters (so they reach labels, cache keys and the manifest),
the user's own values win, and results/manifest say the schedule is not the reference."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from grnbench.errors import UserError
from grnbench.execution.cost import epoch_range, estimate_fit, estimate_lines
from grnbench.execution.profiles import apply_profile, capped_values
from grnbench.registry import load_registry, parse_method_specs


def test_quick_caps_every_method_that_has_a_schedule_and_user_values_win():
    registry = load_registry()
    specs = apply_profile(parse_method_specs("all,cnnc:epochs=7", registry), "quick", registry)
    params = {s.name: dict(s.params) for s in specs}
    assert params["psgrn"]["epochs"] == 2 and params["dgrns"]["epochs"] == 2
    assert params["genie3"]["n_estimators"] == 50 and params["node"]["n_estimators"] == 50
    cnnc = [s for s in specs if s.name == "cnnc"]
    assert {dict(s.params)["epochs"] for s in cnnc} == {2, 7}
    caps = capped_values(specs, "quick", registry)
    by_name = {label.split(":")[0]: c for label, c in caps.items() if "epochs=7" not in label}
    assert by_name["cnnc"]["epochs"] == 2
    assert all(c.get("epochs") != 7 for c in caps.values())  # the user's value is not a cap
    assert "random" not in by_name


def test_a_plugin_declares_its_own_caps_and_cost_and_gets_the_same_treatment(dream4_small):
    """cost.py and profiles.py name no method: a third-party deep method's declared hooks give
    it the same quick caps and training-time estimate as the built-ins."""
    from grnbench.api import Method
    from grnbench.execution.cost import estimate_fit
    from grnbench.execution.profiles import quick_caps

    class MyDeep(Method):
        name = "my-deep"
        supervised = True
        uses_keras = True
        parameters = {"epochs": 30, "patience": 0}
        quick_parameters = {"epochs": 3, "no_such": 1}
        cpu_s_per_pair_epoch = 1e-3

        def fit(self, data):
            pass

        def score_edges(self, pairs):
            return pairs.regulators * 0.0

    assert quick_caps(MyDeep) == {"epochs": 3}
    estimate = estimate_fit(MyDeep, MyDeep.parameters, dream4_small, threads=1)
    assert estimate is not None and (estimate.epochs_low, estimate.epochs_high) == (30, 30)


def test_reference_profile_changes_nothing_and_unknown_profiles_are_refused():
    registry = load_registry()
    specs = parse_method_specs("psgrn,genie3", registry)
    assert apply_profile(specs, "reference", registry) == specs
    with pytest.raises(UserError, match="--profile"):
        apply_profile(specs, "fast", registry)


def test_early_stopping_bounds_the_epoch_range():
    assert epoch_range({"epochs": 200, "patience": 50}) == (51, 200)
    assert epoch_range({"epochs": 200, "patience": 0}) == (200, 200)
    assert epoch_range({"epochs": 40, "patience": 6, "min_epochs": 15}) == (15, 40)
    assert epoch_range({"epochs": 2, "patience": 2}) == (2, 2)


def test_estimate_lines_name_the_deep_methods_and_say_they_are_estimates(dream4_small):
    registry = load_registry()
    methods = [(registry.get(n), registry.get(n).parameters) for n in ("psgrn", "cnnc", "dgrns", "genie3")]
    found = [e for cls, params in methods if (e := estimate_fit(cls, params, dream4_small, 2))]
    lines = estimate_lines(found, dream4_small.name, tasks_per_method=3)
    assert "estimated training time per task on 2 CPU thread(s)" in lines[0]
    assert [ln.split()[0] for ln in lines[1:-1]] == ["psgrn", "cnnc", "dgrns"]
    assert lines[-1] == "  × 3 tasks per method (repeats, seeds)"


def test_quick_run_marks_results_and_manifest(tmp_path):
    from grnbench.cli import main

    out = tmp_path / "run"
    code = main(["run", "--methods", "random,correlation", "--dataset", "dream4-10-1", "--profile", "quick",
                 "--workers", "0", "--out", str(out), "--quiet", "--no-cache"])
    assert code == 0
    frame = pd.read_csv(out / "results.csv")
    assert set(frame["profile"]) == {"quick"} and set(frame["device"]) == {"cpu"}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["profile"]["reference_schedule"] is False
    assert manifest["device"]["device"] == "cpu"
    assert "NOT the reference schedule" in (out / "report.html").read_text()


def test_the_estimate_scales_with_the_speed_of_the_machine_at_hand(dream4_small, monkeypatch):
    """The constants were measured on one machine; on one twice as fast (one-thread matmul
    rate, ``matmul_gflops``) the printed epoch time halves, and the line says both rates."""
    from grnbench.execution import cost

    cnnc = load_registry().get("cnnc")
    monkeypatch.setattr(cost, "matmul_gflops", lambda: cost.REFERENCE_GFLOPS)
    same = estimate_fit(cnnc, cnnc.parameters, dream4_small, threads=1)
    monkeypatch.setattr(cost, "matmul_gflops", lambda: 2 * cost.REFERENCE_GFLOPS)
    faster = estimate_fit(cnnc, cnnc.parameters, dream4_small, threads=1)
    assert faster.seconds_per_epoch == pytest.approx(same.seconds_per_epoch / 2)
    line = estimate_lines([faster], dream4_small.name)[0]
    assert f"matmul {2 * cost.REFERENCE_GFLOPS:.0f} GFLOP/s, {cost.REFERENCE_GFLOPS:.0f} where they were measured" in line


def test_the_machine_probe_is_a_positive_rate():
    from grnbench.execution.cost import matmul_gflops

    assert 0.1 < matmul_gflops() < 1e5
