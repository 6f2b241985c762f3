"""grnbench.per_target: assembly, seeds, chunking and client handling of per-target Dask work."""

from __future__ import annotations

import numpy as np
import pytest
from distributed import Client, LocalCluster, worker_client

from grnbench import per_target


def _row(shared: np.ndarray, target: int, seed: int) -> np.ndarray:
    """A target task whose output reveals the target, the seed and the shared data."""
    row = shared[:, target] * 10.0 + seed
    row[target] = 0.0
    return row


@pytest.fixture(scope="module")
def client():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                      dashboard_address=None,
                      scheduler_kwargs={"dashboard_address": ":0"}) as cluster, Client(cluster) as c:
        yield c


def test_target_seed_keeps_valid_seeds_and_maps_others_deterministically():
    assert per_target.target_seed(0) == 0
    assert per_target.target_seed(2**32 - 1) == 2**32 - 1
    big = per_target.target_seed(2**40)
    assert 0 <= big < 2**32 and big == per_target.target_seed(2**40)
    assert 0 <= per_target.target_seed(-5) < 2**32


def test_chunking_covers_every_target_once_in_order():
    chunks = per_target.chunk_targets(range(10), 3)
    assert chunks == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    assert per_target.chunk_targets(range(5)) == [[0], [1], [2], [3], [4]]
    assert len(per_target.chunk_targets(range(2500))) == 834  # ceil(2500 / 1000) = 3 per task
    # GRNBoost2 on 2 worker threads: 16 tasks per thread, so 100 targets -> 4 each
    assert list(map(len, per_target.chunk_targets(range(100), max_tasks=32))) == [4] * 25
    with pytest.raises(ValueError):
        per_target.chunk_targets(range(3), 0)


def test_score_matrix_assembles_columns_by_target_on_a_given_client(client):
    shared = np.arange(36, dtype=float).reshape(6, 6)
    targets = [0, 2, 3, 5]
    got = per_target.score_matrix(_row, shared, targets, 6, seed=7, client=client, chunk_size=3)
    expected = np.zeros((6, 6))
    for t in targets:
        expected[:, t] = _row(shared, t, 7)
    np.testing.assert_array_equal(got, expected)
    # the caller's client is still usable: score_matrix must not close it
    assert client.submit(lambda: 41 + 1).result() == 42


def test_result_does_not_depend_on_chunking_or_workers(client):
    shared = np.random.default_rng(0).random((8, 8))
    a = per_target.score_matrix(_row, shared, range(8), 8, seed=3, client=client, chunk_size=1)
    b = per_target.score_matrix(_row, shared, range(8), 8, seed=3, client=client, chunk_size=5,
                                progress=True)
    c = per_target.score_matrix(_row, shared, range(8), 8, seed=3)  # temporary LocalCluster
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, c)
    serial = np.zeros((8, 8))
    serial[:, :] = per_target.run_chunk(_row, shared, list(range(8)), 3).T
    np.testing.assert_array_equal(a, serial)


def _outer_task(shared: np.ndarray) -> np.ndarray:
    # What the Dask runner does: a task that hands its worker_client to the method.
    with worker_client() as inner:
        return per_target.score_matrix(_row, shared, range(4), 4, seed=1, client=inner)


def test_inner_tasks_run_through_a_worker_client():
    shared = np.ones((4, 4))
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                      dashboard_address=None,
                      scheduler_kwargs={"dashboard_address": ":0"}) as cluster, Client(cluster) as c:
        got = c.submit(_outer_task, shared).result(timeout=60)
    assert got.shape == (4, 4)
    np.testing.assert_array_equal(np.diag(got), 0.0)
    assert got[1, 0] == 11.0


def _boom(shared, target, seed):
    raise RuntimeError(f"target {target} failed")


def test_a_failing_target_raises_instead_of_returning_zeros(client):
    with pytest.raises(RuntimeError, match="failed"):
        per_target.score_matrix(_boom, None, range(3), 3, seed=0, client=client)


def test_works_with_a_client_that_is_not_the_default():
    # a runner may hold several clients; score_matrix must only use the one it was given
    shared = np.eye(3)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None,
                      scheduler_kwargs={"dashboard_address": ":0"}) as cluster, \
            Client(cluster, set_as_default=False) as c:
        got = per_target.score_matrix(_row, shared, range(3), 3, seed=0, client=c)
    assert got[0, 1] == 0.0 and got[1, 0] == 0.0 and np.all(np.diag(got) == 0)


def _busy_row(shared: int, target: int, seed: int) -> np.ndarray:
    """A target that keeps its thread busy for 0.3 CPU seconds."""
    import time

    start = time.thread_time()
    while time.thread_time() - start < 0.3:
        pass
    return np.zeros(shared)


def test_the_fit_cpu_counts_the_targets_run_in_worker_processes():
    """Targets run as Dask tasks in other processes (two process workers here); the measured
    block's CPU includes them, where the process's own CPU time saw only the waiting."""
    from grnbench.execution.resources import ResourceMeter

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      scheduler_kwargs={"dashboard_address": ":0"}) as cluster, Client(cluster) as c:
        with ResourceMeter() as measured:
            per_target.score_matrix(_busy_row, 4, range(4), 4, seed=0, client=c)
    assert measured.cpu_s >= 4 * 0.3
    assert measured.wall_s < 4 * 0.3 + 30  # the targets ran while it waited, in parallel or not


def test_targets_run_in_threads_of_the_measured_process_are_not_counted_twice():
    """A one-worker LocalCluster runs the targets in threads of this process: its CPU time has
    them already, so the measured CPU is about the work done, not twice it."""
    from grnbench.execution.resources import ResourceMeter

    with ResourceMeter() as measured:
        per_target.score_matrix(_busy_row, 4, range(4), 4, seed=0, n_workers=1)  # in-process threads
    assert 4 * 0.3 <= measured.cpu_s < 2 * 4 * 0.3
