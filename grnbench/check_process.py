"""``grnbench check`` with the method's checks in a child process.

Why: a method whose ``fit`` (or ``score_edges``, or constructor) calls ``os._exit``, segfaults
in native code or is killed takes its process with it. Run in ``grnbench check``'s own
process that is a silent exit with no report; run in a child, it is one failed check saying
which check was running and how the process ended, and the other methods are still checked.

The child is forked (not spawned) because plugin classes live in modules that exist only in
this process (``--plugin`` files): a fork inherits them, the dataset and the registry without
pickling. The checks send each result as it ends, so what ran before the death is kept.
"""

from __future__ import annotations

import multiprocessing
import time
from typing import Any

from grnbench.api import Method
from grnbench.data.dataset import Dataset
from grnbench.execution.task_process import how_it_ended
from grnbench.testing import CheckReport, CheckResult, check_method

#: the check line that reports a method which ended the check's process
PROCESS_CHECK = "process survives the method"


def check_method_isolated(cls: type[Method], *, dataset: Dataset | None, seed: int, registry: Any) -> CheckReport:
    """``check_method(cls, ...)`` in a forked child; a child that ends without its report gives
    the results it sent plus one failed check naming the running check and the exit status."""
    started = time.perf_counter()
    ctx = multiprocessing.get_context("fork")
    parent_conn, child_conn = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child, args=(child_conn, cls, dataset, seed, registry), daemon=False,
                          name="grnbench-check")
    process.start()
    child_conn.close()
    results: list[CheckResult] = []
    running = "starting the checks"
    report: CheckReport | None = None
    try:
        while report is None:
            try:
                kind, value = parent_conn.recv()
            except (EOFError, OSError):
                break
            if kind == "report":
                report = value
            elif value[1] is None:
                running = value[0]
            else:
                results.append(value[1])
    finally:
        parent_conn.close()
        process.join(10.0)
        if process.exitcode is None:
            process.kill()
            process.join()
    if report is not None:
        return report
    name = str(getattr(cls, "name", cls.__name__))
    source = registry.sources.get(name)
    report = CheckReport(name, source.describe() if source is not None else cls.__qualname__, results)
    report.results.append(CheckResult(PROCESS_CHECK, False,
                                      f"the method ended the check's process during '{running}': it "
                                      f"{how_it_ended(process.exitcode)} (os._exit, sys.exit, a kill or a crash "
                                      "in native code); a method must raise an exception instead"))
    report.seconds = time.perf_counter() - started
    return report


def _child(conn: Any, cls: type[Method], dataset: Dataset | None, seed: int, registry: Any) -> None:
    report = check_method(cls, dataset=dataset, seed=seed, registry=registry, raise_on_failure=False,
                          on_step=lambda check, result: conn.send(("step", (check, result))))
    conn.send(("report", report))
    conn.close()
