"""Cross-validation (``--folds``): every pair tested exactly once by a model that never saw it,
for every split kind, through the real CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from grnbench.cli import main
from grnbench.data.folds import make_folds
from grnbench.data.protocols import make_trial, parse_protocols
from grnbench.data.splits import SPLITS
from grnbench.data.universe import EdgeUniverse
from grnbench.errors import UserError


@pytest.mark.parametrize("kind", SPLITS)
def test_rotations_test_every_kept_pair_once_and_never_train_on_it(kind, dream4_small):
    from grnbench.datasets import load_dataset

    universe = EdgeUniverse.from_dataset(load_dataset("dream4-100-1") if kind == "disjoint" else dream4_small)
    rotations = make_folds(kind, universe, seed=3, k=5)
    tested = np.concatenate([r.test for r in rotations])
    assert len(np.unique(tested)) == len(tested)  # once
    assert len(tested) + rotations[0].dropped == universe.n_pairs
    if kind != "disjoint":
        assert len(tested) == universe.n_pairs  # every pair
    regs, tgts = universe.pairs.regulators, universe.pairs.targets
    for r in rotations:
        assert not set(r.test) & set(r.train) and not set(r.test) & set(r.validation)
        assert not set(r.train) & set(r.validation)
        if kind == "tf-disjoint":
            assert not set(regs[r.test]) & set(regs[r.train])
        if kind == "target-disjoint":
            assert not set(tgts[r.test]) & set(tgts[r.train])
        if kind == "disjoint":
            test_genes = set(regs[r.test]) | set(tgts[r.test])
            assert not test_genes & (set(regs[r.train]) | set(tgts[r.train]))


def test_stratified_rotations_keep_three_one_one(dream4_small):
    universe = EdgeUniverse.from_dataset(dream4_small)
    for r in make_folds("stratified", universe, seed=0, k=5):
        assert (len(r.train), len(r.validation), len(r.test)) == (54, 18, 18)
        assert universe.labels[r.test].sum() == 3


def test_too_many_folds_for_the_positives_is_one_line(dream4_small):
    universe = EdgeUniverse.from_dataset(dream4_small)
    with pytest.raises(UserError, match="no positive pair"):
        make_folds("stratified", universe, seed=0, k=20)


def test_cv_trial_tests_all_pairs(dream4_small):
    universe = EdgeUniverse.from_dataset(dream4_small)
    trial = make_trial(universe, parse_protocols("standard")[0], 0, 0, "stratified", folds=5)
    np.testing.assert_array_equal(trial.split.test, np.arange(universe.n_pairs))
    assert len(trial.folds) == 5


def test_cli_cross_validation_scores_every_pair_out_of_fold(tmp_path):
    out = tmp_path / "cv"
    assert main(["run", "--quiet", "--methods", "degree-prior,correlation", "--dataset", "dream4-10-1",
                 "--folds", "5", "--out", str(out)]) == 0
    results = pd.read_csv(out / "results.csv")
    assert set(results["n_test"]) == {90} and set(results["n_folds"]) == {5}
    assert results["aupr_fold_mean"].notna().all()
    for edges_file in results["edges_file"]:
        edges = pd.read_csv(out / edges_file)
        assert len(edges) == 90 and not edges.duplicated(["regulator", "target"]).any()
        assert sorted(edges["fold"].value_counts()) == [18] * 5
    ranked = list((out / "beeline").rglob("rankedEdges.csv"))
    assert ranked and all(len(pd.read_csv(p, sep="\t")) == 90 for p in ranked)


def test_cli_refuses_an_infeasible_split_before_the_run(tmp_path, capsys):
    code = main(["run", "--quiet", "--methods", "correlation", "--dataset", "dream4-10-1",
                 "--folds", "40", "--out", str(tmp_path / "x")])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--folds" in err[0]
    assert not (tmp_path / "x" / "results.csv").exists()


def test_auto_folds_fit_the_split_kind_instead_of_refusing_a_small_dataset(tmp_path):
    """4 TFs cannot make 5 tf-disjoint folds: the default (auto) takes 4; only an explicit
    --folds 5 is refused (one line, exit 2)."""
    data = Path(__file__).parent / "data" / "inputs" / "replicates"
    args = ["--expression", str(data / "expression.tsv"), "--samples", str(data / "samples.csv"),
            "--gold-standard", str(data / "gold.tsv"), "--tfs", str(data / "tfs.txt")]
    out = tmp_path / "auto"
    assert main(["run", "--quiet", "--workers", "0", "--methods", "correlation", "--split", "tf-disjoint",
                 "--out", str(out), *args]) == 0
    results = pd.read_csv(out / "results.csv")
    assert set(results["n_folds"]) == {4} and (results["status"] == "ok").all()
    assert main(["run", "--quiet", "--workers", "0", "--methods", "correlation", "--split", "tf-disjoint",
                 "--folds", "5", "--out", str(tmp_path / "five"), *args]) == 2
