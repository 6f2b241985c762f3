"""Freed cores go to a fit still training (re-threading), with real processes: on a 2-core
LocalCluster a multithreaded fit that started on 1 thread takes the second core once the other
task has ended, at its next epoch end, in a new process that resumes from its checkpoint (the
next epoch, not epoch 1); its row records both thread counts, its time limit counts the
running time of both processes, and the serial backend's process path does the same."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

PLUGIN = str(Path(__file__).with_name("plugins_for_tests.py"))


def _run(tmp_path: Path, monkeypatch, methods: str, *args: str) -> int:
    import grnbench.deep as deep
    from grnbench.cli import main

    monkeypatch.setattr(deep, "available_cores", lambda: 2)  # the plan's cores, whatever this machine has
    return main(["run", "--quiet", "--dataset", "dream4-10-1", "--out", str(tmp_path / "run"), "--plugin", PLUGIN,
                 "--methods", methods, "--workers", "2", *args])


def _steps(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()]


def _rows(tmp_path: Path) -> dict[str, dict]:
    frame = pd.read_csv(tmp_path / "run" / "results.csv", keep_default_na=False)
    return {r["method"].split(":")[0]: r for r in frame.to_dict("records")}


def test_a_fit_takes_the_core_a_finished_task_freed_at_its_next_epoch(tmp_path, monkeypatch):
    log = tmp_path / "steps.jsonl"
    # two multithreaded tasks share the 2 cores (1 thread each); threadcount ends at once
    code = _run(tmp_path, monkeypatch, f"threadcount,steppedfit:epochs=8,step_s=1.0,log={log}", "--use-freed-cores")
    assert code == 0
    steps = _steps(log)
    assert [s["epoch"] for s in steps] == list(range(1, 9))  # every epoch once: resumed, not restarted
    threads = [s["threads"] for s in steps]
    switch = threads.index(2)
    assert 1 <= switch < 8 and threads == [1] * switch + [2] * (8 - switch)
    pids = [s["pid"] for s in steps]
    assert len(set(pids[:switch])) == 1 and len(set(pids[switch:])) == 1 and pids[0] != pids[-1]
    row = _rows(tmp_path)["steppedfit"]
    assert row["status"] == "ok" and row["threads"] == 2 and str(row["thread_history"]) == "1,2"
    assert row["fit_wall_s"] >= 8 * 1.0  # both processes' time
    assert str(_rows(tmp_path)["threadcount"]["thread_history"]) == "1"
    plan = json.loads((tmp_path / "run" / "manifest.json").read_text())["plan"]
    assert plan["use_freed_cores"] is True
    assert {t["threads"] for t in plan["tasks"]} == {1}  # the plan's initial threads are unchanged


def test_without_the_option_the_fit_keeps_its_planned_threads(tmp_path, monkeypatch):
    log = tmp_path / "steps.jsonl"
    assert _run(tmp_path, monkeypatch, f"threadcount,steppedfit:epochs=4,step_s=0.5,log={log}") == 0
    assert {s["threads"] for s in _steps(log)} == {1} and len({s["pid"] for s in _steps(log)}) == 1
    assert str(_rows(tmp_path)["steppedfit"]["thread_history"]) == "1"


def test_a_rethreaded_fit_that_runs_out_of_time_is_one_timeout_row(tmp_path, monkeypatch):
    log = tmp_path / "steps.jsonl"
    code = _run(tmp_path, monkeypatch, f"threadcount,steppedfit:epochs=30,step_s=1.0,log={log}",
                "--use-freed-cores", "--timeout", "steppedfit=6")
    assert code == 1
    rows = pd.read_csv(tmp_path / "run" / "results.csv", keep_default_na=False)
    mine = rows[rows["method"].str.startswith("steppedfit")]
    assert len(mine) == 1 and mine.iloc[0]["status"] == "timeout"
    assert str(mine.iloc[0]["thread_history"]) == "1,2"
    # the limit counts both processes' running time: ~6 one-second epochs in all, not 6 after the restart
    assert len(_steps(log)) <= 7


def test_the_serial_backends_process_path_rethreads_from_the_checkpoint(tmp_path, monkeypatch):
    import grnbench.deep as deep
    from grnbench.data.protocols import parse_protocols
    from grnbench.datasets import load_dataset
    from grnbench.execution.plan import build_run_plan
    from grnbench.execution.run_config import BackendOptions
    from grnbench.execution.runner import RunConfig
    from grnbench.execution.task_process import make_request, run_isolated
    from grnbench.registry import load_registry, parse_method_specs

    monkeypatch.setattr(deep, "available_cores", lambda: 2)
    registry = load_registry((PLUGIN,))
    log = tmp_path / "steps.jsonl"
    config = RunConfig(methods=parse_method_specs(f"steppedfit:epochs=5,step_s=0.5,log={log}", registry),
                       protocols=parse_protocols("standard"), plugins=(PLUGIN,), out_dir=tmp_path / "run",
                       backend=BackendOptions(workers=0, use_freed_cores=True))
    dataset = load_dataset("dream4-10-1")
    planned = build_run_plan(config, dataset, registry).tasks[0]
    assert planned.threads == 2  # serial: every core from the start, so the runner offers nothing more
    # the process path run_serial uses, offered 3 threads from the start (as from a freed core)
    output = run_isolated(make_request(planned.task, dataset, 1), planned.limits, offered_threads=lambda: 3)
    assert output.record.status == "ok", output.record.error
    assert output.record.threads == 3 and output.record.thread_history == "1,3"
    steps = _steps(log)
    assert [s["epoch"] for s in steps] == [1, 2, 3, 4, 5] and steps[0]["threads"] == 1 and steps[-1]["threads"] == 3


def test_a_serial_run_records_its_threads(tmp_path, monkeypatch):
    log = tmp_path / "steps.jsonl"
    import grnbench.deep as deep
    from grnbench.cli import main

    monkeypatch.setattr(deep, "available_cores", lambda: 2)
    assert main(["run", "--quiet", "--dataset", "dream4-10-1", "--out", str(tmp_path / "run"), "--plugin", PLUGIN,
                 "--methods", f"steppedfit:epochs=3,step_s=0.2,log={log}", "--workers", "0",
                 "--use-freed-cores"]) == 0
    row = _rows(tmp_path)["steppedfit"]
    assert row["threads"] == 2 and str(row["thread_history"]) == "2"


def test_the_policy_offers_freed_cores_only_when_nothing_else_can_use_them(tmp_path, monkeypatch):
    import grnbench.deep as deep
    from grnbench.data.protocols import parse_protocols
    from grnbench.datasets import load_dataset
    from grnbench.execution.plan import build_run_plan, freed_core_offers
    from grnbench.execution.run_config import BackendOptions
    from grnbench.execution.runner import RunConfig
    from grnbench.registry import load_registry, parse_method_specs

    monkeypatch.setattr(deep, "available_cores", lambda: 4)
    registry = load_registry((PLUGIN,))

    def plan(**backend):
        config = RunConfig(methods=parse_method_specs("threadcount,steppedfit,correlation,genie3", registry),
                           protocols=parse_protocols("standard"), plugins=(PLUGIN,), out_dir=tmp_path / "run",
                           backend=BackendOptions(**{"use_freed_cores": True, **backend}))
        return build_run_plan(config, load_dataset("dream4-10-1"), registry)

    p = plan()
    index = {t.task.method.name: t.index for t in p.tasks}
    fit, other, corr, per_target = index["steppedfit"], index["threadcount"], index["correlation"], index["genie3"]
    assert p.tasks[fit].threads == 2
    assert freed_core_offers(p, {fit: 2}, queued=1) == {}  # a queued task takes the free slot
    assert freed_core_offers(p, {fit: 2, per_target: 1}, queued=0) == {}  # its targets take them
    assert freed_core_offers(p, {fit: 2, corr: 1}, queued=0) == {fit: 3}
    assert freed_core_offers(p, {fit: 2}, queued=0) == {fit: 4}
    assert sorted(freed_core_offers(p, {fit: 1, other: 1}, queued=0).values()) == [2, 2]
    assert freed_core_offers(p, {fit: 4}, queued=0) == {}
    # off: without the option, with --threads-per-worker, on the user's cluster
    assert not plan(use_freed_cores=False).use_freed_cores
    assert not plan(threads_per_worker=1).use_freed_cores
    assert not plan(scheduler="tcp://127.0.0.1:1").use_freed_cores
    # how a row is computed, not what: the cache keys do not depend on the option
    assert [t.key for t in p.tasks] == [t.key for t in plan(use_freed_cores=False).tasks]


@pytest.mark.slow
def test_a_keras_fit_resumes_at_the_next_epoch_on_more_threads(tmp_path, monkeypatch):
    spec = "cnnc:filters=4,dense_units=16,epochs=6,batch_size=64,selection=shared,patience=0"
    assert _run(tmp_path, monkeypatch, f"threadcount,{spec}", "--use-freed-cores", "--folds", "0") == 0
    row = _rows(tmp_path)["cnnc"]
    assert row["status"] == "ok" and str(row["thread_history"]) == "1,2"
    curve = pd.read_csv(tmp_path / "run" / "curves.csv")
    curve = curve[curve["method"].str.startswith("cnnc")]
    assert curve["epoch"].tolist() == [1, 2, 3, 4, 5, 6]  # each once: the new process resumed after the checkpoint
    assert curve["wall_s"].is_monotonic_increasing  # its clock continues the first process's


def test_the_option_in_a_config_file_and_its_conflicts(tmp_path, capsys):
    from grnbench.cli import build_parser, main
    from grnbench.execution.config_file import parse_run_with_config

    config = tmp_path / "bench.yml"
    config.write_text("dataset: dream4-10-1\nmethods: [correlation]\nuse-freed-cores: true\n")
    parser = build_parser()
    argv = ["run", "--config", str(config)]
    assert parse_run_with_config(parser, argv, parser.parse_args(argv)).use_freed_cores is True
    # asked for on a cluster whose cores are not the run's: one line, exit 2
    assert main(["run", "--quiet", "--dataset", "dream4-10-1", "--methods", "correlation", "--out", str(tmp_path / "o"),
                 "--use-freed-cores", "--threads-per-worker", "2"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--use-freed-cores with --threads-per-worker" in err[0]
