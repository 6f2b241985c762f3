"""The slot rule on Dask: per-target methods and their targets come before whole-model fits,
and concurrent per-target methods advance together (grnbench.backends, grnbench.per_target)."""

from __future__ import annotations

import time
from pathlib import Path

from grnbench.per_target import inner_priority

PLUGIN = str(Path(__file__).with_name("plugins_for_tests.py"))


def test_inner_priorities_interleave_methods_by_their_share_of_targets():
    big = [inner_priority(i, 1000) for i in range(1000)]
    small = [inner_priority(i, 10) for i in range(10)]
    assert big == sorted(big, reverse=True) and 10 < min(big) and max(big) == 11
    # the small method's 2nd chunk (10 % done) runs before the big one's 101st target
    assert small[1] > big[101] and small[1] < big[99]


def test_a_whole_model_fit_listed_first_does_not_take_the_slot_a_per_target_method_needs(tmp_path):
    from grnbench.backends import BackendOptions, TaskWatch
    from grnbench.datasets import load_dataset
    from grnbench.protocols import parse_protocols
    from grnbench.registry import load_registry, parse_method_specs
    from grnbench.runner import RunConfig, build_tasks, run_benchmark

    registry = load_registry((PLUGIN,))
    # three tasks on one thread: more than twice the threads, so the scheduler queues them
    # (Dask's root-ish rule) and hands each free slot to the highest priority; see the
    # limitation for fewer tasks in docs/running.md
    methods = "slowcorr:sleep=20,correlation,genie3:n_estimators=10"
    config = RunConfig(methods=parse_method_specs(methods, registry),
                       protocols=parse_protocols("standard"), plugins=(PLUGIN,), out_dir=tmp_path,
                       use_cache=False, backend=BackendOptions(workers=1))
    dataset = load_dataset("dream4-10-1")
    tasks = build_tasks(config, dataset)
    events: list[tuple[float, str, str]] = []
    watch = TaskWatch(on_start=lambda i: events.append((time.monotonic(), "start", tasks[i].method.name)))
    summary = run_benchmark(config, dataset, watch=watch,
                            on_result=lambda task, record: events.append((time.monotonic(), "done", task.method.name)))
    assert all(r.status == "ok" for r in summary.records)
    order = [(kind, name) for _, kind, name in sorted(events)]
    # One slot. GENIE3 (priority 20) starts first although listed last; its targets (10-11)
    # then run before the 20-second fit listed first (0). Had the fit taken the slot GENIE3
    # freed, GENIE3's remaining targets would wait for it and GENIE3 would end after it.
    assert order.index(("start", "genie3")) < order.index(("start", "slowcorr")), order
    assert order.index(("done", "genie3")) < order.index(("done", "slowcorr")), order
