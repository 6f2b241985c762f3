"""Wall time, CPU time and peak memory, measured the same way for every method.

Peak memory is the highest resident set size of the process and its child processes seen by
a 20 ms sampling thread while the block runs, minus the RSS at entry: it counts native
allocations (TensorFlow, XGBoost) that ``tracemalloc`` cannot see, and the workers a method
starts (joblib/loky, multiprocessing, a per-target LocalCluster), which the process's own RSS
misses. Listing the descendants reads every process of the machine, so the list is refreshed
every ``CHILDREN_REFRESH_S`` and only the RSS of the known ones is read at each sample; a
child that lives less than that may be missed. CPU time is the process's user + system time,
which includes the method's own threads, plus the CPU seconds the block reports it spent in
processes it does not own (``count_cpu_elsewhere``): a per-target method's targets run as Dask
tasks on the workers, and without them its fit CPU was that of the process waiting for them,
a small fraction of the method's work.
"""

from __future__ import annotations

import threading
import time
from contextvars import ContextVar
from dataclasses import dataclass

import psutil

#: how often the sampling thread lists the process's descendants
CHILDREN_REFRESH_S = 0.25

_elsewhere: ContextVar[list[float] | None] = ContextVar("grnbench_cpu_elsewhere", default=None)


def count_cpu_elsewhere(seconds: float) -> None:
    """Add CPU seconds spent for the measured block in other processes (Dask tasks it
    submitted) to the enclosing ``ResourceMeter``'s ``cpu_s``; nothing outside one."""
    holder = _elsewhere.get()
    if holder is not None:
        holder.append(float(seconds))


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
        children: list[psutil.Process] = []
        refresh_at = 0.0
        while not self._stop.wait(self._interval):
            if time.monotonic() >= refresh_at:
                children = self._children()
                refresh_at = time.monotonic() + CHILDREN_REFRESH_S
            self._peak = max(self._peak, self._rss(children))

    def _children(self) -> list[psutil.Process]:
        try:
            return self._process.children(recursive=True)
        except psutil.Error:
            return []

    def _rss(self, children: list[psutil.Process]) -> int:
        return sum_rss([self._process, *children])

    def __enter__(self) -> Measurement:
        self._cpu_elsewhere: list[float] = []
        self._elsewhere_token = _elsewhere.set(self._cpu_elsewhere)
        self._start_rss = self._peak = self._rss(self._children())
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        self._cpu0 = self._process.cpu_times()
        self._t0 = time.perf_counter()
        return self.result

    def __exit__(self, *exc: object) -> None:
        self.result.wall_s = time.perf_counter() - self._t0
        cpu1 = self._process.cpu_times()
        self.result.cpu_s = (cpu1.user - self._cpu0.user) + (cpu1.system - self._cpu0.system)
        self.result.cpu_s += sum(self._cpu_elsewhere)
        _elsewhere.reset(self._elsewhere_token)
        self._stop.set()
        self._thread.join()
        self._peak = max(self._peak, self._rss(self._children()))
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
    return sum_rss(procs), len(procs)


def sum_rss(procs: list[psutil.Process]) -> int:
    """Resident bytes of these processes; one that ended since it was listed counts 0."""
    total = 0
    for proc in procs:
        try:
            total += proc.memory_info().rss
        except psutil.Error:
            pass
    return total
