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
- **Re-threading.** TensorFlow sizes its thread pool once per process, so a fit that is to
  use cores other tasks freed needs a new process. The parent passes on offers of more
  threads (``offered_threads``, from the run's policy ``grnbench.execution.plan.freed_core_offers``);
  a fit whose checkpoint for an epoch is written takes one at that epoch's end
  (``rethread_for_freed_cores``): the child says so and exits, and the parent starts a new
  child with the larger count, which resumes from the checkpoint. To the caller it is still
  one task: the time limit counts the running time of all its children, memory is checked on
  each, progress flows from each, and the row records the thread counts in order
  (``threads``, ``thread_history``) with the earlier children's running time added to the fit
  time.
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
from dataclasses import dataclass, replace
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
#: how often the parent asks ``offered_threads`` (on a Dask worker: one scheduler round trip)
OFFER_POLL_S = 2.0


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
                 on_tick: Callable[[], None] | None = None,
                 offered_threads: Callable[[], int | None] | None = None) -> TaskOutput:
    """Run ``request`` in a child process and return its output, or a failure row.

    Never raises for anything the task does: a crash, a timeout, a memory blow-up or a
    cancellation (``cancelled()`` turning true) each become one record with a reason.
    ``offered_threads()`` (asked every ``OFFER_POLL_S``) is how many threads the task may use
    now; more than it has are passed on to the child, which may take them at an epoch end
    (see the module docstring).
    """
    threads = Threads(request.n_threads)
    return threads.mark(_run_children(request, limits, threads, on_progress, on_release_slot, cancelled, on_tick,
                                      offered_threads))


def _run_children(request: ChildRequest, limits: TaskLimits, threads: Threads,
                  on_progress: Callable[[ProgressEvent], None] | None,
                  on_release_slot: Callable[[], None] | None,
                  cancelled: Callable[[], bool] | None,
                  on_tick: Callable[[], None] | None,
                  offered_threads: Callable[[], int | None] | None) -> TaskOutput:
    """``run_isolated``'s supervision loop: the task's child, or its successive children when
    it is re-threaded; the caller marks the output with ``threads``."""
    child = _start_child()
    # The clock starts when the child has the request: starting a process (and, once per
    # worker, the forkserver's imports) is the harness's cost, not the method's running time.
    start_deadline = time.monotonic() + START_TIMEOUT_S
    started: float | None = None
    peak = 0
    next_offer = time.monotonic()
    try:
        _send_request(child, request)
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
                elif kind == "rethread":
                    # the fit's checkpoint is written and its process is leaving: go on in a new one
                    child.kill()
                    child.conn.close()
                    threads.restarted(int(value["threads"]), time.monotonic() - (started or time.monotonic()),
                                      float(value["cpu_s"]))
                    request = replace(request, n_threads=threads.now)
                    child, started = _start_child(), None
                    start_deadline = time.monotonic() + START_TIMEOUT_S
                    _send_request(child, request)
                    continue
            if started is None and time.monotonic() > start_deadline:
                child.kill()
                return _failure(request, "failed", f"the task's process did not start within {START_TIMEOUT_S:g} s")
            elapsed = threads.earlier_s + (0.0 if started is None else time.monotonic() - started)
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
            if offered_threads is not None and started is not None and time.monotonic() >= next_offer:
                next_offer = time.monotonic() + OFFER_POLL_S
                threads.offer(child, offered_threads())
            if on_tick is not None:
                on_tick()
    finally:
        child.kill()  # also reaps helpers a finished task left behind (its process group)
        child.conn.close()


def _send_request(child: _Child, request: ChildRequest) -> None:
    try:
        child.conn.send(request)
    except OSError:
        pass  # the child died at once; reported from its exit status


class Threads:
    """The thread counts of one task across its children (re-threading), and what earlier
    children cost: their running time counts towards the time limit and the fit time."""

    def __init__(self, initial: int) -> None:
        self.history = [int(initial)]
        self.offered = int(initial)
        self.earlier_s = 0.0
        self.earlier_cpu_s = 0.0

    @property
    def now(self) -> int:
        return self.history[-1]

    def offer(self, child: _Child, threads: int | None) -> None:
        """Pass an offer of more threads than the child has (or was offered) on to it."""
        if threads is None or int(threads) <= self.offered:
            return
        try:
            child.conn.send(("threads", int(threads)))
            self.offered = int(threads)
        except OSError:
            pass  # the child is leaving; its result or death is read next

    def restarted(self, threads: int, ran_s: float, cpu_s: float) -> None:
        self.history.append(int(threads))
        self.offered = max(self.offered, int(threads))
        self.earlier_s += ran_s
        self.earlier_cpu_s += cpu_s

    def mark(self, output: TaskOutput) -> TaskOutput:
        """The row records the threads (the last count, and every count in order); a row that
        finished adds the earlier children's running and CPU time to its fit time, unless the
        fit has a learning curve: its checkpoint carried that time already
        (``grnbench.learning_curve.FitRecording.carried_wall_s``)."""
        record = output.record
        record.threads, record.thread_history = self.now, ",".join(map(str, self.history))
        if record.status == "ok" and len(self.history) > 1 and not output.curve:
            record.fit_wall_s = float(record.fit_wall_s) + self.earlier_s
            record.fit_cpu_s = float(record.fit_cpu_s) + self.earlier_cpu_s
        return output


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
    return _failure(request, "failed", f"the task's process {how_it_ended(code)} without a result"
                                       + ("" if code is not None and code < 0 else
                                          " (os._exit, sys.exit or a crash in native code)"))


def how_it_ended(code: int | None) -> str:
    """A child's exit status in words ("exited with code 5", "died of signal SIGSEGV"), one
    wording for every place that reports a process a method ended."""
    if code is not None and code < 0:
        name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
        return f"died of signal {name}"
    return f"exited with code {code}"


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
#: this child's threads, and the most the parent has offered since it started
_threads = 1
_offered = 0


def release_parent_slot() -> bool:
    """From a task's child process: ask the Dask worker hosting it to free its slot.

    Returns False outside a task child (the caller then secedes itself if on a worker).
    """
    if _send is None:
        return False
    _send("release-slot", None)
    return True


def rethread_for_freed_cores() -> None:
    """From a fit whose checkpoint for the epoch just ended is written: if the parent offered
    more threads than this process has, tell it and exit; the parent starts a new child with
    that many threads, which resumes from the checkpoint (TensorFlow's thread pool is sized
    once per process). Nothing happens outside a task child or without an offer."""
    if _send is None or _offered <= _threads:
        return
    _send("rethread", {"threads": _offered, "cpu_s": time.process_time()})
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def child_main(conn: Connection) -> None:
    """Entry point of a task's child process: receive the request, run it, send the result."""
    global _send, _threads
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
    _send, _threads = send, int(request.n_threads)
    if request.environ:
        os.environ.clear()
        os.environ.update(dict(request.environ))
    if request.cwd:
        try:
            os.chdir(request.cwd)
        except OSError:
            pass
    threading.Thread(target=_listen_to_parent, args=(conn,), daemon=True, name="grnbench-parent-watch").start()
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


def _listen_to_parent(conn: Connection) -> None:
    """Keep the parent's offers of more threads; exit when the parent is gone (the socket closes)."""
    global _offered
    while True:
        try:
            kind, value = conn.recv()
        except (EOFError, OSError):
            os._exit(ORPHAN_EXIT)
        except Exception:  # noqa: BLE001 - not a message of ours: ignore it, keep listening
            continue
        if kind == "threads":
            _offered = max(_offered, int(value))


if __name__ == "__main__":
    child_main(Connection(int(sys.argv[1])))
