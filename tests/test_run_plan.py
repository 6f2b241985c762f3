"""The run plan is decided once and is what runs: the printed plan, the manifest and the
backends agree (real LocalCluster workers and task processes), and plugin files are executed
once, in the parent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

PLUGIN = str(Path(__file__).with_name("plugins_for_tests.py"))


def _config(methods: str, out: Path, registry, **backend):
    from grnbench.data.protocols import parse_protocols
    from grnbench.execution.backends import BackendOptions
    from grnbench.execution.runner import RunConfig
    from grnbench.registry import parse_method_specs

    return RunConfig(methods=parse_method_specs(methods, registry), protocols=parse_protocols("standard"),
                     plugins=(PLUGIN,), out_dir=out, backend=BackendOptions(**backend))


def test_the_printed_plan_is_what_the_backends_used_on_a_partly_cached_multi_dataset_run(tmp_path, monkeypatch):
    import grnbench.deep as deep
    from grnbench.datasets import load_dataset
    from grnbench.execution.backends import TaskWatch
    from grnbench.execution.plan import build_run_plan, plan_lines, plan_machine
    from grnbench.execution.runner import execute_plan
    from grnbench.registry import load_registry

    registry = load_registry((PLUGIN,))
    one, two = load_dataset("dream4-10-1"), load_dataset("dream4-10-2")
    out = tmp_path / "run"
    # the first run puts dataset one's tasks in the cache
    first = build_run_plan(_config("threadcount,correlation", out, registry, workers=0), [one], registry)
    assert all(r.status == "ok" for r in execute_plan(first).records)

    monkeypatch.setattr(deep, "available_cores", lambda: 3)  # the CPU affinity, read once by the plan
    config = _config("threadcount,correlation", out, registry)
    plan = build_run_plan(config, [one, two], registry, plan_machine(config.backend))
    assert plan.machine.cores == 3 and plan.machine.workers == 3 and plan.machine.threads_per_worker == 1
    assert [t.cached for t in plan.tasks] == [True, True, False, False]
    # one multithreaded task left to run: it gets every core of the cluster (the cached one
    # and the other dataset's configured fit do not count)
    assert plan.threaded_share == 3
    printed = "\n".join(plan_lines(plan))
    assert "4 task(s): 2 to run, 2 from the cache; LocalCluster: 3 worker(s) × 1 thread(s)" in printed

    notes: dict[int, str] = {}
    watch = TaskWatch(on_progress=lambda i, event: notes.setdefault(i, event.note))
    summary = execute_plan(plan, watch=watch)
    assert all(r.status == "ok" for r in summary.records) and summary.cache_hits == 2
    threadcount = next(t for t in plan.to_run if t.task.method.name == "threadcount")
    assert notes[threadcount.index] == f"n_threads={threadcount.threads}" == "n_threads=3"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["execution"]["workers"] == plan.machine.workers == 3
    assert manifest["plan"]["threads_per_threaded_task"] == 3
    assert [t["threads"] for t in manifest["plan"]["tasks"]] == [t.threads for t in plan.tasks]


def test_failed_rows_carry_the_same_columns_as_finished_ones(tmp_path):
    import pandas as pd

    from grnbench.cli import main

    out = tmp_path / "run"
    code = main(["run", "--plugin", PLUGIN, "--methods", "correlation,slowcorr", "--dataset", "dream4-10-1",
                 "--protocol", "noise:repeats=1", "--timeout", "slowcorr=0.2", "--workers", "0", "--out", str(out),
                 "--quiet"])
    assert code == 1
    rows = pd.read_csv(out / "results.csv").set_index("method")
    assert rows.loc["slowcorr", "status"] == "timeout" and rows.loc["correlation", "status"] == "ok"
    assert rows.loc["slowcorr", "seed"] == rows.loc["correlation", "seed"] != 0  # the trial seed, not the run seed
    assert json.loads(rows.loc["slowcorr", "parameters"]) == {"sleep": 1.0}  # full, not only the user's


def test_a_plugin_file_is_executed_once_whatever_the_number_of_tasks_and_processes(tmp_path):
    plugin = tmp_path / "counted.py"
    plugin.write_text(textwrap.dedent("""
        import os
        with open(os.environ["GRNBENCH_TEST_COUNT"], "a") as f:
            f.write(f"{os.getpid()}\\n")
        import numpy as np
        from grnbench.api import Method

        class Counted(Method):
            name = "counted"
            description = "test plugin: counts how often its file is executed"

            def fit(self, data):
                self._n = data.dataset.n_genes

            def score_edges(self, pairs):
                return pairs.targets.astype(float) / self._n
    """))
    count = tmp_path / "count.txt"
    env = {**os.environ, "GRNBENCH_TEST_COUNT": str(count)}
    for workers in ("0", "2"):
        count.write_text("")
        done = subprocess.run([sys.executable, "-m", "grnbench", "run", "--plugin", str(plugin), "--methods", "counted",
                               "--dataset", "dream4-10-1,dream4-10-2", "--protocol", "standard:repeats=2",
                               "--workers", workers, "--out", str(tmp_path / f"run{workers}"), "--quiet"],
                              env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        assert len(count.read_text().split()) == 1, (workers, count.read_text())


def test_the_worker_count_follows_the_cpu_affinity(tmp_path):
    """Under ``taskset -c 0`` the plan and the LocalCluster both see one core."""
    import shutil

    import pytest

    if shutil.which("taskset") is None or len(os.sched_getaffinity(0)) < 2:
        pytest.skip("needs taskset and at least two cores to restrict")
    out = tmp_path / "run"
    done = subprocess.run(["taskset", "-c", "0", sys.executable, "-m", "grnbench", "run", "--methods",
                           "correlation,random", "--dataset", "dream4-10-1", "--out", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "LocalCluster: 1 worker(s) × 1 thread(s)" in done.stdout
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["execution"]["workers"] == 1 == manifest["plan"]["machine"]["workers"]
