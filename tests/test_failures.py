"""Fault isolation with real processes: a task that crashes its process, blows its memory
limit or overruns its time limit is one row; every other task is `ok`; the run still writes
results.csv, manifest.json and report.html."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from grnbench.cli import main

PLUGIN = str(Path(__file__).with_name("plugins_for_tests.py"))
#: crash, memory blow-up and a 10-minute sleep, beside two innocent tasks
MATRIX = "crashing,memoryhog:mb=4000,slowcorr:sleep=600,correlation,random"


def run(out, *args):
    return main(["run", "--quiet", "--dataset", "dream4-10-1", "--out", str(out), "--plugin", PLUGIN, *args])


def statuses(out) -> dict[str, tuple[str, str]]:
    frame = pd.read_csv(Path(out) / "results.csv", keep_default_na=False)
    return {row.method: (row.status, row.error) for row in frame.itertuples()}


def assert_matrix_recorded(out) -> None:
    found = statuses(out)
    assert found["crashing"][0] == "failed" and "exited with code 1" in found["crashing"][1]
    assert found["memoryhog:mb=4000"][0] == "oom" and "memory limit" in found["memoryhog:mb=4000"][1]
    assert found["slowcorr:sleep=600.0"][0] == "timeout" and "10 s time limit" in found["slowcorr:sleep=600.0"][1]
    assert found["correlation"][0] == "ok" and found["random"][0] == "ok"
    assert (Path(out) / "manifest.json").is_file() and (Path(out) / "report.html").is_file()


@pytest.mark.parametrize("workers", ["0", "2"], ids=["serial", "dask-2-workers"])
def test_crash_oom_and_timeout_each_cost_one_row_and_the_run_finishes(tmp_path, workers):
    code = run(tmp_path, "--methods", MATRIX, "--workers", workers, "--memory-limit", "400MB",
               "--timeout", "slowcorr=10", "--no-cache")
    assert code in (0, 1)  # exit status of a run with failures belongs to the CLI's contract
    assert_matrix_recorded(tmp_path)


def test_time_limit_counts_running_time_not_time_queued(tmp_path):
    # one worker, four 2-second tasks: the last waits ~6 s in the queue, more than its limit
    assert run(tmp_path, "--methods", "slowcorr:sleep=2", "--protocol", "noise:repeats=4", "--workers", "1",
               "--timeout", "7", "--no-cache") == 0
    assert {s for s, _ in [tuple(r) for r in pd.read_csv(tmp_path / "results.csv")[["status", "error"]]
                           .fillna("").itertuples(index=False)]} == {"ok"}


@pytest.mark.parametrize("workers", ["0", "1"], ids=["serial", "dask"])
def test_progress_events_reach_the_run_from_the_task_process(tmp_path, workers):
    from grnbench.data.protocols import parse_protocols
    from grnbench.datasets import load_dataset
    from grnbench.execution.backends import TaskWatch
    from grnbench.execution.run_config import BackendOptions
    from grnbench.execution.runner import RunConfig, run_benchmark
    from grnbench.registry import load_registry, parse_method_specs

    registry = load_registry((PLUGIN,))
    config = RunConfig(methods=parse_method_specs("chatty:steps=3,every=0.3", registry),
                       protocols=parse_protocols("standard"), plugins=(PLUGIN,), out_dir=tmp_path,
                       use_cache=False, backend=BackendOptions(workers=int(workers)))
    started, events = [], []
    watch = TaskWatch(on_start=started.append, on_progress=lambda i, e: events.append((i, e)))
    summary = run_benchmark(config, load_dataset("dream4-10-1"), watch=watch)
    assert summary.records[0].status == "ok"
    assert started == [0]
    assert [(i, e.done, e.total, e.unit) for i, e in events] == [(0, 1, 3, "steps"), (0, 2, 3, "steps"),
                                                                (0, 3, 3, "steps")]


def test_a_killed_task_leaves_no_process_behind(tmp_path):
    import psutil

    before = {p.pid for p in psutil.Process().children(recursive=True)}
    run(tmp_path, "--methods", "slowcorr:sleep=600", "--workers", "0", "--timeout", "3", "--no-cache")
    assert statuses(tmp_path)["slowcorr:sleep=600.0"][0] == "timeout"
    left = [p for p in psutil.Process().children(recursive=True) if p.pid not in before]
    # only the forkserver that forks task processes may remain; no task process
    assert all("forkserver" in " ".join(p.cmdline()) for p in left), [p.cmdline() for p in left]


def test_manifest_records_the_isolation(tmp_path):
    assert run(tmp_path, "--methods", "random", "--workers", "0", "--no-cache") == 0
    info = json.loads((tmp_path / "manifest.json").read_text())["execution"]
    assert info["isolation"] == "one child process per task"
