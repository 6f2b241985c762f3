"""Shared fixtures: small real datasets (DREAM4 size10 ships with the package) and a tiny
lagged synthetic dataset on which a method that reads time series must beat chance."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from grnbench.dataset import Dataset  # noqa: E402
from grnbench.datasets import load_dataset  # noqa: E402


@pytest.fixture(scope="session")
def dream4_small() -> Dataset:
    return load_dataset("dream4-10-1")


def make_lagged_dataset(n_tfs: int = 6, n_targets: int = 18, n_times: int = 60, lag: int = 2,
                        seed: int = 0, n_series: int = 1) -> Dataset:
    """TFs are smooth random walks; each target copies one TF ``lag`` steps later, plus noise.

    Ground truth is therefore recoverable from time-lagged series, so a learnability test can
    require AUPR far above the positive rate.
    """
    rng = np.random.default_rng(seed)
    blocks = []
    parents = rng.integers(0, n_tfs, size=n_targets)
    for _ in range(n_series):
        tf = np.cumsum(rng.normal(size=(n_tfs, n_times + lag)), axis=1)
        tf = (tf - tf.mean(axis=1, keepdims=True)) / tf.std(axis=1, keepdims=True)
        targets = tf[parents, : n_times] + 0.3 * rng.normal(size=(n_targets, n_times))
        blocks.append(np.vstack([tf[:, lag:], targets]))
    expression = np.hstack(blocks)
    genes = tuple(f"TF{i}" for i in range(n_tfs)) + tuple(f"T{i}" for i in range(n_targets))
    gold = frozenset((f"TF{p}", f"T{i}") for i, p in enumerate(parents))
    return Dataset(
        name="lagged-synthetic", genes=genes, expression=expression,
        times=np.tile(np.arange(n_times, dtype=float), n_series),
        series=np.repeat(np.arange(n_series), n_times), tfs=genes[:n_tfs], gold_standard=gold,
        source="synthetic (tests)", licence="n/a",
    )


@pytest.fixture(scope="session")
def lagged_dataset() -> Dataset:
    return make_lagged_dataset()


def standard_training_data(dataset: Dataset, seed: int = 0):
    """The universe, the standard-protocol split and the TrainingData a supervised method gets
    (built by ``grnbench.trial.training_data``, the code the runner uses)."""
    from grnbench.trial import standard_trial, training_data
    from grnbench.dataset_view import DatasetView
    from grnbench.universe import EdgeUniverse

    class _Supervised:
        supervised = True

    universe = EdgeUniverse.from_dataset(dataset)
    trial = standard_trial(universe, seed)
    data = training_data(_Supervised(), DatasetView.of(dataset), trial, universe)
    return universe, trial.split, data


def fit_and_score_standard(method, dataset: Dataset, seed: int = 0, **kwargs):
    """``grnbench.trial.fit_and_score`` on the standard protocol's trial for ``seed``."""
    from grnbench.trial import fit_and_score, standard_trial
    from grnbench.universe import EdgeUniverse

    universe = EdgeUniverse.from_dataset(dataset)
    return fit_and_score(method, dataset, standard_trial(universe, seed), universe=universe, **kwargs)
