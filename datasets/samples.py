"""Which series and time each expression sample belongs to: sample sheets and sample names.

A time-course experiment usually has several series (replicates, conditions, perturbations),
and every method that differences in time must stay inside one series. A matrix alone cannot
say where one series ends, so:

- with a sample sheet (``--samples FILE``: columns ``sample``, ``time``, ``series``; optional
  ``condition`` and ``replicate``) every expression column is assigned a series and a time;
  the sheet must cover every column exactly once and name no column that is absent;
- without one, numeric sample names are read as the times of a single series, and names whose
  numbers restart or repeat (``0,50,100,0,50,100`` or ``0,0,10,10``) are an error that says how
  to write the sheet, never a silent rename; non-numeric names are one series, equally spaced.

The result is a ``SampleLayout``: the column order that makes each series contiguous and in
time order (the order ``Dataset`` requires), with each column's time and series id.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from grnbench.data.dataset import duplicated_items
from grnbench.errors import DataError

from .files import read_table

REQUIRED = ("sample", "time")
OPTIONAL = ("series", "condition", "replicate")
SHEET_HINT = ("write a sample sheet with columns sample,time,series (one row per expression column, "
              "in file order, e.g. '0,0,rep1') and pass it with --samples FILE; see docs/inputs.md")


@dataclass(frozen=True)
class ObsKeys:
    """Where an AnnData file keeps each sample's time and series, and which matrix to read.

    ``time`` and ``series`` name ``obs`` columns; ``layer`` names an entry of ``layers``
    (None: ``X``). A missing ``series`` column means one series unless it was asked for.
    """

    time: str = "time"
    series: str = "series"
    layer: str | None = None
    series_required: bool = False


@dataclass(frozen=True)
class SampleLayout:
    """Columns of the expression matrix arranged into series.

    Attributes:
        order: expression column indices in dataset order (series by series, time ascending).
        times: time of each column of the reordered matrix.
        series: integer series id (0, 1, …) of each column of the reordered matrix.
        series_names: the name of each series id, e.g. ``('rep1', 'rep2')``.
    """

    order: np.ndarray
    times: np.ndarray
    series: np.ndarray
    series_names: tuple[str, ...]

    def describe(self) -> str:
        """``3 series (rep1: 8, rep2: 8, rep3: 8 points)`` for the dataset's description."""
        counts = [int((self.series == k).sum()) for k in range(len(self.series_names))]
        if len(counts) == 1:
            return f"1 series of {counts[0]} points"
        parts = ", ".join(f"{name}: {n}" for name, n in zip(self.series_names, counts, strict=True))
        return f"{len(counts)} series ({parts} points)"


def check_sample_names(names: Sequence[str], where: str | Path) -> None:
    """Sample names must be unique: a sheet assigns series by name, and repeated times hide replicates."""
    dups = duplicated_items(names)
    if dups:
        numeric = all(_as_number(d) is not None for d in dups)
        hint = ("repeated times mean several series (replicates or conditions): " + SHEET_HINT
                if numeric else "give each column a unique name, or " + SHEET_HINT)
        raise DataError(where, f"duplicated sample name(s) {', '.join(repr(d) for d in dups[:5])} in the header; {hint}")


def layout_from_names(names: Sequence[str], where: str | Path) -> SampleLayout:
    """One series from the column names: their numbers as times, or 0, 1, 2… when not all numeric.

    Numbers that do not strictly increase mean the file holds several series; that is refused
    with the way to write a sample sheet, because guessing the boundary would be a silent
    wrong answer when times are merely unordered.
    """
    check_sample_names(names, where)
    numbers = [_as_number(n) for n in names]
    n = len(names)
    if n and all(x is not None for x in numbers):
        times = np.array(numbers, dtype=float)
        for k in range(1, n):
            if times[k] <= times[k - 1]:
                raise DataError(where, f"sample names read as times do not increase: {names[k]!r} follows "
                                       f"{names[k - 1]!r} (column {k + 2}), so the columns hold several series "
                                       f"(replicates or conditions) or are out of order; {SHEET_HINT}")
    else:
        times = np.arange(n, dtype=float)
    return SampleLayout(np.arange(n), times, np.zeros(n, dtype=np.int64), ("series1",))


def read_sample_sheet(path: str | Path) -> pd.DataFrame:
    """The sheet as strings with lower-case column names; one-line errors for missing columns."""

    frame = read_table(path)
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise DataError(path, f"a sample sheet needs columns sample,time,series (optional condition,replicate); "
                              f"missing {', '.join(missing)}, found {', '.join(map(str, frame.columns))}")
    if "series" not in frame.columns and not {"condition", "replicate"} <= set(frame.columns):
        raise DataError(path, "a sample sheet needs a series column (or both condition and replicate columns, "
                              "whose combination names the series)")
    if frame.empty:
        raise DataError(path, "the sample sheet has no rows; give one row per expression column")
    for column in frame.columns:
        if column in REQUIRED + OPTIONAL:
            frame[column] = frame[column].fillna("").astype(str).str.strip()
    return frame


def layout_from_sheet(names: Sequence[str], sheet_path: str | Path, where: str | Path) -> SampleLayout:
    """Assign every expression column (``names``, from file ``where``) a series and a time.

    Columns are matched by name. When the expression repeats sample names (a header such as
    ``0,50,100,0,50,100``), the sheet must list the columns in file order, and rows are then
    matched by position: a name alone cannot say which of two ``0`` columns is which series.
    """
    sheet = read_sample_sheet(sheet_path)
    samples = sheet["sample"].tolist()
    empty = [k for k, s in enumerate(samples) if not s]
    if empty:
        raise DataError(sheet_path, f"row {empty[0] + 2} has an empty sample name")
    if _first_duplicate(list(names)) is not None:
        if samples != list(names):
            raise DataError(sheet_path, f"{where} repeats sample names, so the sheet must list its {len(names)} "
                                        "columns in file order, one row each (or give the columns unique names)")
        samples = [f"{s} (column {k + 2})" for k, s in enumerate(samples)]
        names = samples
    dup = _first_duplicate(samples)
    if dup is not None:
        raise DataError(sheet_path, f"sample {dup!r} is listed more than once; list each expression column exactly once")
    known = set(names)
    absent = [s for s in samples if s not in known]
    if absent:
        raise DataError(sheet_path, f"{len(absent)} sample(s) are not columns of {where}, e.g. "
                                    f"{', '.join(repr(s) for s in absent[:5])}; use the expression file's column names")
    listed = set(samples)
    uncovered = [n for n in names if n not in listed]
    if uncovered:
        raise DataError(sheet_path, f"{len(uncovered)} column(s) of {where} have no row, e.g. "
                                    f"{', '.join(repr(s) for s in uncovered[:5])}; every expression column needs a series and a time")
    times = []
    for k, text in enumerate(sheet["time"]):
        value = _as_number(text)
        if value is None:
            raise DataError(sheet_path, f"time {text!r} of sample {samples[k]!r} is not a number")
        times.append(value)
    if "series" in sheet.columns:
        labels = sheet["series"].tolist()
        if any(not s for s in labels):
            row = next(k for k, s in enumerate(labels) if not s)
            raise DataError(sheet_path, f"sample {samples[row]!r} has an empty series")
    else:
        labels = [f"{c}|{r}" for c, r in zip(sheet["condition"], sheet["replicate"], strict=True)]
    series_names = tuple(dict.fromkeys(labels))
    column = {name: k for k, name in enumerate(names)}
    order, out_times, out_series = [], [], []
    for sid, label in enumerate(series_names):
        rows = sorted((times[k], k) for k, s in enumerate(labels) if s == label)
        for (t_prev, k_prev), (t, k) in zip(rows, rows[1:], strict=False):
            if t == t_prev:
                raise DataError(sheet_path, f"series {label!r} has two samples at time {t:g} ({samples[k_prev]!r}, "
                                            f"{samples[k]!r}); give replicates or conditions their own series")
        for t, k in rows:
            order.append(column[samples[k]])
            out_times.append(t)
            out_series.append(sid)
    return SampleLayout(np.array(order, dtype=np.int64), np.array(out_times, dtype=float),
                        np.array(out_series, dtype=np.int64), series_names)


def layout_from_columns(times: Sequence[float], series: Sequence[str], sample_names: Sequence[str],
                        where: str | Path, allow_ties: bool = False) -> SampleLayout:
    """Series and times given per sample (AnnData ``obs`` columns, BEELINE pseudotime).

    ``allow_ties`` keeps samples with equal times in one series in their file order (pseudotime
    ties are common); otherwise equal times in one series are refused as hidden replicates.
    """
    series_names = tuple(dict.fromkeys(series))
    order, out_times, out_series = [], [], []
    for sid, label in enumerate(series_names):
        rows = sorted((t, k) for k, (t, s) in enumerate(zip(times, series, strict=True)) if s == label)
        if not allow_ties:
            for (t_prev, k_prev), (t, k) in zip(rows, rows[1:], strict=False):
                if t == t_prev:
                    raise DataError(where, f"series {label!r} has two samples at time {t:g} ({sample_names[k_prev]!r}, "
                                           f"{sample_names[k]!r}); give replicates or conditions their own series")
        for t, k in rows:
            order.append(k)
            out_times.append(t)
            out_series.append(sid)
    return SampleLayout(np.array(order, dtype=np.int64), np.array(out_times, dtype=float),
                        np.array(out_series, dtype=np.int64), series_names)


def _as_number(text: object) -> float | None:
    try:
        value = float(str(text).strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _first_duplicate(items: Sequence[str]) -> str | None:
    seen: set[str] = set()
    for item in items:
        if item in seen:
            return item
        seen.add(item)
    return None
