"""C1/C2/C3 classes of test pairs partition them, follow the split kind, and give per-class AUPR."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grnbench.data.protocols import make_trial, parse_protocols
from grnbench.data.splits import make_split
from grnbench.data.universe import EdgeUniverse, PairSet
from grnbench.datasets import load_dataset
from grnbench.evaluation.metrics import ScoredPairs, evaluate
from grnbench.evaluation.pair_classes import class_figures, pair_classes, split_figures


def shortcut_figures(universe, split, scores):
    """The split's figures and the per-class figures the catalogue computes for ``scores``."""
    classes = pair_classes(universe.pairs.subset(split.train), universe.pairs.subset(split.test), len(universe.genes))
    scored = ScoredPairs(universe.labels[split.test], np.asarray(scores, dtype=float), columns={"pair_class": classes})
    return {**split_figures(universe, split), **class_figures(scored)}


@pytest.fixture(scope="module")
def maize():
    return EdgeUniverse.from_dataset(load_dataset("maize1-sim"))


def test_classes_count_the_seen_members_in_their_role():
    train = PairSet(np.array([0, 1]), np.array([2, 3]))
    test = PairSet(np.array([0, 0, 5, 2, 5]), np.array([3, 6, 2, 6, 6]))
    # (0,3): TF 0 seen as TF, 3 seen as target → C1; (0,6): C2; (5,2): C2;
    # (2,6): gene 2 was only ever a *target* in training, so as a TF it is unseen → C3
    assert pair_classes(train, test, 7).tolist() == [1, 2, 2, 3, 3]


@settings(max_examples=80, deadline=None)
@given(st.integers(2, 30).flatmap(lambda n: st.tuples(
    st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=60),
    st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), min_size=1, max_size=60))))
def test_classes_partition_the_test_pairs(case):
    n, train, test = case
    as_pairs = lambda items: PairSet(np.array([a for a, _ in items], dtype=np.int64),  # noqa: E731
                                     np.array([b for _, b in items], dtype=np.int64))
    classes = pair_classes(as_pairs(train), as_pairs(test), n)
    assert len(classes) == len(test)
    assert set(classes.tolist()) <= {1, 2, 3}
    tfs, targets = {a for a, _ in train}, {b for _, b in train}
    for (a, b), c in zip(test, classes, strict=True):
        assert c == 3 - (a in tfs) - (b in targets)


@pytest.mark.parametrize("kind,expected", [("stratified", "c1"), ("tf-disjoint", "c2"),
                                           ("target-disjoint", "c2"), ("disjoint", "c3")])
def test_in_a_dense_universe_each_split_kind_puts_its_test_pairs_in_one_class(maize, kind, expected):
    split = make_split(kind, maize, seed=0)
    scores = np.random.default_rng(0).random(len(split.test))
    f = shortcut_figures(maize, split, scores)
    assert f["n_test_c1"] + f["n_test_c2"] + f["n_test_c3"] == len(split.test)
    assert f[f"n_test_{expected}"] == len(split.test)
    assert f[f"positives_{expected}"] == maize.labels[split.test].sum()
    assert f[f"aupr_{expected}"] == pytest.approx(evaluate(maize.labels[split.test], scores).aupr)
    for other in {"c1", "c2", "c3"} - {expected}:
        assert math.isnan(f[f"aupr_{other}"])  # an empty class is NaN, not an error


def test_split_figures_count_dropped_pairs_and_part_positives(maize):
    split = make_split("disjoint", maize, seed=1)
    f = shortcut_figures(maize, split, np.zeros(len(split.test)))
    assert f["n_dropped"] == split.dropped > 0
    assert f["positives_train"] == maize.labels[split.train].sum()
    assert f["positive_rate_validation"] == pytest.approx(maize.labels[split.validation].mean())


def test_a_class_without_positives_has_nan_aupr_and_keeps_its_size():
    genes = tuple(f"g{i}" for i in range(4))
    pairs = PairSet(np.array([0, 0, 1, 1, 2, 3]), np.array([1, 2, 2, 3, 3, 0]))
    universe = EdgeUniverse(genes, pairs, np.array([1, 0, 1, 0, 0, 1], dtype=np.int8))
    from grnbench.data.splits import Split

    split = Split(np.array([0, 2]), np.array([5]), np.array([1, 3, 4]), "hand-made")
    # test (0,2): C1 positive? no: label 0; (1,3): TF 1 seen, 3 unseen as target → C2; (2,3): C3
    f = shortcut_figures(universe, split, np.array([0.9, 0.5, 0.1]))
    assert (f["n_test_c1"], f["n_test_c2"], f["n_test_c3"]) == (1, 1, 1)
    assert all(math.isnan(f[f"aupr_c{i}"]) for i in (1, 2, 3))


def test_noise_protocol_classes_use_pair_identities_not_substituted_series(maize):
    trial = make_trial(maize, parse_protocols("noise")[0], 0, 0, "disjoint")
    f = shortcut_figures(maize, trial.split, np.zeros(len(trial.split.test)))
    assert f["n_test_c3"] == len(trial.split.test)
