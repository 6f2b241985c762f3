"""Progress over the tasks of a run: a tqdm bar on stderr and one summary line per task."""

from __future__ import annotations

import sys

from tqdm import tqdm

from grnbench.results import ResultRecord


class RunProgress:
    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.bar: tqdm | None = None

    def __enter__(self) -> RunProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()

    def start(self, cached: int, to_run: int) -> None:
        if not self.enabled:
            return
        self.bar = tqdm(total=cached + to_run, initial=0, desc="tasks", unit="task", file=sys.stderr,
                        dynamic_ncols=True, leave=True)
        if cached:
            tqdm.write(f"{cached} task(s) found in the cache, {to_run} to run", file=sys.stderr)

    def task_done(self, task, record: ResultRecord) -> None:
        if not self.enabled:
            return
        if record.status == "ok":
            origin = "cached" if record.cached else f"fit {record.fit_wall_s:.1f}s"
            line = f"  ok {task.label}: AUPR {record.aupr:.3f}  AUROC {record.auroc:.3f}  ({origin})"
        else:
            line = f"  {record.status} {task.label}: {record.error}"
        if self.bar is None:
            print(line, file=sys.stderr)
            return
        if not record.cached:  # cache hits are summarised in one line, not listed
            tqdm.write(line, file=sys.stderr)
        self.bar.update(1)
