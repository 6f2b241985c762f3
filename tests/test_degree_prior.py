"""The degree-prior control: what it learns, what it never reads, and where it fails."""

from __future__ import annotations

import dataclasses
from importlib.metadata import entry_points

import numpy as np
import pytest

from grnbench.api import TrainingData
from grnbench.data.protocols import make_trial, parse_protocols
from grnbench.data.universe import EdgeUniverse, LabelledPairs, PairSet
from grnbench.datasets import load_dataset
from grnbench.errors import UserError
from grnbench.evaluation.metrics import evaluate
from grnbench.methods.degree_prior import DegreePrior
from grnbench.registry import GROUP


def fitted(dataset, split_kind: str = "stratified", seed: int = 0, **params):
    universe = EdgeUniverse.from_dataset(dataset)
    split = make_trial(universe, parse_protocols("standard")[0], 0, seed, split_kind).split
    method = DegreePrior(**params)
    method.fit(TrainingData(dataset=dataset, seed=seed, train=universe.labelled(split.train)))
    return method, universe, split


def test_score_is_the_smoothed_tf_rate_plus_the_smoothed_target_rate(dream4_small):
    # gene 0 regulates 3 training pairs (2 positive); gene 1 is the target of 2 (1 positive)
    train = LabelledPairs(PairSet(np.array([0, 0, 0, 2, 3]), np.array([1, 4, 5, 1, 6])),
                          np.array([1, 1, 0, 1, 0], dtype=np.int8))
    method = DegreePrior(pseudocount=2.0)
    method.fit(TrainingData(dataset=dream4_small, seed=0, train=train))
    base = 3 / 5
    tf_rate = (2 + 2 * base) / (3 + 2)
    target_rate = (2 + 2 * base) / (2 + 2)  # pairs (0,1) and (2,1) are both positive
    assert method.score_edges(PairSet(np.array([0]), np.array([1])))[0] == pytest.approx(tf_rate + target_rate)
    # a gene never seen in a role gets the global training rate for that role
    assert method.score_edges(PairSet(np.array([9]), np.array([8])))[0] == pytest.approx(2 * base)


def test_roles_are_kept_apart(dream4_small):
    """Gene 1 is a positive target, never a regulator: as a TF it gets only the prior."""
    train = LabelledPairs(PairSet(np.array([0, 2]), np.array([1, 3])), np.array([1, 0], dtype=np.int8))
    method = DegreePrior()
    method.fit(TrainingData(dataset=dream4_small, seed=0, train=train))
    assert method.tf_rate_[1] == pytest.approx(method.base_rate_)
    assert method.target_rate_[1] > method.base_rate_


def test_never_reads_expression_nor_validation_labels():
    dataset = load_dataset("dream4-100-1")
    scrambled = dataclasses.replace(dataset, expression=np.random.default_rng(0).normal(size=dataset.expression.shape))
    a, universe, split = fitted(dataset)
    b, _, _ = fitted(scrambled)
    test = universe.pairs.subset(split.test)
    assert np.array_equal(a.score_edges(test), b.score_edges(test))
    flipped = LabelledPairs(universe.pairs.subset(split.validation), 1 - universe.labels[split.validation])
    c = DegreePrior()
    c.fit(TrainingData(dataset=dataset, seed=0, train=universe.labelled(split.train), validation=flipped))
    assert np.array_equal(a.score_edges(test), c.score_edges(test))


def test_beats_random_by_far_on_a_pair_split_and_falls_to_chance_on_a_disjoint_split():
    dataset = load_dataset("dream4-100-1")
    method, universe, split = fitted(dataset, "stratified")
    labels = universe.labels[split.test]
    pair_split = evaluate(labels, method.score_edges(universe.pairs.subset(split.test))).aupr
    assert pair_split > 5 * labels.mean()  # measured 0.185 against a positive rate of 0.018
    method, universe, split = fitted(dataset, "disjoint")
    scores = method.score_edges(universe.pairs.subset(split.test))
    assert np.ptp(scores) == 0  # every test gene unseen: every pair gets 2 × the base rate
    labels = universe.labels[split.test]
    assert evaluate(labels, scores).aupr == pytest.approx(labels.mean())


def test_is_a_supervised_control_registered_for_methods_all():
    found = {ep.name: ep.load() for ep in entry_points(group=GROUP) if ep.name == "degree-prior"}
    cls = found["degree-prior"]
    assert cls is DegreePrior and cls.in_all
    assert cls.supervised and "control" in cls.description


def test_rejects_a_non_positive_pseudocount():
    with pytest.raises(UserError, match="pseudocount must be > 0"):
        DegreePrior(pseudocount=0)
