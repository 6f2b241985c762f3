"""The data model every method and metric reads: one ``Dataset`` per benchmark input.

A dataset is immutable once built: expression (genes × samples, samples ordered in time
within each series), the sample times and series ids, the TF list, the gold-standard edges,
and optional steady-state measurements. Its ``content_hash`` keys every cache entry, so any
change to the numbers, genes, TFs or gold standard invalidates cached results.

A dataset is stored in one canonical order, whatever order its files were in: genes and TFs
sorted by name (natural order: G2 before G10), and whole time series sorted by their content.
The edge universe, every split and every seeded method read the dataset in that order, so
the lines of a file, the columns of a matrix or the rows of a sample sheet given in another
order give the same pairs, the same splits, the same hash and the same scores.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from grnbench.errors import DataError


@dataclass(frozen=True, eq=False)
class Dataset:
    """A time-series expression dataset with its gold standard.

    Attributes:
        name: registry name, e.g. ``dream4-100-1``.
        genes: gene identifiers, one per row of ``expression``.
        expression: float64 array, genes × samples.
        times: time value of each sample (column).
        series: integer series id of each sample; columns of one series are contiguous and in
            time order. Methods that take finite differences must never difference across
            series boundaries.
        tfs: the candidate regulators (a subset of ``genes``), in a fixed order.
        gold_standard: set of (regulator, target) gene-name pairs known to be true edges.
        steady_state: optional genes × conditions matrix (e.g. knockouts), used by NODE.
        source, licence, description: provenance shown by ``grnbench datasets show``.
    """

    name: str
    genes: tuple[str, ...]
    expression: np.ndarray
    times: np.ndarray
    series: np.ndarray
    tfs: tuple[str, ...]
    gold_standard: frozenset[tuple[str, str]]
    steady_state: np.ndarray | None = None
    source: str = ""
    licence: str = ""
    description: str = ""
    origin: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        where = self.origin or self.name
        expr = self.expression
        if expr.ndim != 2 or expr.shape[0] != len(self.genes):
            raise DataError(where, f"expression must be genes × samples with {len(self.genes)} rows, got shape {expr.shape}")
        if len(self.times) != expr.shape[1] or len(self.series) != expr.shape[1]:
            raise DataError(where, "times and series need one value per sample column")
        validate_matrix(expr, where, self.genes)
        if len(set(self.genes)) != len(self.genes):
            raise DataError(where, f"duplicated gene identifiers: {', '.join(duplicated_items(self.genes)[:5])}; make gene IDs unique")
        gene_set = set(self.genes)
        missing_tfs = [t for t in self.tfs if t not in gene_set]
        if missing_tfs:
            raise DataError(where, f"{len(missing_tfs)} TF(s) not in the expression matrix, e.g. {', '.join(missing_tfs[:5])}; remove them from the TF list or add their expression")
        if not self.tfs:
            raise DataError(where, "the TF list is empty; a dataset needs at least one candidate regulator")
        if not self.gold_standard:
            raise DataError(where, "the gold standard has no positive edges; give at least one regulator→target edge with label 1")
        unknown = sorted({g for edge in self.gold_standard for g in edge if g not in gene_set})
        if unknown:
            raise DataError(where, f"the gold standard names {len(unknown)} gene(s) not in the expression matrix, e.g. {', '.join(unknown[:5])}; use the same gene IDs in both files")
        if self.steady_state is not None:
            if self.steady_state.ndim != 2 or self.steady_state.shape[0] != len(self.genes):
                raise DataError(where, "steady-state data must be genes × conditions")
            validate_matrix(self.steady_state, where, self.genes)
        self._canonicalise()

    def _canonicalise(self) -> None:
        """Put genes, TFs and series in the canonical order (see the module docstring)."""
        set_ = object.__setattr__
        genes = sorted(self.genes, key=natural_key)
        if genes != list(self.genes):
            rows = np.array([{g: i for i, g in enumerate(self.genes)}[g] for g in genes], dtype=np.int64)
            set_(self, "genes", tuple(genes))
            set_(self, "expression", np.ascontiguousarray(self.expression[rows]))
            if self.steady_state is not None:
                set_(self, "steady_state", np.ascontiguousarray(self.steady_state[rows]))
        set_(self, "tfs", tuple(sorted(set(self.tfs), key=natural_key)))
        set_(self, "gold_standard", frozenset(self.gold_standard))
        order = series_order(self.expression, np.asarray(self.times, dtype=np.float64), np.asarray(self.series))
        if order is not None:
            columns, series = order
            set_(self, "expression", np.ascontiguousarray(self.expression[:, columns]))
            set_(self, "times", np.asarray(self.times)[columns])
            set_(self, "series", series)

    @property
    def n_genes(self) -> int:
        return len(self.genes)

    @property
    def n_samples(self) -> int:
        return self.expression.shape[1]

    @cached_property
    def gene_index(self) -> dict[str, int]:
        return {g: i for i, g in enumerate(self.genes)}

    @cached_property
    def tf_indices(self) -> np.ndarray:
        return np.array([self.gene_index[t] for t in self.tfs], dtype=np.int64)

    def series_blocks(self) -> list[np.ndarray]:
        """Column indices of each time series, in time order."""
        return [np.flatnonzero(self.series == s) for s in np.unique(self.series)]

    def min_series_length(self) -> int:
        return min(len(b) for b in self.series_blocks())

    @cached_property
    def content_hash(self) -> str:
        """SHA-256 over everything that changes a result (numbers, genes, TFs, gold standard)."""
        h = hashlib.sha256()
        for part in (self.genes, self.tfs, sorted(self.gold_standard)):
            h.update(repr(part).encode())
        for arr in (self.expression, self.times, self.series):
            h.update(np.ascontiguousarray(arr, dtype=np.float64).tobytes())
        if self.steady_state is not None:
            h.update(np.ascontiguousarray(self.steady_state, dtype=np.float64).tobytes())
        return h.hexdigest()[:16]



def natural_key(name: str) -> tuple:
    """Sort key that orders embedded numbers by value (G2 < G10); the raw name breaks ties, so
    distinct names never compare equal and the order is total."""
    parts = re.split(r"(\d+)", name)
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts if p), name


def series_order(expression: np.ndarray, times: np.ndarray, series: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Column order and series ids that sort whole series by content, or None if already so.

    Series ids are given by a reader in order of first appearance, so a sample sheet listed in
    another order would renumber them. Each series (its columns kept in their time order) is
    keyed by its times and its values; series are sorted by that key and numbered 0, 1, …
    Samples of one series at the same time (pseudotime ties) are ordered by their values.
    """
    ids = list(dict.fromkeys(series.tolist()))
    blocks = [_time_order(np.flatnonzero(series == s), expression, times) for s in ids]
    keys = [(len(b), times[b].tobytes(), np.ascontiguousarray(expression[:, b]).tobytes()) for b in blocks]
    ranked = sorted(range(len(blocks)), key=lambda i: keys[i])
    columns = np.concatenate([blocks[i] for i in ranked])
    new_series = np.concatenate([np.full(len(blocks[i]), k, dtype=series.dtype) for k, i in enumerate(ranked)])
    if np.array_equal(columns, np.arange(len(series))) and np.array_equal(new_series, series):
        return None
    return columns, new_series


def _time_order(columns: np.ndarray, expression: np.ndarray, times: np.ndarray) -> np.ndarray:
    """``columns`` of one series in time order, ties ordered by their values (not file order)."""
    return np.array(sorted(columns, key=lambda c: (times[c], expression[:, c].tobytes())), dtype=np.int64)


def validate_matrix(values: np.ndarray, where: str, genes: tuple[str, ...] | None = None) -> None:
    """Reject NaN/inf values with a message naming the first offending gene."""
    bad = ~np.isfinite(values)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        gene = genes[row] if genes is not None else f"row {row + 1}"
        raise DataError(where, f"{int(bad.sum())} missing or infinite value(s), first at gene {gene}, sample {col + 1}; fill or drop them before loading")


def duplicated_items(items: Sequence[str]) -> list[str]:
    """The items that occur more than once, each once, in order of their second occurrence."""
    seen: set[str] = set()
    dups: list[str] = []
    for item in items:
        if item in seen and item not in dups:
            dups.append(item)
        seen.add(item)
    return dups
