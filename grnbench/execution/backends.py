"""Where tasks execute: serially from this process, or on a dask.distributed cluster.

Either way every task runs in a child process of its own (``grnbench.execution.task_process``), which
is what makes a crash, a time limit or a memory blow-up cost only that task. With
``--workers 0`` the runner starts the children one after another; on Dask each benchmark task
is a thin wrapper on a worker thread that starts the child, relays its progress to the run's
console (the worker's event log, topic ``grnbench-progress-<run>``) and enforces the limits.
Because the worker itself never dies for a task, its data and queue survive: nothing is
restarted or resubmitted for a failure. A worker that dies anyway (killed, preempted on a
cluster) has its tasks rerun by the scheduler; one that keeps dying ends as a ``failed`` row.

The dataset is sent as the result of a small task rather than ``scatter``-ed: the scheduler
can recompute it when the workers holding it die, where scattered data would be lost with its
dependants ("already forgotten").

No starvation (the rule, measured in docs/running.md): priorities order the slots. The
controls (``Method.cheap``) start first (priority 30): seconds each. A
per-target method (``uses_dask``) needs a slot only briefly, to submit its targets, so it
starts first (priority 20); its inner per-target tasks come next (priorities in (10, 11],
falling with each method's share of its targets so that concurrent per-target methods advance
together: ``grnbench.per_target.inner_priority``); whole-model fits come last (0 to 1,
the longest expected training first, decided by the run plan: ``grnbench.execution.plan``). A method gives its slot back only
once the scheduler holds its targets, so a freed slot goes to the targets, never to a
whole-model fit that would hold it for its whole training.
"""

from __future__ import annotations

import os
import queue
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from grnbench.data.dataset import Dataset
from grnbench.errors import UserError
from grnbench.execution.plan import PER_TARGET_PRIORITY, WHOLE_MODEL_PRIORITY, freed_core_offers
from grnbench.execution.task_process import TaskLimits, make_request, run_isolated
from grnbench.execution.task_progress import ProgressEvent
from grnbench.execution.tasks import Task, TaskOutput, blank_record

if TYPE_CHECKING:
    from grnbench.execution.plan import PlannedTask, RunPlan

OnDone = Callable[[int, TaskOutput], None]

#: times the runner resubmits a task the scheduler cancelled (not the task's own failure)
RESUBMITS = 2
#: a task whose worker died this many times is failed, not retried on every worker
ALLOWED_FAILURES = 1


@dataclass
class TaskWatch:
    """What the runner's console wants to hear while tasks run (all optional)."""

    on_start: Callable[[int], None] | None = None
    on_progress: Callable[[int, ProgressEvent], None] | None = None
    #: called about twice a second, so elapsed times can be redrawn
    on_tick: Callable[[], None] | None = None

    def start(self, index: int) -> None:
        if self.on_start is not None:
            self.on_start(index)

    def progress(self, index: int, event: ProgressEvent) -> None:
        if self.on_progress is not None:
            self.on_progress(index, event)

    def tick(self) -> None:
        if self.on_tick is not None:
            self.on_tick()


def run_serial(plan: RunPlan, on_done: OnDone, watch: TaskWatch | None = None) -> dict[str, object]:
    """One task after another, each in a child process this process can kill, with the threads
    and limits the plan gave it."""
    watch = watch or TaskWatch()
    datasets = plan.by_name
    to_run = plan.to_run
    for position, planned in enumerate(to_run):
        index = planned.index
        watch.start(index)
        request = make_request(planned.task, datasets[planned.task.dataset], planned.threads)
        # the same policy as on Dask; a serial task already has every core unless the user set
        # --threads-per-worker (then the policy is off), so it offers nothing today
        offers = partial(_offer_of, plan, index, planned.threads, len(to_run) - position - 1)
        output = run_isolated(request, planned.limits, on_progress=lambda event, i=index: watch.progress(i, event),
                              on_tick=watch.tick, offered_threads=offers if plan.use_freed_cores else None)
        on_done(index, output)
    return {"backend": "serial", "isolation": "one child process per task",
            "threads_per_task": plan.machine.threads_per_worker}


def _offer_of(plan: RunPlan, index: int, threads: int, queued: int) -> int | None:
    """The threads ``freed_core_offers`` gives the one running task of a serial run (None: none)."""
    return freed_core_offers(plan, {index: threads}, queued).get(index)


def _dataset_value(dataset: Dataset, gate: str) -> Dataset:
    """The dataset as a task result: recomputable by the scheduler if its holders die.

    It waits (once) for the runner to open ``gate`` after submitting every task, so all the
    run's tasks become ready together: submitted one by one, the first ones found the dataset
    already there, went to a worker before the rest existed, and bypassed the scheduler's
    priority queue (Dask queues a task group only when it is larger than twice the threads).
    """
    from distributed import Event

    Event(gate).wait(timeout=120)
    return dataset


def _task_on_worker(index: int, task: Task, dataset: Dataset, topic: str, n_threads: int, uses_dask: bool,
                    limits: TaskLimits, memory_from_worker: bool, offers_topic: str | None = None) -> TaskOutput:
    """The body of one benchmark task on a Dask worker: run it in a child and relay events.

    ``offers_topic``: the event-log topic on which the runner offers this task more threads
    (``{"index", "threads"}``, see ``run_dask``); None: the task keeps its threads."""
    from distributed import get_worker, secede
    from distributed.worker import thread_state

    worker = get_worker()
    key = getattr(thread_state, "key", None)
    if memory_from_worker and limits.memory_bytes is None:
        worker_memory = getattr(getattr(worker, "memory_manager", None), "memory_limit", None)
        if worker_memory:
            limits = TaskLimits(limits.timeout_s, int(worker_memory) // max(1, worker.state.nthreads))
    worker.log_event(topic, {"index": index, "kind": "start", "worker": worker.address})
    seceded = False

    def release_slot() -> None:
        # No rejoin later: rejoining waits for a free slot, which a whole-model fit may hold for
        # its whole training, and would delay this finished method's result by as long.
        nonlocal seceded
        if not seceded:
            secede()
            seceded = True

    def cancelled() -> bool:
        state = worker.state.tasks.get(key) if key is not None else None
        return state is not None and state.state in ("cancelled", "released", "forgotten")

    def progress(event: ProgressEvent) -> None:
        worker.log_event(topic, {"index": index, "kind": "progress", **event.as_dict()})

    def offered() -> int | None:
        from distributed import get_client

        mine = [msg.get("threads") for _, msg in get_client().get_events(offers_topic)
                if isinstance(msg, dict) and msg.get("index") == index]
        return max(mine, default=None)

    request = make_request(task, dataset, n_threads, worker.scheduler.address, uses_dask)
    return run_isolated(request, limits, on_progress=progress, on_release_slot=release_slot,
                        cancelled=cancelled, offered_threads=offered if offers_topic else None)


def open_client(plan: RunPlan):
    """Connect to the user's scheduler, or start the plan's LocalCluster. Returns (client, owned)."""
    import dask
    from distributed import Client, LocalCluster

    options, machine = plan.config.backend, plan.machine
    if machine.backend == "external":
        target = options.scheduler or options.scheduler_file
        if options.scheduler_file and not os.path.isfile(options.scheduler_file):
            # Client(scheduler_file=...) waits for the file to appear, for ever
            raise UserError(f"--scheduler-file {options.scheduler_file}: no such file; start the scheduler first "
                            f"(`dask scheduler --scheduler-file {options.scheduler_file}`)")
        try:
            if options.scheduler:
                client = Client(options.scheduler, timeout="10s")
            else:
                client = Client(scheduler_file=options.scheduler_file, timeout="10s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise UserError(f"cannot connect to the Dask scheduler at {target}: {exc}; start it with `dask scheduler` and `dask worker ADDRESS`") from None
        return client, False
    dask.config.set({
        # Saturation 1.0: a worker holds only as many benchmark tasks as it has threads, so a
        # slot freed by a per-target method goes to that method's (higher-priority) targets.
        "distributed.scheduler.worker-saturation": 1.0,
        # Tasks run in child processes, so a worker dies only for outside reasons; a task whose
        # worker died twice (e.g. a per-target fit blowing the worker's memory) is failed
        # rather than tried on every worker in turn.
        "distributed.scheduler.allowed-failures": ALLOWED_FAILURES,
        # Non-daemonic workers may start the forkserver that forks task children quickly.
        "distributed.worker.daemon": False,
    })
    cluster = LocalCluster(n_workers=machine.workers, threads_per_worker=machine.threads_per_worker,
                           memory_limit=machine.worker_memory or 0, processes=True,
                           dashboard_address=None, silence_logs=50,
                           # Ctrl-C reaches the workers too: they ignore it, this process stops the run
                           preload=["grnbench.execution.worker_signals"],
                           # a free port, not 8787, so concurrent runs on one machine never collide
                           scheduler_kwargs={"dashboard_address": ":0"})
    return Client(cluster), True


def run_dask(plan: RunPlan, on_done: OnDone, watch: TaskWatch | None = None) -> dict[str, object]:
    """Submit every task of the plan, relay progress, and record every outcome; never raises for a task."""
    from distributed import Event, wait

    watch = watch or TaskWatch()
    datasets = plan.by_name
    client, owned = open_client(plan)
    run_id = uuid.uuid4().hex[:12]
    topic = f"grnbench-progress-{run_id}"
    # the runner's offers of freed cores to running fits: the same event log, the other direction
    offers_topic = f"grnbench-threads-{run_id}" if plan.use_freed_cores else None
    events: queue.SimpleQueue = queue.SimpleQueue()
    client.subscribe_topic(topic, lambda event: events.put(event[1]))
    info: dict[str, object] = {"backend": "dask", "scheduler": client.scheduler.address,
                               "workers": len(client.scheduler_info().get("workers", {})),
                               "threads_per_worker": plan.machine.threads_per_worker,
                               "threads_per_threaded_task": plan.threaded_share,
                               "isolation": "one child process per task",
                               "priorities": {"per-target inner tasks": "10-11", "per-target methods": PER_TARGET_PRIORITY,
                                              "whole-model methods": f"{WHOLE_MODEL_PRIORITY}-{WHOLE_MODEL_PRIORITY + 0.9:g}, longest expected training first"}}
    try:
        to_run = plan.to_run
        gate = Event(f"grnbench-gate-{run_id}", client=client)
        dataset_futures = {name: client.submit(_dataset_value, ds, gate.name, pure=False, priority=100,
                                               key=f"grnbench-dataset-{name}-{run_id}")
                           for name, ds in datasets.items() if any(t.task.dataset == name for t in to_run)}

        def submit(planned: PlannedTask, attempt: int):
            task = planned.task
            return client.submit(_task_on_worker, planned.index, task, dataset_futures[task.dataset], topic,
                                 planned.threads, plan.uses_dask(task.method.name), planned.limits,
                                 plan.machine.memory_from_worker, offers_topic, pure=False, priority=planned.priority,
                                 key=f"grnbench-task-{planned.index}-{attempt}-{run_id}")

        pending = {submit(t, 0): (t, 0) for t in to_run}
        gate.set()
        started: set[int] = set()
        threads = {t.index: t.threads for t in to_run}
        while pending:
            try:
                done, _ = wait(list(pending), timeout=0.5, return_when="FIRST_COMPLETED")
            except TimeoutError:
                done = set()
            started |= _relay(events, watch)
            if offers_topic is not None:
                running = {t.index: threads[t.index] for t, _ in pending.values() if t.index in started}
                queued = sum(1 for t, _ in pending.values() if t.index not in started)
                for index, count in freed_core_offers(plan, running, queued).items():
                    client.log_event(offers_topic, {"index": index, "threads": count})
                    threads[index] = count
            for future in done:
                planned, attempt = pending.pop(future)
                task = planned.task
                output, retry = _collect(future, task, datasets[task.dataset], attempt)
                if retry:
                    pending[submit(planned, attempt + 1)] = (planned, attempt + 1)
                else:
                    on_done(planned.index, output)
            watch.tick()
        _relay(events, watch)
    finally:
        try:
            client.unsubscribe_topic(topic)
        except Exception:  # noqa: BLE001 - closing anyway
            pass
        if owned:
            cluster = client.cluster
            client.close()
            cluster.close()
        else:
            client.close()
    return info


def _relay(events: queue.SimpleQueue, watch: TaskWatch) -> set[int]:
    """Pass the workers' events on to ``watch``; returns the indices of the tasks that started."""
    started: set[int] = set()
    while True:
        try:
            msg = events.get_nowait()
        except queue.Empty:
            return started
        if not isinstance(msg, dict) or "index" not in msg:
            continue
        if msg.get("kind") == "start":
            started.add(int(msg["index"]))
            watch.start(int(msg["index"]))
        elif msg.get("kind") == "progress":
            watch.progress(int(msg["index"]), ProgressEvent.from_dict(msg))


def _collect(future, task: Task, dataset: Dataset, attempt: int) -> tuple[TaskOutput | None, bool]:
    """(output, resubmit?) for a finished future; every exception becomes a row or a retry."""
    from concurrent.futures import CancelledError

    from distributed.client import FuturesCancelledError
    from distributed.scheduler import KilledWorker

    try:
        return future.result(), False
    except KilledWorker:
        record = blank_record(task, dataset)
        record.status = "failed"
        record.error = ("the Dask workers running this task died more often than the scheduler's "
                        "allowed-failures (killed from outside, or a per-target fit over a worker's memory limit)")
        return TaskOutput(record), False
    except (CancelledError, FuturesCancelledError) as exc:
        if attempt < RESUBMITS:
            return None, True  # cancelled by the cluster, not by the task: run it again
        record = blank_record(task, dataset)
        record.status, record.error = "failed", f"cancelled by the Dask cluster {attempt + 1} times ({type(exc).__name__})"
        return TaskOutput(record), False
    except Exception as exc:  # noqa: BLE001 - one task never loses the run
        record = blank_record(task, dataset)
        record.status, record.error = "failed", f"{type(exc).__name__}: {exc}"[:500]
        return TaskOutput(record), False
