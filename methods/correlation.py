"""Positive baseline: |Pearson correlation| between the TF's and the target's series.

Correlation is computed over all samples (all series together), with no time lag. A
constant gene has no defined correlation and scores 0.
"""

from __future__ import annotations

import numpy as np

from grnbench.api import Method, TrainingData
from grnbench.data.universe import PairSet


class Correlation(Method):
    name = "correlation"
    cheap = True
    description = "baseline: |Pearson correlation| of TF and target expression"
    min_time_points = 2
    deterministic = True  # no random draw: the same scores for every seed

    def fit(self, data: TrainingData) -> None:
        x = data.dataset.expression
        centred = x - x.mean(axis=1, keepdims=True)
        norm = np.linalg.norm(centred, axis=1, keepdims=True)
        self._z = np.divide(centred, norm, out=np.zeros_like(centred), where=norm > 1e-12)

    def score_edges(self, pairs: PairSet) -> np.ndarray:
        z = self._z
        return np.abs(np.einsum("ij,ij->i", z[pairs.regulators], z[pairs.targets]))
