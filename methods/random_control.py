"""Negative control: uniform random scores.

Its AUPR estimates the positive rate, so any method that does not clearly beat it has
learned nothing from the data.
"""

from __future__ import annotations

import numpy as np

from grnbench.api import Method, TrainingData
from grnbench.data.universe import PairSet


class RandomControl(Method):
    name = "random"
    cheap = True
    description = "negative control: seeded uniform random scores"

    def fit(self, data: TrainingData) -> None:
        self._n_genes = data.dataset.n_genes
        rng = np.random.default_rng(data.seed)
        # One score per ordered gene pair, so a pair's score does not depend on which other
        # pairs are scored with it.
        self._table = rng.random((self._n_genes, self._n_genes))

    def score_edges(self, pairs: PairSet) -> np.ndarray:
        return self._table[pairs.regulators, pairs.targets]
