"""A task's peak memory counts the processes it starts (GENIE3's joblib workers, a
per-target LocalCluster), not only its own: measured on a real child that allocates."""

from __future__ import annotations

import subprocess
import sys

from grnbench.execution.resources import ResourceMeter

ALLOCATE = "import time; block = bytearray(300 * 2**20); time.sleep(1.5)"  # 300 MB, touched by bytearray's zeroing


def test_peak_memory_counts_the_child_processes_of_the_measured_block():
    with ResourceMeter() as own:
        sum(range(10_000))
    with ResourceMeter() as with_child:
        subprocess.run([sys.executable, "-c", ALLOCATE], check=True)
    assert with_child.peak_mb > 250, with_child  # the child's 300 MB, which the parent never holds
    assert own.peak_mb < 50
