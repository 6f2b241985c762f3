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

METHODS = "correlation,degree-prior,random,genie3"
#: columns that measure the machine, not the method
TIMING = ("fit_wall_s", "fit_cpu_s", "score_wall_s", "score_cpu_s", "peak_memory_mb")


def _write_tsv_dataset(folder: Path, rng: np.random.Generator | None) -> dict[str, Path]:
    """dream4-10-1 as the user files a biologist would bring; with ``rng``, every file's lines,
    rows and columns shuffled (the same data)."""
    ds = load_dataset("dream4-10-1")
    names = [f"s{int(s)}_{int(t)}" for s, t in zip(ds.series, ds.times, strict=True)]
    expr = pd.DataFrame(ds.expression, index=list(ds.genes), columns=names)
    sheet = pd.DataFrame({"sample": names, "time": ds.times, "series": [f"ts{int(s)}" for s in ds.series]})
    gold = pd.DataFrame(sorted(ds.gold_standard), columns=["regulator", "target"])
    tfs = list(ds.tfs)
    if rng is not None:
        expr = expr.iloc[rng.permutation(len(expr)), rng.permutation(expr.shape[1])]
        sheet = sheet.iloc[rng.permutation(len(sheet))]
        gold = gold.iloc[rng.permutation(len(gold))]
        tfs = [tfs[i] for i in rng.permutation(len(tfs))]
    folder.mkdir(parents=True)
    paths = {"expression": folder / "expr.tsv", "samples": folder / "samples.csv",
             "gold": folder / "gold.tsv", "tfs": folder / "tfs.txt"}
    expr.to_csv(paths["expression"], sep="\t", index_label="gene")
    sheet.to_csv(paths["samples"], index=False)
    gold.to_csv(paths["gold"], sep="\t", index=False, header=False)
    paths["tfs"].write_text("\n".join(tfs) + "\n")
    return paths


def _run(paths: dict[str, Path], out: Path) -> pd.DataFrame:
    code = main(["run", "--quiet", "--methods", METHODS, "--expression", str(paths["expression"]),
                 "--samples", str(paths["samples"]), "--gold-standard", str(paths["gold"]),
                 "--tfs", str(paths["tfs"]), "--out", str(out)])
    assert code == 0
    frame = pd.read_csv(out / "results.csv")
    return frame.drop(columns=[c for c in frame.columns if c in TIMING])


@pytest.mark.parametrize("seed", [1, 2])
def test_permuted_user_files_give_identical_results(tmp_path, seed):
    ordered = _run(_write_tsv_dataset(tmp_path / "a", None), tmp_path / "run_a")
    shuffled = _run(_write_tsv_dataset(tmp_path / "b", np.random.default_rng(seed)), tmp_path / "run_b")
    ordered, shuffled = (f.sort_values("method").reset_index(drop=True) for f in (ordered, shuffled))
    pd.testing.assert_frame_equal(ordered, shuffled)
    edges_a = sorted((tmp_path / "run_a" / "edges").iterdir())
    edges_b = sorted((tmp_path / "run_b" / "edges").iterdir())
    assert [p.name for p in edges_a] == [p.name for p in edges_b]
    for a, b in zip(edges_a, edges_b, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


BEELINE = Path(__file__).parent / "data" / "inputs" / "beeline"


def _shuffled_beeline(copy: Path) -> Path:
    """The BEELINE example folder with every file's rows (and the expression's columns) shuffled."""
    rng = np.random.default_rng(0)
    copy.mkdir(parents=True)
    expr = pd.read_csv(BEELINE / "ExpressionData.csv", index_col=0)
    expr.iloc[rng.permutation(len(expr)), rng.permutation(expr.shape[1])].to_csv(copy / "ExpressionData.csv")
    pt = pd.read_csv(BEELINE / "PseudoTime.csv", index_col=0)
    pt.iloc[rng.permutation(len(pt))].to_csv(copy / "PseudoTime.csv", na_rep="NA")
    ref = pd.read_csv(BEELINE / "refNetwork.csv")
    ref.iloc[rng.permutation(len(ref))].to_csv(copy / "refNetwork.csv", index=False)
    return copy


def test_permuted_beeline_folder_gives_the_same_hash_and_test_pairs(tmp_path):
    from grnbench.datasets.beeline import load_beeline_dir

    a, b = load_beeline_dir(BEELINE), load_beeline_dir(_shuffled_beeline(tmp_path / "shuffled"))
    assert a.content_hash == b.content_hash
    assert a.genes == b.genes and a.tfs == b.tfs
    np.testing.assert_array_equal(a.expression, b.expression)
    np.testing.assert_array_equal(a.series, b.series)


@pytest.mark.slow
def test_permuted_beeline_folder_gives_identical_results_through_the_cli(tmp_path):
    """The whole run on a grouped split with several seeds (4 TFs: ``--folds auto`` takes 4 folds)."""
    shuffled = _shuffled_beeline(tmp_path / "shuffled" / "beeline")  # same folder name, same dataset name
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
