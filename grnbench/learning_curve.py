"""Learning curves of deep fits: one row per trained epoch, with the time it had cost so far.

Why: a deep method's single test AUPR says nothing about whether more epochs (or more hours)
would have helped. Every Keras fit trains through ``grnbench.deep.resumable_fit``, which adds
the ``LearningCurve`` callback made here, so CNNC, DGRNS, PSGRN and Keras plugins all record:
training loss, the validation value the fit is selected on (``val_aupr`` from the shared
selection rule, ``grnbench.deep.epoch_selection``; else Keras's ``val_accuracy``), and wall and
CPU seconds since the fit started.

- **The clock** starts when ``fit`` is called (``recording``, opened by
  ``grnbench.trial.fit_and_score``), so feature preparation before the first epoch counts.
  CPU seconds are the process's user + system time (all its threads), as ``ResourceMeter``
  measures a fit.
- **Resumed fits continue the curve.** The rows so far are saved in the fit's checkpoint
  (``grnbench.checkpoint``, under ``extra``); a resumed fit restores them and adds its own
  time to the last saved row's, so the curve has each epoch once and its times grow. Time
  spent between the last checkpoint and the interruption is lost with that epoch; the resumed
  process's own set-up counts. The task's ``fit_wall_s``/``fit_cpu_s`` count the same way
  (``FitRecording.carried_wall_s``): a fit resumed across runs reports its whole training, not
  the last stretch. A checkpoint written before curves existed resumes with the
  earlier epochs missing from the curve.
- **Progress.** The same callback gives the console its note: the epoch's validation value,
  the best so far, and the time left for the task at most (epochs left, including those of
  the cross-validation folds still to train, × the mean epoch time; early stopping may end
  sooner).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

import numpy as np

from grnbench.execution.task_progress import format_elapsed

#: the validation values a curve records, the one a fit is selected on first
VALIDATION_METRICS = ("val_aupr", "val_accuracy")
#: columns of one epoch's row (``fold`` is added by ``fit_and_score``)
COLUMNS = ("epoch", "train_loss", *VALIDATION_METRICS, "wall_s", "cpu_s")


@dataclass
class FitRecording:
    """The clock and the rows of one ``fit`` call; ``fits_after`` fits of the same task (its
    remaining cross-validation folds) follow it, for the estimate of the time left."""

    fits_after: int = 0
    started_wall: float = field(default_factory=time.perf_counter)
    started_cpu: float = field(default_factory=time.process_time)
    rows: list[dict] = field(default_factory=list)
    #: wall and CPU seconds of earlier processes' training, restored from a checkpoint (0 for
    #: a fit that started afresh); ``fit_and_score`` adds them to the fit's measured time
    carried_wall_s: float = 0.0
    carried_cpu_s: float = 0.0

    def elapsed(self) -> tuple[float, float]:
        return time.perf_counter() - self.started_wall, time.process_time() - self.started_cpu


_current: ContextVar[FitRecording | None] = ContextVar("grnbench_learning_curve", default=None)


@contextmanager
def recording(fits_after: int = 0) -> Iterator[FitRecording]:
    """Record the curves of the fit run inside the block (the clock starts now)."""
    rec = FitRecording(fits_after=int(fits_after))
    token = _current.set(rec)
    try:
        yield rec
    finally:
        _current.reset(token)


def validation_value(logs: dict) -> tuple[str, float] | None:
    """The validation value a fit is monitored on, from an epoch's Keras logs."""
    for name in VALIDATION_METRICS:
        if name in logs:
            return name, float(logs[name])
    return None


def learning_curve(keras, epochs: int):
    """The callback that records each epoch (see the module docstring). Put it after the
    callbacks that add validation values to the logs and before those that report progress."""
    rec = _current.get() or FitRecording()

    class LearningCurve(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.rows: list[dict] = []
            #: wall seconds of each recorded epoch (for the mean epoch time)
            self.epoch_seconds: list[float] = []
            self._carried = (0.0, 0.0)
            self._epoch_started = 0.0

        def state(self) -> dict:
            return {"rows": [dict(r) for r in self.rows], "epoch_seconds": list(self.epoch_seconds)}

        def restore_state(self, state: dict) -> None:
            self.rows = [dict(r) for r in state["rows"]]
            self.epoch_seconds = [float(s) for s in state["epoch_seconds"]]
            if self.rows:
                self._carried = (float(self.rows[-1]["wall_s"]), float(self.rows[-1]["cpu_s"]))
                rec.carried_wall_s, rec.carried_cpu_s = self._carried

        def on_epoch_begin(self, epoch, logs=None):
            self._epoch_started = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            wall, cpu = rec.elapsed()
            row = {"epoch": int(epoch) + 1, "train_loss": float(logs.get("loss", np.nan))}
            for name in VALIDATION_METRICS:
                row[name] = float(logs[name]) if name in logs else None
            row["wall_s"], row["cpu_s"] = self._carried[0] + wall, self._carried[1] + cpu
            self.rows.append(row)
            self.epoch_seconds.append(time.perf_counter() - self._epoch_started)

        def on_train_end(self, logs=None):
            rec.rows.extend(self.rows)

        def progress_note(self, logs: dict) -> str:
            """``val aupr 0.412 (best 0.430), ≤3m12s left`` after the epoch just recorded."""
            parts = []
            current = validation_value(logs)
            if current is not None:
                name, value = current
                seen = [r[name] for r in self.rows if r.get(name) is not None]
                best = max(seen) if seen else value
                parts.append(f"{name.replace('_', ' ')} {value:.3f} (best {best:.3f})")
            if self.rows and self.epoch_seconds:
                left = int(epochs) - int(self.rows[-1]["epoch"]) + int(epochs) * rec.fits_after
                parts.append(f"≤{format_elapsed(left * float(np.mean(self.epoch_seconds)))} left")
            return ", ".join(parts)

    return LearningCurve()
