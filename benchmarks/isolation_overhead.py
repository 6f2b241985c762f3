"""What running each task in its own process costs (grnbench.execution.task_process).

Usage: python benchmarks/isolation_overhead.py [--tasks 10] [--out benchmarks/results/isolation_overhead.txt]

Times the same millisecond tasks (correlation and random on dream4-10-1, noise repeats) three
ways: in this process (``execute_task``, what ``--workers 0`` did before), in a forkserver
child (serial runner and grnbench's LocalCluster workers; the server's one-off start is
reported separately), and in a fresh ``python -m grnbench.execution.task_process`` (the path inside
daemonic ``dask worker`` processes). The tasks themselves take milliseconds, so the
difference per task is the isolation's overhead. Prints and saves one line per way.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from grnbench.data.protocols import parse_protocols
from grnbench.datasets import load_dataset
from grnbench.execution import task_process
from grnbench.execution.tasks import Task, execute_task
from grnbench.registry import load_registry, parse_method_specs

ROOT = Path(__file__).resolve().parents[1]


def tasks(n: int) -> list[Task]:
    registry = load_registry(())
    methods = parse_method_specs("correlation,random", registry)
    protocol = parse_protocols(f"noise:repeats={max(1, n // 2)}")[0]
    return [Task(method=m, dataset="dream4-10-1", protocol=protocol, repeat=r, seed=0)
            for r in range(protocol.repeats) for m in methods][:n]


def timed(run, items) -> list[float]:
    out = []
    for item in items:
        t = time.perf_counter()
        result = run(item)
        out.append(time.perf_counter() - t)
        assert result.record.status == "ok", result.record.error
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "isolation_overhead.txt"))
    args = parser.parse_args()
    dataset = load_dataset("dream4-10-1")
    work = tasks(args.tasks)
    lines = [f"# isolation overhead, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores, "
             f"load average {os.getloadavg()[0]:.1f} at start, {len(work)} tasks of milliseconds"]

    inproc = timed(lambda t: execute_task(t, dataset), work)
    t = time.perf_counter()
    timed(lambda t: task_process.run_isolated(task_process.make_request(t, dataset)), work[:1])
    server_start = time.perf_counter() - t
    forked = timed(lambda t: task_process.run_isolated(task_process.make_request(t, dataset)), work)
    task_process._may_fork_helpers = lambda: False  # the daemonic-worker path
    fresh = timed(lambda t: task_process.run_isolated(task_process.make_request(t, dataset)), work)

    def line(name: str, values: list[float], extra: str = "") -> str:
        return (f"{name:<38} median {statistics.median(values) * 1000:7.0f} ms/task  "
                f"max {max(values) * 1000:7.0f} ms{extra}")

    lines += [line("in this process (no isolation)", inproc),
              line("forkserver child", forked, f"  (server start, once per process: {server_start:.1f} s)"),
              line("python -m grnbench.execution.task_process", fresh),
              f"# load average at end {os.getloadavg()[0]:.1f}"]
    print("\n".join(lines))
    Path(args.out).write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
