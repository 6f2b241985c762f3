"""The slot rule on Dask: per-target methods and their targets come before whole-model fits,
and concurrent per-target methods advance together (grnbench.execution.backends, grnbench.per_target)."""

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
    from grnbench.data.protocols import parse_protocols
    from grnbench.datasets import load_dataset
    from grnbench.execution.backends import TaskWatch
    from grnbench.execution.plan import build_run_plan
    from grnbench.execution.run_config import BackendOptions
    from grnbench.execution.runner import RunConfig, execute_plan
    from grnbench.registry import load_registry, parse_method_specs

    registry = load_registry((PLUGIN,))
    # three tasks on one thread: more than twice the threads, so the scheduler queues them
    # (Dask's root-ish rule) and hands each free slot to the highest priority; see the
    # limitation for fewer tasks in docs/running.md
    methods = "slowcorr:sleep=20,correlation,genie3:n_estimators=10"
    config = RunConfig(methods=parse_method_specs(methods, registry),
                       protocols=parse_protocols("standard"), plugins=(PLUGIN,), out_dir=tmp_path,
                       use_cache=False, backend=BackendOptions(workers=1))
    dataset = load_dataset("dream4-10-1")
    plan = build_run_plan(config, dataset, registry)
    tasks = [t.task for t in plan.tasks]
    events: list[tuple[float, str, str]] = []
    watch = TaskWatch(on_start=lambda i: events.append((time.monotonic(), "start", tasks[i].method.name)))
    summary = execute_plan(plan, watch=watch,
                            on_result=lambda task, record: events.append((time.monotonic(), "done", task.method.name)))
    assert all(r.status == "ok" for r in summary.records)
    order = [(kind, name) for _, kind, name in sorted(events)]
    # One slot. The control (priority 30) starts first, then GENIE3 (20) although listed last; its targets (10-11)
    # then run before the 20-second fit listed first (0). Had the fit taken the slot GENIE3
    # freed, GENIE3's remaining targets would wait for it and GENIE3 would end after it.
    assert order.index(("start", "correlation")) < order.index(("start", "genie3")), order
    assert order.index(("start", "genie3")) < order.index(("start", "slowcorr")), order
    assert order.index(("done", "genie3")) < order.index(("done", "slowcorr")), order


def test_whole_model_fits_start_longest_expected_first():
    """Controls first, then per-target methods, then whole-model fits longest expected first."""
    from grnbench.data.protocols import parse_protocols
    from grnbench.datasets import load_dataset
    from grnbench.execution.cost import expected_fit_s
    from grnbench.execution.plan import (
        CHEAP_PRIORITY,
        PER_TARGET_PRIORITY,
        WHOLE_MODEL_PRIORITY,
        build_run_plan,
        plan_machine,
    )
    from grnbench.execution.run_config import BackendOptions
    from grnbench.execution.runner import RunConfig
    from grnbench.registry import load_registry, parse_method_specs

    registry = load_registry()
    dataset = load_dataset("dream4-100-1")
    specs = parse_method_specs("correlation,psgrn,genie3,cnnc,dgrns,cnnc:epochs=3", registry)
    config = RunConfig(methods=specs, protocols=parse_protocols("standard"), use_cache=False,
                       backend=BackendOptions(workers=1))
    plan = build_run_plan(config, dataset, registry, plan_machine(config.backend, cores=1))
    priorities = {t.index: t.priority for t in plan.tasks}
    by_name = {spec.label: priorities[i] for i, spec in enumerate(specs)}
    assert by_name["genie3"] == PER_TARGET_PRIORITY
    assert by_name["correlation"] == CHEAP_PRIORITY > PER_TARGET_PRIORITY  # a control: seconds, first
    whole = [(i, s) for i, s in enumerate(specs) if s.name not in ("genie3", "correlation")]
    expected = {s.label: expected_fit_s(registry.get(s.name), {**registry.get(s.name).parameters, **dict(s.params)}, dataset)
                for _, s in whole}
    assert sorted(expected, key=expected.get) == sorted(expected, key=by_name.get)
    assert by_name["cnnc"] > by_name["cnnc:epochs=3"] > WHOLE_MODEL_PRIORITY
    assert max(by_name[label] for label in expected) == WHOLE_MODEL_PRIORITY + 0.9 < 10


def test_deep_tasks_share_the_local_clusters_cores(monkeypatch):
    import grnbench.deep as deep
    from grnbench.registry import load_registry

    monkeypatch.setattr(deep, "available_cores", lambda: 16)
    assert deep.shared_task_threads(16, 3) == 5      # PSGRN, CNNC, DGRNS on 16 cores
    assert deep.shared_task_threads(2, 3) == 1       # this project's 2-core machine
    assert deep.shared_task_threads(64, 3) == 5      # never more than the cores
    assert deep.shared_task_threads(16, 0) == 16
    assert deep.shared_task_threads(16, 40) == 1     # many repeats: one thread each
    registry = load_registry()
    assert all(registry.get(n).uses_threads for n in ("psgrn", "cnnc", "dgrns", "psgrn-lstm-dn"))
    assert not any(registry.get(n).uses_threads for n in ("genie3", "node", "correlation"))


def _threads_given(tmp_path, backend) -> str:
    from grnbench.data.protocols import parse_protocols
    from grnbench.datasets import load_dataset
    from grnbench.execution.backends import TaskWatch
    from grnbench.execution.runner import RunConfig, run_benchmark
    from grnbench.registry import load_registry, parse_method_specs

    registry = load_registry((PLUGIN,))
    config = RunConfig(methods=parse_method_specs("threadcount,correlation", registry),
                       protocols=parse_protocols("standard"), plugins=(PLUGIN,), out_dir=tmp_path,
                       use_cache=False, backend=backend)
    notes: list[str] = []
    watch = TaskWatch(on_progress=lambda i, event: notes.append(event.note))
    summary = run_benchmark(config, load_dataset("dream4-10-1"), watch=watch)
    assert all(r.status == "ok" for r in summary.records)
    return next(n for n in notes if n.startswith("n_threads="))


def test_a_deep_task_alone_gets_every_core_of_the_local_cluster_unless_told(tmp_path):
    from grnbench.deep import available_cores
    from grnbench.execution.run_config import BackendOptions

    # real Dask workers and task processes: the child's TrainingData.n_threads is what it reports
    share = min(2, available_cores())
    assert _threads_given(tmp_path / "a", BackendOptions(workers=2)) == f"n_threads={share}"
    assert _threads_given(tmp_path / "b", BackendOptions(workers=2, threads_per_worker=1)) == "n_threads=1"
