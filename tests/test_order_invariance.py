"""The same data in another order gives the same run: splits, hash and scores depend on the
gene names, the split kind and the seed only, never on the order of lines in the input files
(real files, the real CLI)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from grnbench.cli import main
from grnbench.datasets import load_dataset
from grnbench.permuted_inputs import write_shuffled_beeline, write_user_files

METHODS = "correlation,degree-prior,random,genie3"
#: columns that measure the machine, not the method
TIMING = ("fit_wall_s", "fit_cpu_s", "score_wall_s", "score_cpu_s", "peak_memory_mb")


def _run(files: list[str], out: Path) -> pd.DataFrame:
    code = main(["run", "--quiet", "--methods", METHODS, *files, "--out", str(out)])
    assert code == 0
    frame = pd.read_csv(out / "results.csv")
    return frame.drop(columns=[c for c in frame.columns if c in TIMING])


@pytest.mark.parametrize("seed", [1, 2])
def test_permuted_user_files_give_identical_results(tmp_path, seed):
    ds = load_dataset("dream4-10-1")
    ordered = _run(write_user_files(ds, tmp_path / "a"), tmp_path / "run_a")
    shuffled = _run(write_user_files(ds, tmp_path / "b", np.random.default_rng(seed)), tmp_path / "run_b")
    ordered, shuffled = (f.sort_values("method").reset_index(drop=True) for f in (ordered, shuffled))
    pd.testing.assert_frame_equal(ordered, shuffled)
    edges_a = sorted((tmp_path / "run_a" / "edges").iterdir())
    edges_b = sorted((tmp_path / "run_b" / "edges").iterdir())
    assert [p.name for p in edges_a] == [p.name for p in edges_b]
    for a, b in zip(edges_a, edges_b, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


BEELINE = Path(__file__).parent / "data" / "inputs" / "beeline"


def test_permuted_beeline_folder_gives_the_same_hash_and_test_pairs(tmp_path):
    from grnbench.datasets.beeline import load_beeline_dir

    shuffled = write_shuffled_beeline(BEELINE, tmp_path / "shuffled", np.random.default_rng(0))
    a, b = load_beeline_dir(BEELINE), load_beeline_dir(shuffled)
    assert a.content_hash == b.content_hash
    assert a.genes == b.genes and a.tfs == b.tfs
    np.testing.assert_array_equal(a.expression, b.expression)
    np.testing.assert_array_equal(a.series, b.series)


@pytest.mark.slow
def test_permuted_beeline_folder_gives_identical_results_through_the_cli(tmp_path):
    """The whole run on a grouped split with several seeds (4 TFs: ``--folds auto`` takes 4 folds)."""
    # the same folder name, so the same dataset name
    shuffled = write_shuffled_beeline(BEELINE, tmp_path / "shuffled" / "beeline", np.random.default_rng(0))
    frames = []
    for source, out in ((BEELINE, tmp_path / "run_a"), (shuffled, tmp_path / "run_b")):
        assert main(["run", "--quiet", "--workers", "0", "--methods", METHODS, "--split", "tf-disjoint",
                     "--seeds", "0,1", "--beeline-dir", str(source), "--out", str(out)]) == 0
        frame = pd.read_csv(out / "results.csv")
        frames.append(frame.drop(columns=[c for c in frame.columns if c in TIMING]).sort_values(["method", "seed"]))
    pd.testing.assert_frame_equal(*(f.reset_index(drop=True) for f in frames))
    assert (frames[0]["status"] == "ok").all() and set(frames[0]["n_folds"]) == {4}
    for edges in sorted((tmp_path / "run_a" / "edges").iterdir()):
        assert edges.read_bytes() == (tmp_path / "run_b" / "edges" / edges.name).read_bytes(), edges.name
