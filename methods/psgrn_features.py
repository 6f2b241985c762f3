"""PSGRN's input: the time-lag difference matrix of every gene (Wang et al. 2023, Methods).

For one series G_i = (G_i,1 … G_i,n) and time lag tl, row j of gene i's matrix is

    G'_i,j = (G_i,j+1 − G_i,j, G_i,j+2 − G_i,j, …, G_i,j+tl − G_i,j),   j = 1 … n − tl − 1

so a gene becomes an (n − tl − 1) × tl matrix (74 × 32 for the paper's n = 107, tl = 32). As in
the paper's formula, the last time point only ever appears as j + tl ≤ n − 1, i.e. it is unused.

Short and multiple series (the paper has one series of 107 points; DREAM4 has 5 or 10 series of
21 points), our rule:
- one tl for the whole dataset: ``tl_eff = min(tl, L_min − 1 − min_steps)`` with ``L_min`` the
  shortest series, so every series yields at least ``min_steps`` rows. With the defaults
  (tl = 32, min_steps = 10) a 107-point series keeps tl = 32 (74 rows) and DREAM4's 21-point
  series get tl = 10 (10 rows per series). A dataset with ``L_min < min_steps + 2`` (tl would be
  below 1) is skipped with a message that says so.
- each series gets its own matrix (a difference never spans a series boundary); the matrices are
  stacked along the step axis in series order, giving Σ_s (L_s − tl_eff − 1) rows per gene.
  ``segment_lengths`` records the rows of each series so the model can restart its recurrent
  state at every series when the series have equal length.
Before differencing, each gene is standardised over all its samples (z-score; a constant gene
becomes zeros) when ``standardise`` is true — the paper only says data are preprocessed "to
unify the description", so this choice is ours.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from grnbench.data.dataset import Dataset


def effective_time_lag(shortest_series: int, tl: int, min_steps: int) -> int:
    """The tl actually used: ``tl`` unless the shortest series would leave < ``min_steps`` rows.

    Returns a value < 1 when the series are too short for any lag (the caller skips).
    """
    return min(int(tl), int(shortest_series) - 1 - int(min_steps))


def too_short_reason(dataset: Dataset, tl: int, min_steps: int, who: str = "psgrn") -> str | None:
    shortest = dataset.min_series_length()
    if effective_time_lag(shortest, tl, min_steps) < 1:
        return (f"{who} needs series of at least min_steps + 2 = {int(min_steps) + 2} time points "
                f"for a time-lag matrix with ≥ {min_steps} rows; {dataset.name} has a series of "
                f"{shortest} (lower the method's min_steps parameter to use it)")
    return None


def time_lag_matrix(series: np.ndarray, tl: int) -> np.ndarray:
    """Time-lag difference matrices of one series: genes × n samples → genes × (n − tl − 1) × tl."""
    series = np.asarray(series, dtype=np.float64)
    n = series.shape[-1]
    rows = n - tl - 1
    if tl < 1 or rows < 1:
        raise ValueError(f"a series of {n} points has no time-lag matrix for tl = {tl}")
    # windows[..., j, k] = series[..., j + k] for k = 0 … tl
    windows = np.lib.stride_tricks.sliding_window_view(series, tl + 1, axis=-1)[..., :rows, :]
    return windows[..., 1:] - windows[..., :1]


@dataclass(frozen=True)
class LagFeatures:
    """Every gene's stacked time-lag matrix, ready for the model."""

    values: np.ndarray  # genes × steps × tl, float32
    tl: int
    segment_lengths: tuple[int, ...]  # rows contributed by each series, in order

    @property
    def steps(self) -> int:
        return self.values.shape[1]


def standardise_genes(expression: np.ndarray) -> np.ndarray:
    x = np.asarray(expression, dtype=np.float64)
    centred = x - x.mean(axis=1, keepdims=True)
    sd = centred.std(axis=1, keepdims=True)
    return np.divide(centred, sd, out=np.zeros_like(centred), where=sd > 1e-12)


def lag_features(dataset: Dataset, tl: int, min_steps: int, standardise: bool = True) -> LagFeatures:
    reason = too_short_reason(dataset, tl, min_steps)
    if reason:
        raise ValueError(reason)
    tl_eff = effective_time_lag(dataset.min_series_length(), tl, min_steps)
    expression = standardise_genes(dataset.expression) if standardise else dataset.expression
    blocks = [time_lag_matrix(expression[:, cols], tl_eff) for cols in dataset.series_blocks()]
    values = np.concatenate(blocks, axis=1).astype(np.float32)
    return LagFeatures(values, tl_eff, tuple(b.shape[1] for b in blocks))
