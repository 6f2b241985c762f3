"""Under ``--seeds``, a deterministic method is fitted once and the comparisons pool every
method's seeds: one Holm family per test set, not one per seed."""

from __future__ import annotations

import pandas as pd

from grnbench.cli import main


def test_deterministic_methods_fit_once_and_comparisons_pool_seeds(tmp_path):
    out = tmp_path / "run"
    assert main(["run", "--quiet", "--methods", "correlation,degree-prior,random", "--dataset", "dream4-10-1",
                 "--seeds", "0,1,2", "--out", str(out)]) == 0
    results = pd.read_csv(out / "results.csv")
    assert results.groupby("method").size().to_dict() == {"correlation": 1, "degree-prior": 1, "random": 3}
    comparisons = pd.read_csv(out / "comparisons.csv")
    assert len(comparisons) == 3  # one family: 3 pairs of methods, whatever the seeds
    random_rows = comparisons[(comparisons["method_a"] == "random") | (comparisons["method_b"] == "random")]
    for row in random_rows.itertuples():
        seeds = row.seeds_a if row.method_a == "random" else row.seeds_b
        assert seeds == 3
    mean_random = results.loc[results["method"] == "random", "aupr"].mean()
    row = random_rows.iloc[0]
    reported = row["aupr_a"] if row["method_a"] == "random" else row["aupr_b"]
    assert abs(reported - mean_random) < 1e-6  # comparisons.csv holds 6 decimals
