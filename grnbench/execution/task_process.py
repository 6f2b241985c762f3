"""One task in a child process that can be killed: the unit of fault isolation.

Why a process per task: a Python thread cannot be interrupted, and a method that calls
``os._exit``, segfaults in native code or allocates past its memory limit takes its whole
process with it. Running every task in its own child (serially or on a Dask worker) turns each
of these into one result row, and never touches the worker that hosts it: its data, its queue
and the other tasks on it survive, so nothing has to be resubmitted.

- **Time limits** count from the moment the child starts, i.e. running time only: a task
  queued on Dask has no child yet. Past the limit the child's whole process group is killed
  (SIGKILL) and the row says ``timeout``; no thread is left running.
- **Memory limits** are checked on the resident memory of the child and all its descendants
  every ``POLL_S``; past the limit the group is killed and the row says ``oom``. A child killed
  by SIGKILL from elsewhere (the kernel's OOM killer) is also ``oom``; any other death without
  a result is ``failed``, with the exit code or signal.
- **How children start.** Where the parent may fork helpers (the serial runner, our own
  LocalCluster workers) a ``forkserver`` whose server has already imported grnbench forks each
  child in milliseconds; TensorFlow is never imported by the server, so forking is safe. Inside
  a daemonic process (a ``dask worker`` started by hand, whose multiprocessing refuses
  children) the child is a fresh ``python -m grnbench.execution.task_process``, which costs the imports
  (measured in docs/running.md). Both speak the same protocol over one socket.
- The child exits by itself when its parent dies (a watchdog thread waits for the socket to
  close), so a killed worker leaves no orphan fitting a model.
- A per-target method in a child on a Dask worker submits its targets through its own client
  and then asks the parent to give back the worker slot (``release_parent_slot``), which the
  parent does with ``distributed.secede``.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection

import psutil

from grnbench.data.dataset import Dataset
from grnbench.execution.resources import tree_rss
from grnbench.execution.task_progress import ProgressEvent
from grnbench.execution.tasks import Task, TaskOutput, blank_record, execute_task

#: how often the parent checks the child's time, memory and liveness
POLL_S = 0.1
#: a child that has not received its task after this long is failed (a broken interpreter)
START_TIMEOUT_S = 300.0
#: exit status of a child whose parent went away
ORPHAN_EXIT = 70


@dataclass(frozen=True)
class TaskLimits:
    """Per-task limits; None means none."""

    timeout_s: float | None = None
    memory_bytes: int | None = None


@dataclass(frozen=True)
class ChildRequest:
    """What a child needs to run one task, sent over the socket once."""

    task: Task
    dataset: Dataset
    n_threads: int = 1
    #: the Dask scheduler a per-target method submits its targets to (None: serial)
    scheduler_address: str | None = None
    uses_dask: bool = False
    #: the parent's environment and working directory, so a forkserver child started long
    #: ago behaves like a fresh process of the parent (tests set variables; plugins may be
    #: relative paths)
    environ: tuple[tuple[str, str], ...] = ()
    cwd: str = ""


def make_request(task: Task, dataset: Dataset, n_threads: int = 1, scheduler_address: str | None = None,
                 uses_dask: bool = False) -> ChildRequest:
    return ChildRequest(task, dataset, int(n_threads), scheduler_address, bool(uses_dask),
                        tuple(os.environ.items()), os.getcwd())


# ---------------------------------------------------------------- parent side

def run_isolated(request: ChildRequest, limits: TaskLimits = TaskLimits(), *,
                 on_progress: Callable[[ProgressEvent], None] | None = None,
                 on_release_slot: Callable[[], None] | None = None,
                 cancelled: Callable[[], bool] | None = None,
                 on_tick: Callable[[], None] | None = None) -> TaskOutput:
    """Run ``request`` in a child process and return its output, or a failure row.

    Never raises for anything the task does: a crash, a timeout, a memory blow-up or a
    cancellation (``cancelled()`` turning true) each become one record with a reason.
    """
    child = _start_child()
    # The clock starts when the child has the request: starting a process (and, once per
    # worker, the forkserver's imports) is the harness's cost, not the method's running time.
    start_deadline = time.monotonic() + START_TIMEOUT_S
    started: float | None = None
    peak = 0
    try:
        try:
            child.conn.send(request)
        except OSError:
            pass  # the child died at once; reported below from its exit status
        while True:
            message = None
            try:
                if child.conn.poll(POLL_S):
                    message = child.conn.recv()
            except (EOFError, OSError):
                return _death_record(request, child.wait(), limits, peak)
            if message is not None:
                kind, value = message
                if kind == "result":
                    return value
                if kind == "error":
                    return _failure(request, "failed", value)
                if kind == "started":
                    started = time.monotonic()
                elif kind == "progress" and on_progress is not None:
                    on_progress(value)
                elif kind == "release-slot" and on_release_slot is not None:
                    on_release_slot()
            if started is None and time.monotonic() > start_deadline:
                child.kill()
                return _failure(request, "failed", f"the task's process did not start within {START_TIMEOUT_S:g} s")
            elapsed = 0.0 if started is None else time.monotonic() - started
            if limits.timeout_s is not None and elapsed > limits.timeout_s:
                child.kill()
                return _failure(request, "timeout", f"exceeded the {limits.timeout_s:g} s time limit "
                                                    f"(running time; the task's processes were killed)")
            rss = child.tree_rss()
            peak = max(peak, rss)
            if limits.memory_bytes is not None and rss > limits.memory_bytes:
                child.kill()
                record = _failure(request, "oom", f"used {rss / 2**20:.0f} MB, over the memory limit of "
                                                  f"{limits.memory_bytes / 2**20:.0f} MB per task "
                                                  f"(--memory-limit); the task's processes were killed")
                record.record.peak_memory_mb = rss / 2**20
                return record
            if cancelled is not None and cancelled():
                child.kill()
                return _failure(request, "failed", "cancelled by the runner")
            if message is None and child.exitcode() is not None and not child.conn.poll(0):
                return _death_record(request, child.wait(), limits, peak)
            if on_tick is not None:
                on_tick()
    finally:
        child.kill()  # also reaps helpers a finished task left behind (its process group)
        child.conn.close()


def _failure(request: ChildRequest, status: str, reason: str) -> TaskOutput:
    record = blank_record(request.task, request.dataset)
    record.status, record.error = status, reason
    return TaskOutput(record)


def _death_record(request: ChildRequest, code: int | None, limits: TaskLimits, peak: int) -> TaskOutput:
    if code is not None and code < 0 and -code == signal.SIGKILL:
        output = _failure(request, "oom", f"the task's process was killed by SIGKILL at {peak / 2**20:.0f} MB "
                                          "(most often the kernel's out-of-memory killer)")
        output.record.peak_memory_mb = peak / 2**20
        return output
    if code is not None and code < 0:
        name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
        return _failure(request, "failed", f"the task's process died of signal {name} without a result")
    return _failure(request, "failed", f"the task's process exited with code {code} without a result "
                                       "(os._exit, sys.exit or a crash in native code)")


class _Child:
    """A started child: its pid, our end of the socket, and how to wait for and kill it."""

    def __init__(self, pid: int, conn: Connection, waiter: Callable[[float | None], int | None]) -> None:
        self.pid = pid
        self.conn = conn
        self._wait = waiter
        self._code: int | None = None

    def exitcode(self) -> int | None:
        if self._code is None:
            self._code = self._wait(0)
        return self._code

    def wait(self, timeout: float = 5.0) -> int | None:
        if self._code is None:
            self._code = self._wait(timeout)
        return self._code

    def tree_rss(self) -> int:
        return tree_rss(self.pid)[0]

    def kill(self) -> None:
        """SIGKILL the child, its process group and any descendant that left the group."""
        try:
            descendants = psutil.Process(self.pid).children(recursive=True)
        except psutil.Error:
            descendants = []
        for sig_target in (lambda: os.killpg(self.pid, signal.SIGKILL), lambda: os.kill(self.pid, signal.SIGKILL)):
            try:
                sig_target()
            except (ProcessLookupError, PermissionError):
                pass
        for proc in descendants:
            try:
                proc.kill()
            except psutil.Error:
                pass
        self.wait(10.0)


def _may_fork_helpers() -> bool:
    """multiprocessing refuses children in daemonic processes (``dask worker``'s default)."""
    return not multiprocessing.current_process().daemon


_forkserver_ready = False


def _start_child() -> _Child:
    if _may_fork_helpers():
        global _forkserver_ready
        ctx = multiprocessing.get_context("forkserver")
        if not _forkserver_ready:
            ctx.set_forkserver_preload(["grnbench.execution.task_preload"])
            _forkserver_ready = True
        parent_conn, child_conn = ctx.Pipe(duplex=True)
        process = ctx.Process(target=child_main, args=(child_conn,), name="grnbench-task", daemon=False)
        process.start()
        child_conn.close()

        def wait_mp(timeout: float | None) -> int | None:
            process.join(timeout)
            return process.exitcode

        return _Child(process.pid, parent_conn, wait_mp)
    parent_sock, child_sock = socket.socketpair()
    fd = child_sock.fileno()
    proc = subprocess.Popen([sys.executable, "-m", "grnbench.execution.task_process", str(fd)], pass_fds=(fd,),
                            process_group=0)
    child_sock.close()

    def wait_popen(timeout: float | None) -> int | None:
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    return _Child(proc.pid, Connection(parent_sock.detach()), wait_popen)


# ---------------------------------------------------------------- child side

_send: Callable[[str, object], None] | None = None


def release_parent_slot() -> bool:
    """From a task's child process: ask the Dask worker hosting it to free its slot.

    Returns False outside a task child (the caller then secedes itself if on a worker).
    """
    if _send is None:
        return False
    _send("release-slot", None)
    return True


def child_main(conn: Connection) -> None:
    """Entry point of a task's child process: receive the request, run it, send the result."""
    global _send
    try:
        os.setpgid(0, 0)  # its own process group, so a kill reaches everything it starts
    except OSError:
        pass
    lock = threading.Lock()

    def send(kind: str, value: object) -> None:
        with lock:
            conn.send((kind, value))

    try:
        request: ChildRequest = conn.recv()
    except (EOFError, OSError):
        os._exit(ORPHAN_EXIT)
    _send = send
    if request.environ:
        os.environ.clear()
        os.environ.update(dict(request.environ))
    if request.cwd:
        try:
            os.chdir(request.cwd)
        except OSError:
            pass
    threading.Thread(target=_exit_with_parent, args=(conn,), daemon=True, name="grnbench-parent-watch").start()
    send("started", None)
    try:
        # tqdm's default lock is a multiprocessing semaphore, which os._exit below would leave
        # registered ("leaked semaphore" warnings at the run's end); a thread lock suffices here
        from tqdm import tqdm

        tqdm.set_lock(threading.RLock())
    except ImportError:
        pass
    client = None
    try:
        if request.scheduler_address and request.uses_dask:
            from distributed import Client

            client = Client(request.scheduler_address, set_as_default=False, timeout="60s")
        output = execute_task(request.task, request.dataset, client=client, n_threads=request.n_threads,
                              on_progress=lambda event: send("progress", event))
        if client is not None:
            client.close()
        send("result", output)
    except BaseException as exc:  # noqa: BLE001 - anything left must reach the parent as a row
        try:
            send("error", f"{type(exc).__name__}: {exc}"[:500])
        except OSError:
            pass
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # skip interpreter teardown (TensorFlow's can take seconds)


def _exit_with_parent(conn: Connection) -> None:
    try:
        conn.recv_bytes()  # the parent never sends again: this returns only when it is gone
    except (EOFError, OSError):
        pass
    os._exit(ORPHAN_EXIT)


if __name__ == "__main__":
    child_main(Connection(int(sys.argv[1])))
