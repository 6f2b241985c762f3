"""``grnbench evaluate`` on an untouched run folder reproduces the run's numbers exactly: edge
lists keep full float64 scores and every bootstrap draws the pairs in their canonical
(regulator, target) order, never the row order of a file."""

from __future__ import annotations

import shutil

import pandas as pd

from grnbench.cli import main
from grnbench.evaluation.catalogue import score_columns


def test_evaluate_reproduces_a_multi_dataset_multi_seed_run(tmp_path):
    out = tmp_path / "run"
    assert main(["run", "--quiet", "--methods", "correlation,degree-prior,random",
                 "--dataset", "dream4-10-1,dream4-10-2", "--seeds", "0,1", "--out", str(out)]) == 0
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    assert main(["evaluate", str(copy)]) == 0
    assert main(["report", str(copy)]) == 0
    before, after = pd.read_csv(out / "results.csv"), pd.read_csv(copy / "results.csv")
    metrics = [c.name for c in score_columns() if c.name in before.columns]
    assert len(metrics) > 20
    pd.testing.assert_frame_equal(before[metrics], after[metrics], check_exact=True)
    assert (out / "comparisons.csv").read_bytes() == (copy / "comparisons.csv").read_bytes()
