"""Wall time, CPU time and peak memory, measured the same way for every method.

Peak memory is the highest resident set size of the process seen by a 20 ms sampling thread
while the block runs, minus the RSS at entry: it counts native allocations (TensorFlow,
XGBoost) that ``tracemalloc`` cannot see. CPU time is the process's user + system time,
which includes the method's own threads.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import psutil


@dataclass
class Measurement:
    wall_s: float = 0.0
    cpu_s: float = 0.0
    peak_mb: float = 0.0

    def __add__(self, other: Measurement) -> Measurement:
        """Two steps one after the other (the fits of a cross-validation): times add up, the
        peak is the larger one."""
        return Measurement(self.wall_s + other.wall_s, self.cpu_s + other.cpu_s, max(self.peak_mb, other.peak_mb))


class ResourceMeter:
    """Context manager filling a ``Measurement``."""

    def __init__(self, interval: float = 0.02) -> None:
        self.result = Measurement()
        self._interval = interval
        self._process = psutil.Process()
        self._stop = threading.Event()

    def _sample(self) -> None:
        while not self._stop.wait(self._interval):
            self._peak = max(self._peak, self._process.memory_info().rss)

    def __enter__(self) -> Measurement:
        self._start_rss = self._peak = self._process.memory_info().rss
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        self._cpu0 = self._process.cpu_times()
        self._t0 = time.perf_counter()
        return self.result

    def __exit__(self, *exc: object) -> None:
        self.result.wall_s = time.perf_counter() - self._t0
        cpu1 = self._process.cpu_times()
        self.result.cpu_s = (cpu1.user - self._cpu0.user) + (cpu1.system - self._cpu0.system)
        self._stop.set()
        self._thread.join()
        self._peak = max(self._peak, self._process.memory_info().rss)
        self.result.peak_mb = (self._peak - self._start_rss) / 2**20


def tree_rss(pid: int) -> tuple[int, int]:
    """Resident bytes of a process and all its descendants, and how many processes that is.

    Why a tree: a task's child process, Dask workers and their helpers are separate processes;
    one process's RSS says nothing about what a task or a run costs. Pages shared between
    processes (a forkserver's children) are counted once per process, so this overstates a
    little. A process that is gone counts 0."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0, 0
    total = 0
    for proc in procs:
        try:
            total += proc.memory_info().rss
        except psutil.Error:
            pass
    return total, len(procs)
