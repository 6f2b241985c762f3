"""BEELINE's own evaluation, re-done the way BLEval does it (``BLEval/computeAUC.py``
``computeScores``; ``BLEval/computeEarlyPrec.py`` ``EarlyPrec`` with TF edges), pointed at
grnbench's ``rankedEdges.csv`` of a cross-validated run, gives grnbench's reported values."""

from __future__ import annotations

from itertools import permutations, product

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import auc, precision_recall_curve

from grnbench.cli import main
from grnbench.datasets import load_dataset


def _bleval_auprc(true_edges: pd.DataFrame, ranked: pd.DataFrame) -> float:
    genes = np.unique(true_edges[["Gene1", "Gene2"]])
    possible = ["|".join(p) for p in permutations(genes, 2)]  # directed, no self edges
    truth = dict.fromkeys(possible, 0)
    for g1, g2 in zip(true_edges["Gene1"], true_edges["Gene2"], strict=True):
        truth[f"{g1}|{g2}"] = 1
    predicted = dict.fromkeys(possible, 0.0)  # pairs the method did not list score 0
    for g1, g2, w in zip(ranked["Gene1"], ranked["Gene2"], ranked["EdgeWeight"], strict=True):
        if f"{g1}|{g2}" in predicted:
            predicted[f"{g1}|{g2}"] = abs(w)
    prec, recall, _ = precision_recall_curve([truth[e] for e in possible], [predicted[e] for e in possible])
    return auc(recall, prec)


def _bleval_epr(true_edges: pd.DataFrame, ranked: pd.DataFrame) -> float:
    genes = np.unique(true_edges[["Gene1", "Gene2"]])
    possible = set(product(set(true_edges["Gene1"]), set(genes))) & set(permutations(genes, 2))
    possible = {"|".join(p) for p in possible}
    true = true_edges["Gene1"] + "|" + true_edges["Gene2"]
    true = set(true[true.isin(possible)])
    ranked = ranked.copy()
    ranked["Edges"] = ranked["Gene1"] + "|" + ranked["Gene2"]
    ranked = ranked[ranked["Edges"].isin(possible)]
    weights = ranked["EdgeWeight"].round(6).abs()
    k = min(len(ranked), len(true))
    best = max(np.nanmin(weights.replace(0, np.nan).to_numpy()), weights.iloc[k - 1])
    top = set(ranked.loc[weights >= best, "Edges"])
    return (len(top & true) / len(top)) / (len(true) / len(possible))


def write_beeline_folder(folder, dataset) -> pd.DataFrame:
    """``dataset`` as a BEELINE input folder: one pseudotime column per series, the gold
    standard as refNetwork.csv (whose regulators are then the TFs, as in BEELINE)."""
    folder.mkdir(parents=True)
    cells = [f"c{i}" for i in range(dataset.n_samples)]
    pd.DataFrame(dataset.expression, index=list(dataset.genes), columns=cells).to_csv(folder / "ExpressionData.csv")
    pseudotime = pd.DataFrame(index=cells)
    for s in np.unique(dataset.series):
        pseudotime[f"PseudoTime{int(s) + 1}"] = np.where(dataset.series == s, dataset.times, np.nan)
    pseudotime.to_csv(folder / "PseudoTime.csv", na_rep="NA")
    ref = pd.DataFrame(sorted(dataset.gold_standard), columns=["Gene1", "Gene2"])
    ref.assign(Type="+").to_csv(folder / "refNetwork.csv", index=False)
    return ref


def test_bleval_on_grnbench_ranked_edges_gives_grnbench_values(tmp_path):
    true_edges = write_beeline_folder(tmp_path / "in", load_dataset("dream4-100-1"))
    out = tmp_path / "run"
    assert main(["run", "--quiet", "--methods", "correlation,degree-prior,random", "--beeline-dir", str(tmp_path / "in"),
                 "--folds", "5", "--out", str(out)]) == 0
    results = pd.read_csv(out / "results.csv")
    for row in results.itertuples():
        stem = row.edges_file.rsplit("/", 1)[-1].removesuffix(".csv")
        ranked = pd.read_csv(out / "beeline" / stem / "rankedEdges.csv", sep="\t")
        assert len(ranked) == row.n_test  # every candidate pair, out of fold
        assert _bleval_auprc(true_edges, ranked) == pytest.approx(row.auprc_beeline, abs=1e-12)
        assert _bleval_epr(true_edges, ranked) == pytest.approx(row.epr_beeline, abs=1e-12)
