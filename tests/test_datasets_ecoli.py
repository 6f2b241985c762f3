"""ecoli-cold / ecoli-cold-full: the shipped real E. coli time course and DREAM5 network-3 edges."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from grnbench.data.universe import dataset_summary
from grnbench.datasets import load_dataset
from grnbench.datasets.ecoli import data_dir

SHARED = Path("/work/shared/data/ecoli")


@pytest.fixture(scope="module")
def cold():
    return load_dataset("ecoli-cold")


@pytest.fixture(scope="module")
def cold_full():
    return load_dataset("ecoli-cold-full")


def test_three_replicate_series_of_eight_points(cold):
    assert cold.n_samples == 24
    assert list(cold.series) == [0] * 8 + [1] * 8 + [2] * 8
    assert list(cold.times) == list(range(1, 9)) * 3
    assert cold.min_series_length() == 8


def test_counts(cold, cold_full):
    s, f = dataset_summary(cold), dataset_summary(cold_full)
    assert (s["genes"], s["tfs"], s["pairs"], s["positives"]) == (1034, 135, 135 * 1033, 1986)
    assert (f["genes"], f["tfs"], f["pairs"], f["positives"]) == (3959, 135, 135 * 3958, 1986)
    assert cold.gold_standard == cold_full.gold_standard


def test_values_and_ids_match_the_source_file(cold_full):
    frame = pd.read_csv(str(data_dir() / "coldstress.tsv"), sep="\t")
    assert set(cold_full.genes) == set(frame.columns[1:])  # held in natural name order
    assert np.array_equal(cold_full.expression, frame[list(cold_full.genes)].to_numpy(dtype=float).T)
    gold = pd.read_csv(str(data_dir() / "dream5_network3_goldstandard_positives.tsv"), sep="\t", header=None)
    assert len(gold) == 2066 and set(gold[2]) == {1}
    assert ("G92", "G2") in cold_full.gold_standard or "G92" not in cold_full.gene_index


def test_tfs_are_measured_gold_standard_regulators(cold):
    regulators = {r for r, _ in cold.gold_standard}
    assert regulators <= set(cold.tfs)
    assert all(t in cold.gene_index for t in cold.tfs)


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared source files not present")
def test_shipped_files_are_the_sources():
    def digest(path):
        return hashlib.sha256(Path(str(path)).read_bytes()).hexdigest()

    assert digest(data_dir() / "coldstress.tsv") == digest(SHARED / "coldstress.tsv")
    full = pd.read_csv(SHARED / "dream5_network3_goldstandard.tsv", sep="\t", header=None)
    shipped = pd.read_csv(str(data_dir() / "dream5_network3_goldstandard_positives.tsv"), sep="\t", header=None)
    assert full[full[2] == 1].reset_index(drop=True).equals(shipped)
