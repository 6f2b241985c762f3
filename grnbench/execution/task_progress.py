"""Progress inside one long task: what a method reports while it fits.

A run of ``--methods all`` on a 1,000-gene dataset spends tens of minutes inside single tasks;
a bar over tasks alone sits still for that long. Methods therefore report their own progress
through ``TrainingData.on_progress`` (targets done for per-target methods, epochs and the
validation score for deep methods). The runner carries these events from the task's process
(a child of a Dask worker or of the serial runner) to the console, where each running task is
shown with its elapsed time.

Events must survive pickling and msgpack (Dask's event log), so they hold plain numbers and
a short note only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class ProgressEvent:
    """``done`` of ``total`` ``unit`` (e.g. 250 of 1000 targets, 3 of 80 epochs).

    ``total`` is 0 when unknown (early stopping may end training before the last epoch);
    ``note`` carries a short extra such as ``val AUPR 0.412``.
    """

    done: int
    total: int = 0
    unit: str = ""
    note: str = ""

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ProgressEvent:
        return cls(int(data.get("done", 0)), int(data.get("total", 0)), str(data.get("unit", "")),
                   str(data.get("note", "")))

    def describe(self) -> str:
        text = f"{self.done}/{self.total} {self.unit}" if self.total else f"{self.done} {self.unit}"
        return f"{text.strip()} {self.note}".strip()


#: what a method calls; None means nobody listens
ProgressCallback = Callable[[ProgressEvent], None]


def report(callback: ProgressCallback | None, done: int, total: int = 0, unit: str = "",
           note: str = "") -> None:
    """Send one event if anyone listens. A failing listener never fails the fit."""
    if callback is None:
        return
    try:
        callback(ProgressEvent(int(done), int(total), unit, note))
    except Exception:  # noqa: BLE001 - progress is advisory; the fit's result matters
        pass


def format_elapsed(seconds: float) -> str:
    """``45s``, ``3m12s``, ``2h05m``: durations on the console (elapsed and time left)."""
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
