"""The generic contract every registered method must honour (benchopt-style).

Parametrised over the registry, so a new method — built-in or installed through the
``grnbench.methods`` entry-point group — is tested the day it appears.
"""

from __future__ import annotations

import numpy as np
import pytest

from grnbench.api import Method, TrainingData
from grnbench.protocols import make_trial, parse_protocols
from grnbench.registry import load_registry
from grnbench.universe import EdgeUniverse, LabelledPairs

REGISTRY = load_registry()
NAMES = sorted(REGISTRY.methods)


def test_every_entry_point_loads():
    assert REGISTRY.broken == {}, f"entry points that failed to load: {REGISTRY.broken}"


def _fit_and_score(cls: type[Method], dataset, seed: int) -> np.ndarray:
    universe = EdgeUniverse.from_dataset(dataset)
    trial = make_trial(universe, parse_protocols("standard")[0], 0, seed)
    split = trial.split
    method = cls(**cls.test_parameters)
    data = TrainingData(dataset=dataset, seed=seed)
    if cls.supervised:
        data = TrainingData(
            dataset=dataset, seed=seed,
            train=LabelledPairs(universe.pairs.subset(split.train), universe.labels[split.train]),
            validation=LabelledPairs(universe.pairs.subset(split.validation), universe.labels[split.validation]),
        )
    method.fit(data)
    return np.asarray(method.score_edges(universe.pairs.subset(split.test)), dtype=float), split


@pytest.mark.parametrize("name", NAMES)
def test_method_declares_its_interface(name):
    cls = REGISTRY.methods[name]
    assert cls.name == name
    assert isinstance(cls.supervised, bool)
    assert isinstance(cls.parameters, dict)
    assert set(cls.test_parameters) <= set(cls.parameters), "test_parameters must be real parameters"
    assert cls.description, "a one-line description is shown by `grnbench list`"


@pytest.mark.parametrize("name", NAMES)
def test_method_scores_every_test_pair_with_a_finite_float_and_is_deterministic(name, lagged_dataset):
    cls = REGISTRY.methods[name]
    reason = cls(**cls.test_parameters).skip(lagged_dataset)
    if reason:
        pytest.skip(reason)
    scores, split = _fit_and_score(cls, lagged_dataset, seed=3)
    assert scores.shape == (len(split.test),)
    assert np.all(np.isfinite(scores))
    again, _ = _fit_and_score(cls, lagged_dataset, seed=3)
    np.testing.assert_allclose(again, scores, rtol=0, atol=1e-6,
                               err_msg="same seed must give the same scores")


@pytest.mark.parametrize("name", NAMES)
def test_method_does_not_change_its_parameters(name):
    cls = REGISTRY.methods[name]
    method = cls(**cls.test_parameters)
    assert method.params == {**cls.parameters, **cls.test_parameters}
