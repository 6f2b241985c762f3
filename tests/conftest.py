"""Shared fixtures: small real datasets (DREAM4 size10 ships with the package) and a tiny
lagged synthetic dataset on which a method that reads time series must beat chance."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from grnbench.data.dataset import Dataset  # noqa: E402
from grnbench.datasets import load_dataset  # noqa: E402
from grnbench.testing import make_lagged_dataset  # noqa: E402,F401  (tests import it from here)


@pytest.fixture(scope="session")
def dream4_small() -> Dataset:
    return load_dataset("dream4-10-1")


@pytest.fixture(scope="session")
def lagged_dataset() -> Dataset:
    return make_lagged_dataset()


def standard_training_data(dataset: Dataset, seed: int = 0):
    """The universe, the standard-protocol split and the TrainingData a supervised method gets
    (built by ``grnbench.trial.training_data``, the code the runner uses)."""
    from grnbench.data.universe import EdgeUniverse
    from grnbench.data.view import DatasetView
    from grnbench.trial import standard_trial, training_data

    class _Supervised:
        supervised = True

    universe = EdgeUniverse.from_dataset(dataset)
    trial = standard_trial(universe, seed)
    data = training_data(_Supervised(), DatasetView.of(dataset), trial, universe)
    return universe, trial.split, data


def fit_and_score_standard(method, dataset: Dataset, seed: int = 0, **kwargs):
    """``grnbench.trial.fit_and_score`` on the standard protocol's trial for ``seed``."""
    from grnbench.data.universe import EdgeUniverse
    from grnbench.trial import fit_and_score, standard_trial

    universe = EdgeUniverse.from_dataset(dataset)
    return fit_and_score(method, dataset, standard_trial(universe, seed), universe=universe, **kwargs)
