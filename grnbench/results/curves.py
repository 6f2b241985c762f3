"""``curves.csv``: the learning curve of every deep fit in a run folder, one row per epoch.

Columns: the task's identity as in ``results.csv`` (method, dataset, protocol, repeat,
init_seed), the cross-validation ``fold`` (empty without folds), then
``grnbench.learning_curve.COLUMNS`` (epoch, train_loss, val_aupr, val_accuracy, wall_s, cpu_s).
The runner rewrites the file after each finished task, like ``results.csv``, and replaces rows
the same way: a re-run of a (method, dataset, protocol) combination (``run_folder.combination``)
replaces that combination's rows, every other earlier row stays, ``--replace`` drops them all.
A cached task brings its curve from the cache entry, so re-runs keep it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from grnbench.learning_curve import COLUMNS as EPOCH_COLUMNS
from grnbench.results.records import ResultRecord, write_csv_atomically

CURVES_NAME = "curves.csv"
IDENTITY = ("method", "dataset", "protocol", "repeat", "init_seed")
COLUMNS = (*IDENTITY, "fold", *EPOCH_COLUMNS)


def task_rows(record: ResultRecord, curve: list[dict]) -> list[dict]:
    """The rows of one task's curve, each with the task's identity from its result record."""
    identity = {name: getattr(record, name) for name in IDENTITY}
    return [{**identity, **{name: row.get(name) for name in ("fold", *EPOCH_COLUMNS)}} for row in curve]


def read_curves(run_dir: Path) -> pd.DataFrame:
    """The rows of ``RUN_DIR/curves.csv`` (none when the run trained no deep method); a file
    that cannot be read as one is a one-line ``DataError``, never rewritten over."""
    from grnbench.errors import DataError

    path = Path(run_dir) / CURVES_NAME
    if not path.is_file():
        return pd.DataFrame(columns=list(COLUMNS))
    try:
        frame = pd.read_csv(path, keep_default_na=False, na_values=[""], dtype={"method": str, "dataset": str,
                                                                                "protocol": str})
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise DataError(path, f"unreadable ({type(exc).__name__}: {exc}); restore it or delete it "
                              "(the learning curves of its fits are then lost)".replace("\n", " ")) from None
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(path, f"not a grnbench curves file (missing columns {', '.join(missing)}); "
                              "restore it or delete it")
    return frame[list(COLUMNS)]


class CurvesFile:
    """The run folder's ``curves.csv`` while a run writes it: earlier rows of combinations this
    run does not redo, and this run's rows by task index."""

    def __init__(self, out_dir: Path, this_run: set[tuple[str, str, str]]) -> None:
        self.path = Path(out_dir) / CURVES_NAME
        earlier = read_curves(out_dir)
        redone = [(m, d, p) in this_run for m, d, p in zip(earlier["method"], earlier["dataset"],
                                                           earlier["protocol"], strict=True)]
        self.kept = earlier[[not r for r in redone]]
        self.tasks: dict[int, list[dict]] = {}
        #: the file differs from what it should hold (earlier rows this run replaces are in it)
        self._stale = any(redone)

    def set(self, index: int, record: ResultRecord, curve: list[dict], write: bool = True) -> None:
        """Task ``index`` finished (or failed: no rows); rewrite the file if anything changed,
        or only note it (``write=False``: cached tasks are written together, once)."""
        before = self.tasks.pop(index, [])
        if curve:
            self.tasks[index] = task_rows(record, curve)
        self._stale = self._stale or bool(curve or before)
        if write:
            self.write_if_changed()

    def write_if_changed(self) -> None:
        if not self._stale:
            return
        rows = pd.DataFrame([row for index in sorted(self.tasks) for row in self.tasks[index]], columns=list(COLUMNS))
        parts = [part for part in (self.kept, rows) if len(part)]
        write_csv_atomically(pd.concat(parts, ignore_index=True) if parts else rows, self.path)
        self._stale = False
