"""Progress of a run on stderr: a tqdm bar over tasks, one summary line per finished task,
and what each running task is doing with its elapsed time.

A long task (a deep model's training, a per-target method's 1,000 targets) would otherwise
leave the bar still for many minutes. Running tasks appear in the bar's postfix
(``genie3 412/1000 targets 3m12s``) and, for logs that are not a terminal, as one line per
running task every ``NOTE_EVERY_S`` seconds.
"""

from __future__ import annotations

import sys
import time

from tqdm import tqdm

from grnbench.execution.backends import TaskWatch
from grnbench.execution.task_progress import ProgressEvent, format_elapsed
from grnbench.results.records import ResultRecord

#: a running task is listed as a line this often (the bar's postfix updates continuously)
NOTE_EVERY_S = 60.0


class RunProgress:
    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.bar: tqdm | None = None
        self.tasks: list = []
        #: index → (started at, last event, last line written at)
        self.running: dict[int, list] = {}
        #: finished tasks: a progress event relayed after the result is ignored
        self.finished: set[int] = set()
        self._last_postfix = 0.0

    def __enter__(self) -> RunProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()

    def watch(self, tasks: list) -> TaskWatch:
        """The hooks a backend calls, for the run's task list (indices into ``tasks``)."""
        self.tasks = list(tasks)
        return TaskWatch(on_start=self.task_started, on_progress=self.task_progress, on_tick=self.tick)

    def start(self, cached: int, to_run: int) -> None:
        if not self.enabled:
            return
        if not sys.stderr.isatty():
            # a log file or CI: no redrawn bar (each redraw would be a new line), only the task
            # lines and the periodic "…" notes of long tasks
            print(f"{cached + to_run} task(s): {cached} found in the cache, {to_run} to run", file=sys.stderr)
            return
        self.bar = tqdm(total=cached + to_run, initial=0, desc="tasks", unit="task", file=sys.stderr,
                        dynamic_ncols=True, leave=True)
        if cached:
            tqdm.write(f"{cached} task(s) found in the cache, {to_run} to run", file=sys.stderr)

    def task_started(self, index: int) -> None:
        if index in self.finished:
            return
        now = time.monotonic()
        self.running[index] = [now, None, now]
        self.tick(force=True)

    def task_progress(self, index: int, event: ProgressEvent) -> None:
        if index in self.finished:
            return
        entry = self.running.setdefault(index, [time.monotonic(), None, time.monotonic()])
        entry[1] = event
        self.tick()

    def _name(self, index: int) -> str:
        if 0 <= index < len(self.tasks):
            return self.tasks[index].method.label
        return f"task {index}"

    def _label(self, index: int) -> str:
        if 0 <= index < len(self.tasks):
            return self.tasks[index].label
        return f"task {index}"

    def tick(self, force: bool = False) -> None:
        """Redraw the running tasks (at most twice a second) and note long ones in the log."""
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last_postfix < 0.5:
            return
        self._last_postfix = now
        parts = []
        for index, (started, event, noted) in sorted(self.running.items()):
            doing = f" {event.describe()}" if event is not None else ""
            parts.append(f"{self._name(index)}{doing} {format_elapsed(now - started)}")
            if now - noted >= NOTE_EVERY_S:
                self.running[index][2] = now
                line = f"  … {self._label(index)}: {event.describe() if event else 'running'} ({format_elapsed(now - started)})"
                self._write(line)
        if self.bar is not None:
            self.bar.set_postfix_str(" | ".join(parts), refresh=True)

    def _write(self, line: str) -> None:
        if self.bar is None:
            print(line, file=sys.stderr)
        else:
            tqdm.write(line, file=sys.stderr)

    def task_done(self, task, record: ResultRecord) -> None:
        if not self.enabled:
            return
        index = next((i for i, t in enumerate(self.tasks) if t == task), None)
        started = self.running.pop(index, None) if index is not None else None
        if index is not None:
            self.finished.add(index)
        if record.status == "ok":
            origin = "cached" if record.cached else f"fit {record.fit_wall_s:.1f}s"
            line = f"  ok {task.label}: AUPR {record.aupr:.3f}  AUROC {record.auroc:.3f}  ({origin})"
        else:
            took = f" after {format_elapsed(time.monotonic() - started[0])}" if started else ""
            line = f"  {record.status} {task.label}{took}: {record.error}"
        if self.bar is None:
            print(line, file=sys.stderr)
            return
        if not record.cached:  # cache hits are summarised in one line, not listed
            tqdm.write(line, file=sys.stderr)
        self.bar.update(1)
        self.tick(force=True)
