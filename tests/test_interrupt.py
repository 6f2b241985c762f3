"""Ctrl-C on a LocalCluster run, as a terminal sends it: SIGINT to the whole process group
(grnbench, its Dask workers and their helpers). One line on stderr, exit 130, no Dask
traceback, finished tasks kept, and the same command resumes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest

PLUGIN = str(Path(__file__).with_name("plugins_for_tests.py"))


def run_command(out: Path) -> list[str]:
    return [sys.executable, "-m", "grnbench", "run", "--dataset", "dream4-10-1", "--out", str(out),
            "--plugin", PLUGIN, "--methods", "correlation,random,slowcorr:sleep=6", "--workers", "2"]


@pytest.mark.slow  # a LocalCluster run twice (about a minute on the shared machine)
def test_ctrl_c_on_a_local_cluster_run_is_one_line_and_the_rerun_resumes(tmp_path):
    out = tmp_path / "run"
    # a new session: its own process group, which receives the SIGINT as a terminal's would
    proc = subprocess.Popen(run_command(out), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        if (out / "results.csv").is_file() and len(pd.read_csv(out / "results.csv")) >= 2:
            break
        time.sleep(0.2)
    assert proc.poll() is None, proc.communicate()
    group = [p for p in psutil.process_iter() if _pgid(p.pid) == proc.pid]
    os.killpg(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr
    last = stderr.strip().splitlines()[-1]
    assert last == "grnbench: interrupted; finished tasks are saved, re-run the same command to resume"
    assert len(group) > 1  # the signal really reached the workers too
    psutil.wait_procs([p for p in group if p.is_running()], timeout=30)
    assert not [p for p in group if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    kept = pd.read_csv(out / "results.csv")
    assert {"correlation", "random"} <= set(kept.method) and not any(m.startswith("slowcorr") for m in kept.method)

    rerun = subprocess.run(run_command(out), capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert "2 from the cache" in rerun.stdout, rerun.stdout  # the finished tasks are not run again
    assert set(pd.read_csv(out / "results.csv").method) == {"correlation", "random", "slowcorr:sleep=6.0"}


def _pgid(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except OSError:
        return None
