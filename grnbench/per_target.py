"""Per-target regression work scheduled on Dask: the one loop GENIE3, GRNBoost2 and NODE share.

The three methods fit one independent model per target gene. This module runs those fits as
Dask tasks and assembles the results into a dense ``genes × genes`` score matrix
``S[regulator, target]``, so a method only writes the function that scores the regulators of
*one* target.

Why it is built this way:

- The inputs (expression matrices, names) are **scattered once** and every task receives the
  same future, so a 1,000-target run does not ship the data 1,000 times.
- Every target gets the **same** seed (``target_seed(seed)``), not a seed drawn in submission
  order: a target's model therefore does not depend on which worker ran it, in what order, or
  on which other targets were in the run. This is also what arboreto does (one ``seed`` for
  every ``infer_partial_network`` call), so a plain serial loop over targets reproduces the
  matrix exactly.
- The matrix is assembled from plain NumPy rows (no ``dask.dataframe``, whose graph building
  is what breaks arboreto 0.1.6 on current dask).
- A caller's client (``TrainingData.client``, possibly a ``worker_client()`` from inside a
  runner task) is used as is and never closed. Without one, a temporary LocalCluster is started
  and closed: in-process threads for one worker (starting it costs milliseconds), processes
  for several (sklearn's GBM holds the GIL between boosting rounds, so threads would not
  scale).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from grnbench.execution.resources import count_cpu_elsewhere
from grnbench.execution.task_progress import ProgressCallback, report

#: ``fn(shared, target, seed) -> scores``: the scores of every gene as a regulator of
#: ``target`` (length ``n_genes``; zeros for genes that are not candidate regulators).
TargetFn = Callable[[Any, int, int], np.ndarray]

#: above this many targets, targets are grouped into chunks so that a genome-scale run does
#: not put tens of thousands of tiny tasks on the scheduler
MAX_TASKS = 1000
#: for methods whose targets take milliseconds (GRNBoost2), where one task per target costs
#: more in Dask's per-task overhead than the target itself: this many tasks per worker thread,
#: so that overhead stays small while the last tasks still balance across workers. Slow
#: targets (GENIE3) keep one task each: chunking them leaves a worker idle at the end
#: (measured in docs/methods/per-target.md).
FAST_TARGET_TASKS_PER_THREAD = 16


def target_seed(seed: int) -> int:
    """The seed every per-target model of a fit receives.

    sklearn and XGBoost accept seeds in ``[0, 2**32)``; a seed in that range is used unchanged
    (so a serial arboreto loop with the same seed matches), any other is mapped into it
    deterministically.
    """
    seed = int(seed)
    if 0 <= seed < 2**32:
        return seed
    return int(np.random.SeedSequence(abs(seed)).generate_state(1)[0])


def chunk_targets(targets: Sequence[int], chunk_size: int | None = None,
                  max_tasks: int = MAX_TASKS) -> list[list[int]]:
    """Split ``targets`` into consecutive chunks: ``chunk_size`` targets each, or by default
    the smallest size that gives at most ``max_tasks`` chunks (one target per task when
    there are few enough)."""
    targets = [int(t) for t in targets]
    if chunk_size is None:
        chunk_size = max(1, math.ceil(len(targets) / max(1, min(MAX_TASKS, int(max_tasks)))))
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1, got {chunk_size}")
    return [targets[i:i + chunk_size] for i in range(0, len(targets), chunk_size)]


#: priority band of per-target inner tasks, above every benchmark task (grnbench.execution.backends)
INNER_PRIORITY = 10


def inner_priority(index: int, n_chunks: int) -> float:
    """Priority of chunk ``index`` of ``n_chunks``: from 11 (first) down towards 10 (last)."""
    return INNER_PRIORITY + (n_chunks - index) / max(1, n_chunks)


def run_chunk(fn: TargetFn, shared: Any, targets: list[int], seed: int) -> np.ndarray:
    """Score the regulators of each target in ``targets``; one row per target.

    This is the body of every Dask task, and also what a serial loop would do, so the two
    cannot drift apart.
    """
    return np.vstack([np.asarray(fn(shared, t, seed), dtype=np.float64) for t in targets])


def timed_chunk(fn: TargetFn, shared: Any, targets: list[int], seed: int) -> tuple[np.ndarray, float, int]:
    """``run_chunk``, the CPU seconds of the thread that ran it (the built-in methods fit each
    target's model on that one thread) and the process it ran in, so the fit's CPU time can
    count work done in worker processes (``grnbench.execution.resources.count_cpu_elsewhere``)
    and not twice what ran in threads of its own process (a one-worker LocalCluster)."""
    start = time.thread_time()
    rows = run_chunk(fn, shared, targets, seed)
    return rows, time.thread_time() - start, os.getpid()


@contextmanager
def dask_client(client: Any = None, n_workers: int = 1) -> Iterator[Any]:
    """Yield ``client`` untouched, or a temporary LocalCluster client that is closed after."""
    if client is not None:
        yield client
        return
    from distributed import Client, LocalCluster

    n_workers = max(1, int(n_workers))
    # No dashboard; the scheduler's small HTTP server binds a free port, not 8787, so
    # concurrent runs on one machine do not collide.
    # silence_logs: Dask's nanny warnings ("worker still alive after 4 s, killing" on close
    # under load) are not the user's business; a task's real failure reaches its result row
    cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=n_workers > 1,
                           dashboard_address=None, scheduler_kwargs={"dashboard_address": ":0"},
                           silence_logs=50)
    try:
        with Client(cluster, set_as_default=False) as own:
            yield own
    finally:
        cluster.close()


def score_matrix(fn: TargetFn, shared: Any, targets: Sequence[int], n_genes: int, seed: int, *,
                 client: Any = None, n_workers: int = 1, chunk_size: int | None = None,
                 tasks_per_thread: int | None = None, progress: bool = False,
                 label: str = "targets", on_progress: ProgressCallback | None = None) -> np.ndarray:
    """Run ``fn`` for every target on Dask and return ``S`` with ``S[:, t] = fn(shared, t, ·)``.

    Targets go out one per task (at most ``MAX_TASKS`` tasks), or ``chunk_size`` per task, or
    -- ``tasks_per_thread`` -- in about that many tasks per worker thread of the cluster (for
    fast targets, see ``FAST_TARGET_TASKS_PER_THREAD``). Chunking never changes the result:
    every target gets the same seed whatever chunk it is in.

    Columns of genes not in ``targets`` stay 0. ``seed`` is passed through ``target_seed`` and
    given to every target. ``client`` is used (not closed) when given; otherwise a LocalCluster
    of ``n_workers`` single-threaded workers is started and closed. ``progress`` shows a tqdm
    bar over targets; ``on_progress`` (``TrainingData.on_progress``) receives targets done, at
    most about once a second and at the end. A failing target raises (its chunk's exception), never yields zeros.
    """
    from distributed import as_completed
    from tqdm.auto import tqdm

    scores = np.zeros((n_genes, n_genes), dtype=np.float64)
    if not len(targets):
        return scores
    seed = target_seed(seed)
    with dask_client(client, n_workers) as dc:
        max_tasks = MAX_TASKS
        if tasks_per_thread is not None:
            max_tasks = int(tasks_per_thread) * (sum(dc.nthreads().values()) or 1)
        chunks = chunk_targets(targets, chunk_size, max_tasks=max_tasks)
        # Wrapped in a list so that a tuple/dict ``shared`` is scattered as one object.
        [shared_future] = dc.scatter([shared], hash=False)
        # Priority above the runner's outer tasks (0 and 5): while this method waits for its
        # targets, freed worker slots go to its targets first, not to the next benchmark task.
        # Within the band (10, 11] a chunk's priority falls with its share of the method's
        # work, so per-target methods running at once advance together in proportion (a
        # method's 10th percent of targets before another's 90th); with one flat priority
        # Dask ran them first come, first served and GRNBoost2 did 0 of its targets while
        # NODE did its first 150 on maize2-sim.
        futures = {dc.submit(timed_chunk, fn, shared_future, chunk, seed, pure=False,
                             priority=inner_priority(i, len(chunks))): chunk
                   for i, chunk in enumerate(chunks)}
        # Inside a runner task, give the worker slot back only once the scheduler holds the
        # targets: the submit travels on the client's connection and the secede on the worker's,
        # so without this wait the freed slot can go to a whole-model fit queued behind us, which
        # then holds it for its whole training while our targets starve.
        _wait_until_scheduler_has(dc, list(futures))
        seceded = _give_back_slot()
        total = sum(map(len, chunks))
        done, last_report, chunks_cpu_s = 0, 0.0, 0.0
        report(on_progress, 0, total, "targets")
        try:
            # as_current: as_completed looks up "the" client, which need not be the default one
            with dc.as_current(), tqdm(total=total, desc=label, unit="target",
                                       disable=not progress, leave=False) as bar:
                for future in as_completed(futures):
                    chunk = futures[future]
                    rows, cpu_s, pid = future.result()
                    scores[:, chunk] = rows.T
                    if pid != os.getpid():  # this process's own threads are in its CPU time already
                        chunks_cpu_s += cpu_s
                    bar.update(len(chunk))
                    done += len(chunk)
                    if time.monotonic() - last_report >= 1.0 or done == total:
                        report(on_progress, done, total, "targets")
                        last_report = time.monotonic()
        except BaseException:
            dc.cancel([f for f in futures if not f.done()])
            raise
        finally:
            count_cpu_elsewhere(chunks_cpu_s)
            futures.clear()
            shared_future.release()
            if seceded:
                from distributed import rejoin

                rejoin()
    return scores


def _wait_until_scheduler_has(client: Any, futures: list, timeout: float = 30.0) -> None:
    """Return once the scheduler knows every future's task (or after ``timeout`` seconds)."""
    keys = [f.key for f in futures]
    deadline = time.monotonic() + timeout
    delay = 0.005
    while time.monotonic() < deadline:
        try:
            states = client.sync(client.scheduler.get_task_status, keys=keys)
        except Exception:  # noqa: BLE001 - an older scheduler without this call: do not wait
            return
        if all(state is not None for state in states.values()):
            return
        time.sleep(delay)
        delay = min(0.2, delay * 2)


def _give_back_slot() -> bool:
    """Free the worker slot this method holds while it waits; True if it must rejoin after.

    In a task's child process (the runner's isolation) the Dask worker hosting it secedes on
    our behalf and never rejoins; in a task running directly on a worker thread we secede
    ourselves and rejoin before returning; elsewhere there is no slot to give.
    """
    from grnbench.execution.task_process import release_parent_slot

    if release_parent_slot():
        return False
    return _secede_if_in_worker_task()


def _secede_if_in_worker_task() -> bool:
    """Secede when called from a task running on a Dask worker; False elsewhere."""
    from distributed import get_worker, secede
    from distributed.threadpoolexecutor import thread_state

    try:
        get_worker()
    except ValueError:
        return False
    if getattr(thread_state, "proceed", True) is False:
        return False  # already seceded, e.g. by a caller's worker_client()
    secede()
    return True
