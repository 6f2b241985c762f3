"""Where tasks execute: in this process (serial) or on a dask.distributed cluster.

The Dask backend scatters the dataset once and submits one future per task. By default it
starts a ``LocalCluster`` sized to the machine; with ``--scheduler tcp://HOST:PORT`` or
``--scheduler-file`` it uses a cluster the user started (``dask scheduler`` /
``dask worker``) and never closes it. Methods with per-target work (``uses_dask = True``)
receive the worker's client inside their task and submit their inner tasks to the same
cluster, so there is never a second cluster. Deep-learning methods get the worker's thread
count as their thread budget, so two concurrent tasks do not oversubscribe the cores.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass

from grnbench.dataset import Dataset
from grnbench.errors import UserError
from grnbench.registry import load_registry
from grnbench.tasks import Task, TaskOutput, blank_record, execute_task

OnDone = Callable[[int, TaskOutput], None]


@dataclass
class BackendOptions:
    workers: int | None = None  # None: one per core; 0: serial, in this process
    threads_per_worker: int | None = None  # None: 1 per Dask worker; every core when serial
    memory_limit: str = "auto"
    scheduler: str | None = None
    scheduler_file: str | None = None
    timeouts: dict[str, float] | None = None  # method name (or "*") → seconds

    def timeout_for(self, method: str) -> float | None:
        if not self.timeouts:
            return None
        return self.timeouts.get(method, self.timeouts.get("*"))

    @property
    def serial(self) -> bool:
        return self.workers == 0 and not (self.scheduler or self.scheduler_file)


def run_serial(tasks: list[tuple[int, Task]], dataset: Dataset, options: BackendOptions,
               on_done: OnDone, progress: bool = False) -> dict[str, object]:
    from grnbench.deep import task_threads

    n_threads = task_threads(options.threads_per_worker, serial=True)
    for index, task in tasks:
        on_done(index, execute_task(task, dataset, n_threads=n_threads, progress=progress))
    return {"backend": "serial", "threads_per_task": n_threads}


def _task_on_worker(task: Task, dataset: Dataset, n_threads: int, uses_dask: bool) -> TaskOutput:
    if uses_dask:
        # The worker's own client: the method submits its per-target tasks to this cluster and
        # secedes only while it waits for them (grnbench.per_target), so the freed slot goes to
        # its high-priority targets rather than to the next benchmark task.
        from distributed import get_client

        return execute_task(task, dataset, client=get_client(), n_threads=n_threads)
    return execute_task(task, dataset, n_threads=n_threads)


def open_client(options: BackendOptions):
    """Connect to the user's scheduler, or start a LocalCluster. Returns (client, owned)."""
    import dask
    from distributed import Client, LocalCluster

    if options.scheduler or options.scheduler_file:
        target = options.scheduler or options.scheduler_file
        try:
            if options.scheduler:
                client = Client(options.scheduler, timeout="10s")
            else:
                client = Client(scheduler_file=options.scheduler_file, timeout="10s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise UserError(f"cannot connect to the Dask scheduler at {target}: {exc}; start it with `dask scheduler` and `dask worker ADDRESS`") from None
        return client, False
    threads = options.threads_per_worker or 1
    n_workers = options.workers or max(1, (os.cpu_count() or 1) // threads)
    # Saturation 1.0: a worker holds only as many benchmark tasks as it has threads, so a slot
    # freed by a per-target method goes to that method's (higher-priority) targets instead of
    # a benchmark task already queued on the worker.
    dask.config.set({"distributed.scheduler.worker-saturation": 1.0})
    cluster = LocalCluster(n_workers=n_workers, threads_per_worker=threads,
                           memory_limit=options.memory_limit, processes=True,
                           dashboard_address=None, silence_logs=50,
                           # a free port, not 8787, so concurrent runs on one machine never collide
                           scheduler_kwargs={"dashboard_address": ":0"})
    return Client(cluster), True


def run_dask(tasks: list[tuple[int, Task]], dataset: Dataset, options: BackendOptions,
             on_done: OnDone, progress: bool = False) -> dict[str, object]:
    from distributed import wait
    from distributed.scheduler import KilledWorker

    client, owned = open_client(options)
    info: dict[str, object] = {"backend": "dask", "scheduler": client.scheduler.address,
                               "workers": len(client.scheduler_info().get("workers", {})),
                               "threads_per_worker": options.threads_per_worker or 1}
    try:
        registry = load_registry(tasks[0][1].plugins if tasks else ())
        dataset_future = client.scatter(dataset, broadcast=True)
        worker_threads = max(1, int(options.threads_per_worker or 1))
        futures = {}
        for index, task in tasks:
            cls = registry.get(task.method.name)
            future = client.submit(_task_on_worker, task, dataset_future, worker_threads,
                                   bool(getattr(cls, "uses_dask", False)), pure=False,
                                   key=f"grnbench-{index}-{task.method.name}-{os.getpid()}-{time.time_ns()}")
            futures[future] = (index, task, time.monotonic())
        remaining = set(futures)
        running_since: dict[str, float] = {}
        while remaining:
            try:
                done, _ = wait(list(remaining), timeout=1.0, return_when="FIRST_COMPLETED")
            except TimeoutError:
                done = set()
            for future in done:
                remaining.discard(future)
                index, task, _ = futures[future]
                on_done(index, _collect(future, task, dataset, KilledWorker))
            for future in [f for f in remaining if options.timeout_for(futures[f][1].method.name)]:
                index, task, _ = futures[future]
                limit = options.timeout_for(task.method.name)
                state, worker = client.run_on_scheduler(_task_state, future.key)
                if state != "processing":
                    continue
                started = running_since.setdefault(future.key, time.monotonic())
                if time.monotonic() - started <= limit:
                    continue
                remaining.discard(future)
                future.cancel(force=True)
                if owned and worker:
                    # a Python thread cannot be interrupted: free the worker by restarting it
                    client.restart_workers([worker], raise_for_error=False)
                record = blank_record(task, dataset)
                record.status, record.error = "timeout", f"exceeded the {limit:g} s time limit"
                on_done(index, TaskOutput(record))
    finally:
        if owned:
            cluster = client.cluster
            client.close()
            cluster.close()
    return info


def _task_state(key, dask_scheduler=None) -> tuple[str | None, str | None]:
    """(state, worker address) of a task, evaluated on the scheduler."""
    ts = dask_scheduler.tasks.get(key)
    if ts is None:
        return None, None
    worker = ts.processing_on.address if ts.processing_on is not None else None
    return ts.state, worker


def _collect(future, task: Task, dataset: Dataset, killed_error: type) -> TaskOutput:
    try:
        return future.result()
    except killed_error:
        record = blank_record(task, dataset)
        record.status = "oom"
        record.error = "the Dask worker died while running this task (most often: memory limit exceeded)"
        return TaskOutput(record)
    except Exception as exc:
        record = blank_record(task, dataset)
        record.status, record.error = "failed", f"{type(exc).__name__}: {exc}"[:500]
        return TaskOutput(record)
