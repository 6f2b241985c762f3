"""maize1-sim / maize2-sim: deterministic, maize-shaped, cached, and learnable from the series."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from grnbench.data.universe import EdgeUniverse, dataset_summary
from grnbench.datasets import load_dataset
from grnbench.datasets import simulate as sim
from grnbench.evaluation.metrics import evaluate

SMALL = replace(sim.SimParams(), n_genes=120, n_tfs=20, n_masters=3, n_times=40, maize1_genes=60,
                burn_in=10.0, substeps=10)


@pytest.fixture(scope="module")
def sim_data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("grnbench-data")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GRNBENCH_DATA", str(folder))
        yield folder, load_dataset("maize1-sim"), load_dataset("maize2-sim")


def test_generation_is_deterministic():
    a, b = sim.simulate(SMALL), sim.simulate(SMALL)
    assert np.array_equal(a.expression, b.expression) and a.edges == b.edges
    c = sim.simulate(replace(SMALL, seed=SMALL.seed + 1))
    assert not np.array_equal(a.expression, c.expression)


def test_maize_shapes(sim_data):
    _, m1, m2 = sim_data
    for ds, genes in ((m1, 507), (m2, 1000)):
        s = dataset_summary(ds)
        assert (s["genes"], s["tfs"], s["samples"], s["series"]) == (genes, 101, 107, 1)
        assert s["pairs"] == 101 * (genes - 1)
        assert 0.17 < s["positives"] / s["pairs"] < 0.21          # paper's maize-1: 9,690 / 51,106 = 19%
        assert ds.expression.min() > 0 and ds.expression.mean(axis=1).min() >= 1.0   # passes the maize filter
        assert "SIMULATED" in ds.description
    assert dataset_summary(m1)["pairs"] == 51_106
    assert set(m1.genes) <= set(m2.genes)
    rows = [m2.gene_index[g] for g in m1.genes]
    assert np.array_equal(m1.expression, m2.expression[rows])
    assert m1.gold_standard <= m2.gold_standard


def test_out_degree_is_heavy_tailed(sim_data):
    _, _, m2 = sim_data
    tf_index = {tf: k for k, tf in enumerate(m2.tfs)}
    degree = np.bincount([tf_index[r] for r, _ in m2.gold_standard], minlength=len(m2.tfs))
    assert degree.max() > 4 * np.median(degree)


def test_cached_in_the_data_dir(sim_data):
    folder, m1, _ = sim_data
    files = list((folder / "simulated").glob("maize-sim-v*.npz"))
    assert len(files) == 1
    again = load_dataset("maize1-sim")       # read from the cache
    assert again.content_hash == m1.content_hash


def _abs_corr(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """|Pearson| of each row of ``a`` with the same row of ``b``."""
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    return np.abs((a * b).sum(axis=1) / np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1)))


def test_correlation_beats_chance_and_lag_helps(sim_data):
    """The control beats chance clearly; a one-step lag (TF before target) does better still."""
    _, m1, _ = sim_data
    x = np.log(m1.expression)
    u = EdgeUniverse.from_dataset(m1)
    regs, tgts = u.pairs.regulators, u.pairs.targets
    rate = u.labels.mean()
    plain = evaluate(u.labels, _abs_corr(x[regs], x[tgts])).aupr
    lagged = evaluate(u.labels, _abs_corr(x[regs, :-1], x[tgts, 1:])).aupr
    assert plain > rate + 0.03
    assert lagged > plain
