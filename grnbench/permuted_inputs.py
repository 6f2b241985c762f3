"""A dataset written out as the input files a user brings, in file order or shuffled.

Why: order invariance (the same data in another line order gives the same hash, splits and
scores) is a claim about *files*, so the tests and ``benchmarks/order_and_reevaluation.py``
check it by writing real files, permuting every one of them, and running the real CLI on both.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from grnbench.data.dataset import Dataset


def write_user_files(dataset: Dataset, folder: Path, rng: np.random.Generator | None = None) -> list[str]:
    """``dataset`` as expression TSV, sample sheet, gold-standard TSV and TF list in ``folder``;
    with ``rng``, the expression's rows and columns and every file's lines shuffled. Returns the
    ``grnbench run`` arguments that read them."""
    names = [f"s{int(s)}_{int(t)}" for s, t in zip(dataset.series, dataset.times, strict=True)]
    expr = pd.DataFrame(dataset.expression, index=list(dataset.genes), columns=names)
    sheet = pd.DataFrame({"sample": names, "time": dataset.times, "series": [f"ts{int(s)}" for s in dataset.series]})
    gold = pd.DataFrame(sorted(dataset.gold_standard), columns=["regulator", "target"])
    tfs = list(dataset.tfs)
    if rng is not None:
        expr = expr.iloc[rng.permutation(len(expr)), rng.permutation(expr.shape[1])]
        sheet = sheet.iloc[rng.permutation(len(sheet))]
        gold = gold.iloc[rng.permutation(len(gold))]
        tfs = [tfs[i] for i in rng.permutation(len(tfs))]
    folder.mkdir(parents=True)
    expr.to_csv(folder / "expr.tsv", sep="\t", index_label="gene")
    sheet.to_csv(folder / "samples.csv", index=False)
    gold.to_csv(folder / "gold.tsv", sep="\t", index=False, header=False)
    (folder / "tfs.txt").write_text("\n".join(tfs) + "\n")
    return ["--expression", str(folder / "expr.tsv"), "--samples", str(folder / "samples.csv"),
            "--gold-standard", str(folder / "gold.tsv"), "--tfs", str(folder / "tfs.txt")]


def write_shuffled_beeline(source: Path, copy: Path, rng: np.random.Generator) -> Path:
    """The BEELINE input folder ``source`` at ``copy`` with the expression's rows and columns and
    the lines of PseudoTime.csv and refNetwork.csv shuffled."""
    copy.mkdir(parents=True)
    expr = pd.read_csv(source / "ExpressionData.csv", index_col=0)
    expr.iloc[rng.permutation(len(expr)), rng.permutation(expr.shape[1])].to_csv(copy / "ExpressionData.csv")
    pt = pd.read_csv(source / "PseudoTime.csv", index_col=0)
    pt.iloc[rng.permutation(len(pt))].to_csv(copy / "PseudoTime.csv", na_rep="NA")
    ref = pd.read_csv(source / "refNetwork.csv")
    ref.iloc[rng.permutation(len(ref))].to_csv(copy / "refNetwork.csv", index=False)
    return copy
