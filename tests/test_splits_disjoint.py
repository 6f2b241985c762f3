"""The disjoint splits really are disjoint, seeded, stratified and near 3:1:1."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grnbench.cli import build_parser, main
from grnbench.data.protocols import make_trial, parse_protocols
from grnbench.data.splits import SPLITS, make_split
from grnbench.data.universe import EdgeUniverse, PairSet
from grnbench.datasets import load_dataset
from grnbench.errors import UserError


@pytest.fixture(scope="module")
def dream4():
    return EdgeUniverse.from_dataset(load_dataset("dream4-100-1"))


@pytest.fixture(scope="module")
def maize():
    return EdgeUniverse.from_dataset(load_dataset("maize1-sim"))


def random_universe(n_genes: int, n_tfs: int, density: float, seed: int) -> EdgeUniverse:
    """Every TF × gene pair without self-loops, labels drawn at ``density`` (≥ 1 positive)."""
    rng = np.random.default_rng(seed)
    tfs = rng.choice(n_genes, size=n_tfs, replace=False)
    regs = np.repeat(tfs, n_genes)
    tgts = np.tile(np.arange(n_genes), n_tfs)
    keep = regs != tgts
    labels = (rng.random(keep.sum()) < density).astype(np.int8)
    labels[rng.integers(len(labels))] = 1
    return EdgeUniverse(tuple(f"g{i}" for i in range(n_genes)), PairSet(regs[keep], tgts[keep]), labels)


def genes_of(universe: EdgeUniverse, index: np.ndarray, role: str) -> set[int]:
    regs, tgts = universe.pairs.regulators[index], universe.pairs.targets[index]
    chosen = {"tf": [regs], "target": [tgts], "any": [regs, tgts]}[role]
    return set(np.concatenate(chosen).tolist())


ROLE = {"tf-disjoint": "tf", "target-disjoint": "target", "disjoint": "any"}


def assert_disjoint(universe: EdgeUniverse, kind: str, split, pool: np.ndarray) -> None:
    parts = [split.train, split.validation, split.test]
    used = np.concatenate(parts)
    assert len(np.unique(used)) == len(used), "a pair is in two parts"
    assert set(used.tolist()) <= set(pool.tolist())
    assert len(used) + split.dropped == len(pool)  # every pair of the pool is in one part or dropped
    role = ROLE[kind]
    sets = [genes_of(universe, p, role) for p in parts]
    assert not (sets[0] & sets[1]) and not (sets[0] & sets[2]) and not (sets[1] & sets[2])


@settings(max_examples=60, deadline=None)
@given(n_genes=st.integers(8, 40), tf_share=st.floats(0.2, 1.0), density=st.floats(0.02, 0.5),
       data_seed=st.integers(0, 10**6), seed=st.integers(0, 2**31 - 1),
       kind=st.sampled_from(["tf-disjoint", "target-disjoint", "disjoint"]))
def test_disjoint_splits_share_no_gene_in_the_protected_role(n_genes, tf_share, density, data_seed, seed, kind):
    universe = random_universe(n_genes, max(3, int(tf_share * n_genes)), density, data_seed)
    try:
        split = make_split(kind, universe, seed)
    except UserError as exc:  # a gene partition of a tiny universe may leave a part without pairs
        assert kind == "disjoint" and "empty" in str(exc)
        return
    assert_disjoint(universe, kind, split, np.arange(universe.n_pairs))


@pytest.mark.parametrize("kind", ["tf-disjoint", "target-disjoint", "disjoint"])
@pytest.mark.parametrize("protocol,share", [("noise", 1.0), ("subsample", 0.7)])
def test_disjoint_splits_hold_under_the_noise_and_subsample_protocols(dream4, kind, protocol, share):
    trial = make_trial(dream4, parse_protocols(protocol)[0], repeat=1, run_seed=3, split_kind=kind)
    s = trial.split
    used = np.concatenate([s.train, s.validation, s.test])
    assert len(used) + s.dropped == pytest.approx(share * dream4.n_pairs, abs=2)
    assert_disjoint(dream4, kind, s, used if s.dropped == 0 else np.concatenate([used, np.full(s.dropped, -1)]))


@pytest.mark.parametrize("kind", ["tf-disjoint", "target-disjoint"])
def test_three_groups_are_enough_for_three_non_empty_parts(kind):
    universe = random_universe(3, 3, 0.5, seed=0)  # 3 TFs, 3 targets
    for seed in range(20):
        s = make_split(kind, universe, seed)
        assert min(len(s.train), len(s.validation), len(s.test)) > 0


def test_strict_disjoint_split_keeps_no_gene_of_a_test_pair_in_training_in_either_role(maize):
    s = make_split("disjoint", maize, seed=0)
    train_genes = genes_of(maize, s.train, "any") | genes_of(maize, s.validation, "any")
    assert not genes_of(maize, s.test, "any") & train_genes
    # pairs crossing parts are dropped, and counted
    assert s.dropped == maize.n_pairs - len(s.train) - len(s.validation) - len(s.test)
    assert 0.5 < s.dropped / maize.n_pairs < 0.8


@pytest.mark.parametrize("kind", SPLITS)
def test_every_split_is_seeded_and_near_3_1_1(maize, kind):
    a, b, c = make_split(kind, maize, 5), make_split(kind, maize, 5), make_split(kind, maize, 6)
    assert np.array_equal(a.test, b.test) and np.array_equal(a.train, b.train)
    assert not np.array_equal(a.test, c.test)
    sizes = np.array([len(a.train), len(a.validation), len(a.test)], dtype=float)
    assert sizes / sizes.sum() == pytest.approx([0.6, 0.2, 0.2], abs=0.04)


@pytest.mark.parametrize("kind", SPLITS)
def test_every_split_keeps_the_positive_rate_within_a_few_points(maize, kind):
    rate = maize.labels.mean()
    for seed in range(3):
        s = make_split(kind, maize, seed)
        for part in (s.train, s.validation, s.test):
            assert maize.labels[part].mean() == pytest.approx(rate, abs=0.03)


def test_degree_stratification_spreads_hub_tfs_over_the_parts(maize):
    """The 5 TFs with most edges are in one stratum: 3 train, 1 validation, 1 test."""
    positives = np.bincount(maize.pairs.regulators, maize.labels.astype(int), len(maize.genes))
    hubs = np.argsort(-positives)[:5]
    if positives[hubs[4]] == positives[np.argsort(-positives)[5]]:
        pytest.skip("tied hubs make the top stratum ambiguous")
    s = make_split("tf-disjoint", maize, seed=11)
    where = [next(i for i, part in enumerate((s.train, s.validation, s.test))
                  if hub in set(maize.pairs.regulators[part].tolist())) for hub in hubs]
    assert sorted(where) == [0, 0, 0, 1, 2]


def test_split_choices_on_the_command_line_are_the_split_kinds(capsys):
    parser = build_parser()
    assert parser.parse_args(["run", "--split", "disjoint"]).split == "disjoint"
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--split", "pairs"])
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_unknown_split_kind_is_a_one_line_user_error(dream4):
    with pytest.raises(UserError, match="valid splits: stratified, tf-disjoint, target-disjoint, disjoint"):
        make_split("pairs", dream4, 0)


def test_every_method_is_scored_on_the_same_test_pairs_under_a_disjoint_split(tmp_path, dream4):
    """Unsupervised and supervised methods alike: one split per trial, so rows stay comparable."""
    import pandas as pd

    out = tmp_path / "run"
    assert main(["run", "--methods", "random,correlation,degree-prior", "--dataset", "dream4-100-1",
                 "--split", "disjoint", "--seed", "4", "--workers", "0", "--quiet", "--no-cache",
                 "--out", str(out)]) == 0
    results = pd.read_csv(out / "results.csv")
    assert set(results["status"]) == {"ok"} and set(results["split"]) == {"disjoint"}
    pair_sets = [set(map(tuple, pd.read_csv(out / f)[["regulator", "target"]].to_numpy().tolist()))
                 for f in results["edges_file"]]
    assert pair_sets[0] == pair_sets[1] == pair_sets[2]
    split = make_trial(dream4, parse_protocols("standard")[0], 0, 4, "disjoint").split
    regs, tgts = dream4.names(split.test)
    assert pair_sets[0] == set(zip(regs.tolist(), tgts.tolist(), strict=True))
    assert (results["n_test_c3"] == results["n_test"]).all() and (results["n_dropped"] == split.dropped).all()
