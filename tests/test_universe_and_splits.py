"""The edge universe, the 3:1:1 splits and the protocols' trials."""

from __future__ import annotations

import numpy as np
import pytest

from grnbench.data.protocols import derive_seed, make_trial, parse_protocols
from grnbench.data.splits import stratified_split, tf_disjoint_split
from grnbench.data.universe import EdgeUniverse
from grnbench.datasets import load_dataset


@pytest.fixture(scope="module")
def universe():
    return EdgeUniverse.from_dataset(load_dataset("dream4-100-1"))


def test_universe_is_every_tf_target_pair_once_without_self_loops(universe):
    assert universe.n_pairs == 100 * 99
    pairs = set(zip(universe.pairs.regulators.tolist(), universe.pairs.targets.tolist(), strict=True))
    assert len(pairs) == universe.n_pairs
    assert all(r != t for r, t in pairs)
    assert universe.n_positives == 176  # DREAM4 size100 network 1 has 176 edges


def test_labels_follow_the_gold_standard(lagged_dataset):
    u = EdgeUniverse.from_dataset(lagged_dataset)
    regs, tgts = u.names()
    expected = [(r, t) in lagged_dataset.gold_standard for r, t in zip(regs, tgts, strict=True)]
    assert u.labels.astype(bool).tolist() == expected
    assert u.n_pairs == 6 * 23


def test_stratified_split_is_3_1_1_keeps_the_positive_rate_and_is_seeded(universe):
    s = stratified_split(universe.labels, seed=7)
    parts = [s.train, s.validation, s.test]
    assert sum(map(len, parts)) == universe.n_pairs
    assert len(np.unique(np.concatenate(parts))) == universe.n_pairs
    assert [len(p) for p in parts] == pytest.approx([5940, 1980, 1980], abs=2)
    rate = universe.labels.mean()
    for p in parts:
        assert universe.labels[p].mean() == pytest.approx(rate, abs=0.002)
    again = stratified_split(universe.labels, seed=7)
    assert np.array_equal(again.test, s.test)
    assert not np.array_equal(stratified_split(universe.labels, seed=8).test, s.test)


def test_tf_disjoint_split_shares_no_tf(universe):
    s = tf_disjoint_split(universe, seed=1)
    tf_sets = [set(universe.pairs.regulators[p].tolist()) for p in (s.train, s.validation, s.test)]
    assert not (tf_sets[0] & tf_sets[2]) and not (tf_sets[0] & tf_sets[1]) and not (tf_sets[1] & tf_sets[2])
    assert len(s.train) + len(s.validation) + len(s.test) == universe.n_pairs
    assert len(s.train) / universe.n_pairs == pytest.approx(0.6, abs=0.03)


def test_noise_replaced_corrupts_five_percent_of_pairs_keeping_labels(universe):
    spec = parse_protocols("noise:mode=replaced")[0]
    trial = make_trial(universe, spec, repeat=0, run_seed=0)
    assert len(trial.corrupted) == round(0.05 * universe.n_pairs)
    changed = (trial.feature_pairs.regulators != universe.pairs.regulators) | (
        trial.feature_pairs.targets != universe.pairs.targets)
    assert set(np.flatnonzero(changed)) <= set(trial.corrupted.tolist())
    # exactly one side is replaced per corrupted pair
    both = (trial.feature_pairs.regulators != universe.pairs.regulators) & (
        trial.feature_pairs.targets != universe.pairs.targets)
    assert not both.any()
    assert spec.repeats == 10


def test_noise_added_leaves_every_pair_clean_and_adds_noisy_training_copies(universe):
    from grnbench.data.protocols import noisy_training_copies

    spec = parse_protocols("noise")[0]
    assert dict(spec.params)["mode"] == "added" and spec.label == "noise"
    trial = make_trial(universe, spec, repeat=0, run_seed=0)
    assert len(trial.corrupted) == 0 and trial.feature_pairs is universe.pairs  # test pairs stay clean
    noisy, labels = noisy_training_copies(trial, universe)
    assert len(labels) == round(0.05 * universe.n_pairs)
    again, _ = noisy_training_copies(trial, universe)
    np.testing.assert_array_equal(noisy.regulators, again.regulators)  # seeded
    assert parse_protocols("noise:mode=replaced")[0].label == "noise,mode=replaced"


def test_subsample_trial_keeps_seventy_percent(universe):
    spec = parse_protocols("subsample")[0]
    trial = make_trial(universe, spec, repeat=2, run_seed=0)
    used = np.concatenate([trial.split.train, trial.split.validation, trial.split.test])
    assert len(used) == pytest.approx(0.7 * universe.n_pairs, abs=2)
    assert universe.labels[used].mean() == pytest.approx(universe.labels.mean(), abs=0.002)


def test_repeat_seeds_are_derived_deterministically_and_distinct():
    seeds = [derive_seed(0, "noise", r) for r in range(10)]
    assert len(set(seeds)) == 10
    assert seeds == [derive_seed(0, "noise", r) for r in range(10)]
    assert derive_seed(0, "standard", 0) == 0
    assert derive_seed(0, "subsample", 0) != derive_seed(0, "noise", 0)


def test_protocol_parsing():
    specs = parse_protocols("standard,noise:fraction=0.1,repeats=3,subsample")
    assert [s.name for s in specs] == ["standard", "noise", "subsample"]
    assert specs[1].get("fraction") == 0.1 and specs[1].repeats == 3
    assert specs[2].repeats == 10


def test_dream4_loader_shapes():
    ds = load_dataset("dream4-10-1")
    assert ds.expression.shape == (10, 105)
    assert len(ds.series_blocks()) == 5 and ds.min_series_length() == 21
    assert ds.times[:3].tolist() == [0.0, 50.0, 100.0] and ds.times[20] == 1000.0
    assert ds.steady_state is not None and ds.steady_state.shape == (10, 20)
    assert len(ds.gold_standard) == 15
    big = load_dataset("dream4-100-3")
    assert big.expression.shape == (100, 210)
