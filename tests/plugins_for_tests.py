"""Methods used only by the runner tests (loaded with --plugin): they compute real scores
(correlation of the series) but can be told to sleep or to fail, to exercise timeouts,
failure isolation and resume."""

import os
import time

import numpy as np

from grnbench.api import Method


class SlowCorrelation(Method):
    name = "slowcorr"
    description = "test method: |correlation| after sleeping"
    parameters = {"sleep": 1.0}

    def fit(self, data):
        time.sleep(self.params["sleep"])
        x = data.dataset.expression
        x = x - x.mean(axis=1, keepdims=True)
        self._z = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)

    def score_edges(self, pairs):
        return np.abs((self._z[pairs.regulators] * self._z[pairs.targets]).sum(axis=1))


class Failing(Method):
    name = "failing"
    description = "test method: raises in fit unless GRNBENCH_TEST_HEAL is set"

    def fit(self, data):
        if not os.environ.get("GRNBENCH_TEST_HEAL"):
            raise RuntimeError("deliberate failure")
        self._n = data.dataset.n_genes

    def score_edges(self, pairs):
        return pairs.targets.astype(float) / self._n
