"""The runner: Dask execution (LocalCluster and a separately started scheduler + workers),
cache and resume, failure isolation, timeouts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

from grnbench.cli import main

PLUGIN = str(Path(__file__).with_name("plugins_for_tests.py"))


def run(out, *args):
    return main(["run", "--quiet", "--dataset", "dream4-10-1", "--out", str(out), "--plugin", PLUGIN, *args])


def manifest(out):
    return json.loads((Path(out) / "manifest.json").read_text())


def results(out):
    return pd.read_csv(Path(out) / "results.csv").sort_values(["method", "protocol", "repeat"]).reset_index(drop=True)


def test_local_cluster_gives_the_same_results_as_serial(tmp_path):
    args = ["--methods", "random,correlation", "--protocol", "standard,noise:repeats=2", "--no-cache"]
    assert run(tmp_path / "serial", *args, "--workers", "0") == 0
    assert run(tmp_path / "dask", *args, "--workers", "2") == 0
    a, b = results(tmp_path / "serial"), results(tmp_path / "dask")
    assert len(a) == 6
    pd.testing.assert_series_equal(a["aupr"], b["aupr"])
    assert manifest(tmp_path / "dask")["execution"]["backend"] == "dask"
    assert manifest(tmp_path / "dask")["execution"]["workers"] == 2


def test_rerun_is_all_cache_hits_and_force_recomputes_one_method(tmp_path):
    args = ["--methods", "random,correlation", "--protocol", "standard,subsample:repeats=2", "--workers", "0"]
    assert run(tmp_path, *args) == 0
    first = results(tmp_path)
    assert manifest(tmp_path)["cache"] == {"hits": 0, "computed": 6}
    assert run(tmp_path, *args) == 0
    assert manifest(tmp_path)["cache"] == {"hits": 6, "computed": 0}
    pd.testing.assert_series_equal(first["aupr"], results(tmp_path)["aupr"])
    assert results(tmp_path)["cached"].all()
    assert run(tmp_path, *args, "--force", "correlation") == 0
    assert manifest(tmp_path)["cache"] == {"hits": 3, "computed": 3}
    # a changed parameter is a different cache key
    assert run(tmp_path, "--methods", "slowcorr:sleep=0", "--workers", "0") == 0
    assert run(tmp_path, "--methods", "slowcorr:sleep=0.01", "--workers", "0") == 0
    assert manifest(tmp_path)["cache"] == {"hits": 0, "computed": 1}


def test_a_failing_method_is_recorded_not_cached_and_the_others_finish(tmp_path, monkeypatch):
    monkeypatch.delenv("GRNBENCH_TEST_HEAL", raising=False)
    assert run(tmp_path, "--methods", "failing,correlation", "--workers", "0") == 1  # results written, status 1
    frame = results(tmp_path).set_index("method")
    assert frame.loc["failing", "status"] == "failed"
    assert "deliberate failure" in frame.loc["failing", "error"]
    assert frame.loc["correlation", "status"] == "ok"
    monkeypatch.setenv("GRNBENCH_TEST_HEAL", "1")
    assert run(tmp_path, "--methods", "failing,correlation", "--workers", "0") == 0
    assert manifest(tmp_path)["cache"] == {"hits": 1, "computed": 1}
    assert results(tmp_path).set_index("method").loc["failing", "status"] == "ok"


def test_a_task_over_its_time_limit_is_recorded_as_timeout(tmp_path):
    assert run(tmp_path, "--methods", "slowcorr:sleep=60,correlation", "--workers", "2",
               "--timeout", "slowcorr=3") == 1
    frame = results(tmp_path).set_index("method")
    assert frame.loc["slowcorr:sleep=60.0", "status"] == "timeout"
    assert "3 s time limit" in frame.loc["slowcorr:sleep=60.0", "error"]
    assert frame.loc["correlation", "status"] == "ok"


def test_killed_run_resumes_with_only_the_missing_tasks(tmp_path):
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "grnbench", "run", "--quiet", "--dataset", "dream4-10-1", "--out", str(out),
           "--plugin", PLUGIN, "--methods", "slowcorr:sleep=1", "--protocol", "noise:repeats=8", "--workers", "0"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline:
        done = len(list((out / "cache").glob("*.json"))) if (out / "cache").is_dir() else 0
        if done >= 3:
            break
        time.sleep(0.1)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = len(list((out / "cache").glob("*.json")))
    assert 3 <= finished < 8
    assert main(cmd[3:]) == 0
    info = manifest(out)["cache"]
    assert info == {"hits": finished, "computed": 8 - finished}
    assert (results(out)["status"] == "ok").sum() == 8


def test_runs_on_a_scheduler_file_cluster_and_survives_a_worker_killed_mid_task(tmp_path):
    import psutil

    bindir = Path(sys.executable).parent
    sched_file = tmp_path / "scheduler.json"
    procs = [subprocess.Popen([str(bindir / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0",
                               "--no-dashboard", "--scheduler-file", str(sched_file)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        for _ in range(600):
            if sched_file.is_file() and sched_file.stat().st_size:
                break
            time.sleep(0.1)
        for _ in range(2):
            procs.append(subprocess.Popen([str(bindir / "dask"), "worker", "--scheduler-file", str(sched_file),
                                           "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1"],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        from distributed import Client

        with Client(scheduler_file=str(sched_file), timeout="60s") as client:
            client.wait_for_workers(2, timeout=120)
            address = client.scheduler.address
        out = tmp_path / "run"
        run_cmd = [sys.executable, "-m", "grnbench", "run", "--quiet", "--dataset", "dream4-10-1", "--out", str(out),
                   "--plugin", PLUGIN, "--methods", "slowcorr:sleep=15,random,correlation",
                   "--protocol", "standard,noise:repeats=2", "--scheduler-file", str(sched_file)]
        run_proc = subprocess.Popen(run_cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        # the worker hosting slowcorr's task process (a `dask worker` runs tasks as `python -m
        # grnbench.execution.task_process`); SIGKILL it mid-task: its nanny starts a fresh worker
        victim = None
        for _ in range(3000):
            for proc in psutil.Process(procs[1].pid).children(recursive=True) + \
                    psutil.Process(procs[2].pid).children(recursive=True):
                try:
                    if "grnbench.execution.task_process" in " ".join(proc.cmdline()) and proc.create_time() < time.time() - 3:
                        victim = proc.parent()
                except psutil.Error:
                    continue
            if victim is not None or run_proc.poll() is not None:
                break
            time.sleep(0.1)
        assert victim is not None, "no task process seen on the workers"
        victim.kill()
        _, err = run_proc.communicate(timeout=600)
        assert "Traceback" not in err
        info = manifest(out)["execution"]
        assert info["backend"] == "dask" and info["scheduler"] == address
        frame = results(out)
        assert len(frame) == 9 and (frame["status"] == "ok").all(), frame[["method", "status", "error"]]
        assert (out / "report.html").is_file()
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            p.wait(timeout=30)


def test_unreachable_scheduler_is_one_line(capsys):
    code = main(["run", "--quiet", "--methods", "random", "--dataset", "dream4-10-1",
                 "--scheduler", "tcp://127.0.0.1:9", "--no-cache", "--out", "/tmp/grnbench-unreachable"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "cannot connect to the Dask scheduler" in err and "\n" not in err


def test_per_target_methods_run_their_targets_on_the_runner_cluster_without_deadlock(tmp_path):
    # one single-threaded worker: the outer task must give its slot to its own targets
    args = ["--methods", "grnboost2,genie3:n_estimators=20,correlation", "--no-cache"]
    assert run(tmp_path / "dask", *args, "--workers", "1") == 0
    assert run(tmp_path / "serial", *args, "--workers", "0") == 0
    a, b = results(tmp_path / "dask"), results(tmp_path / "serial")
    assert (a["status"] == "ok").all()
    pd.testing.assert_series_equal(a["aupr"], b["aupr"])
