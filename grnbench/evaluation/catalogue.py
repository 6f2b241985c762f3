"""The metric catalogue: the one list of every column a task reports.

A metric is declared here and nowhere else. Each entry of ``FAMILIES`` computes one or more
columns from the labelled, scored test pairs (``grnbench.evaluation.metrics.ScoredPairs``); ``MEASURED``
are the costs a task measures while it runs; ``DERIVED`` are computed from other columns when
tables are built. From this list come the fields of ``ResultRecord`` (so the columns of
results.csv), the metrics ``grnbench evaluate`` recomputes from saved edge lists, the choices
of ``grnbench table --metric``, the averages over repeats, the run summary and the report's
comparison table.

To add a metric or a family of columns (a value with its interval, an AUPR per pair class):
write a function ``ScoredPairs -> {column: value}`` beside the code it belongs to, describe
its columns with ``Column``, and append the ``MetricFamily`` to ``FAMILIES``. If it needs a
per-pair value other than the label and score (a pair's class, say), give the family a
``pair_columns`` function of the trial: its columns are saved in every edge list and arrive
in ``ScoredPairs.columns``, at run time and in ``grnbench evaluate``. A family module must not import ``grnbench.results.records``
(results imports this catalogue).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from grnbench.evaluation.beeline import BEELINE_METRICS
from grnbench.evaluation.metrics import EDGE_RECOVERY, FOLD_AUPR, Column, MetricFamily, ScoredPairs
from grnbench.evaluation.pair_classes import PAIR_CLASS_AUPR
from grnbench.evaluation.statistics import BOOTSTRAP_INTERVALS

if TYPE_CHECKING:
    from grnbench.data.protocols import Trial
    from grnbench.data.universe import EdgeUniverse

#: every family of score metrics, in column order
FAMILIES: tuple[MetricFamily, ...] = (EDGE_RECOVERY, BOOTSTRAP_INTERVALS, PAIR_CLASS_AUPR, FOLD_AUPR, BEELINE_METRICS)

#: costs a task measures (not recomputable from an edge list)
MEASURED: tuple[Column, ...] = (
    Column("fit_wall_s", "fit s", "fit wall time (s)", False, "seconds", headline=True),
    Column("fit_cpu_s", "fit CPU s", "fit CPU time, all threads, and the per-target tasks it ran on Dask workers (s)", False, "seconds"),
    Column("score_wall_s", "score s", "scoring wall time (s)", False, "seconds", headline=True),
    Column("score_cpu_s", "score CPU s", "scoring CPU time, all threads (s)", False, "seconds"),
    Column("peak_memory_mb", "peak MB", "peak memory of the task above its start (MB)", False, "mb",
           aggregate="max", headline=True),
)


@dataclass(frozen=True)
class Derived:
    """A column computed from other columns of results.csv when tables are built."""

    column: Column
    compute: Callable[[pd.DataFrame], pd.Series]


DERIVED: tuple[Derived, ...] = (
    Derived(Column("time_s", "time s", "fit + score wall time (s)", False, "seconds"),
            lambda frame: frame["fit_wall_s"] + frame["score_wall_s"]),
)


def score_columns() -> tuple[Column, ...]:
    """Columns computed from labels and scores, in results.csv order."""
    return tuple(c for family in FAMILIES for c in family.columns)


def record_columns() -> tuple[Column, ...]:
    """Every metric and cost column a ``ResultRecord`` carries, in results.csv order."""
    return score_columns() + MEASURED


def all_columns() -> tuple[Column, ...]:
    return record_columns() + tuple(d.column for d in DERIVED)


def column(name: str) -> Column:
    for c in all_columns():
        if c.name == name:
            return c
    raise KeyError(name)


def rankable() -> dict[str, bool]:
    """Column name → higher is better, for every column a table can rank methods by."""
    return {c.name: bool(c.higher_is_better) for c in all_columns() if c.rankable}


def headline() -> tuple[Column, ...]:
    """The columns of the run summary and of the report's comparison table."""
    return tuple(c for c in all_columns() if c.headline)


def compute_metrics(scored: ScoredPairs) -> dict[str, float | int]:
    """Every family's columns for one task's scored test pairs."""
    values: dict[str, float | int] = {}
    for family in FAMILIES:
        out = family.compute(scored)
        missing = [c.name for c in family.columns if c.name not in out]
        if missing:
            raise ValueError(f"metric family {family.name!r} did not compute {', '.join(missing)}")
        values.update((c.name, out[c.name]) for c in family.columns)
    return values


def pair_columns(trial: Trial, universe: EdgeUniverse) -> dict[str, np.ndarray]:
    """Every family's per-test-pair columns for ``trial`` (aligned with ``trial.split.test``).

    Under cross-validation each pair's columns come from its own rotation (a family sees a
    one-split trial, so it never needs to know about folds: "seen in training" means seen by
    the model that scored the pair), and ``fold`` says which rotation that was."""
    if not trial.folds:
        return _family_columns(trial, universe)
    test = trial.split.test
    columns: dict[str, np.ndarray] = {"fold": np.zeros(len(test), dtype=np.int16)}
    for f, rotation in enumerate(trial.folds):
        at = np.searchsorted(test, rotation.test)
        columns["fold"][at] = f
        for name, values in _family_columns(replace(trial, split=rotation, folds=()), universe).items():
            if name not in columns:
                columns[name] = np.zeros(len(test), dtype=values.dtype)
            columns[name][at] = values
    return columns


def _family_columns(trial: Trial, universe: EdgeUniverse) -> dict[str, np.ndarray]:
    columns: dict[str, np.ndarray] = {}
    for family in FAMILIES:
        if family.pair_columns is None:
            continue
        for name, values in family.pair_columns(trial, universe).items():
            values = np.asarray(values)
            if values.shape != (len(trial.split.test),):
                raise ValueError(f"metric family {family.name!r} gave {values.shape[0]} values of {name!r} "
                                 f"for {len(trial.split.test)} test pairs")
            columns[name] = values
    return columns


def needs_pair_columns() -> bool:
    return any(family.pair_columns is not None for family in FAMILIES)


def with_derived(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the derived columns added (a copy)."""
    frame = frame.copy()
    for derived in DERIVED:
        frame[derived.column.name] = derived.compute(frame)
    return frame


def _check_unique() -> None:
    names = [c.name for c in all_columns()]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise RuntimeError(f"metric catalogue declares {', '.join(twice)} more than once")


_check_unique()
