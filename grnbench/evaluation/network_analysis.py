"""Network analysis of one ranked edge list: the predicted network at the top-k threshold.

The PSGRN paper reads a method's output as a network by keeping every pair that scores at
least as high as the k-th strongest pair (k = 10,000 by default, capped at the number of
pairs). The threshold and confusion counts come from ``grnbench.evaluation.metrics.evaluate``, so this
module only adds the per-TF view: which regulators get the most predicted targets, and how
many of those are in the gold standard (hubs a biologist would follow up).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from grnbench.evaluation.metrics import DEFAULT_TOP_K, EdgeMetrics, evaluate

#: how many TFs the report lists per method
TOP_TFS = 15


@dataclass(frozen=True)
class NetworkSummary:
    metrics: EdgeMetrics
    #: columns: tf, predicted, in_gold, precision, gold_targets (gold edges of the TF among the pairs)
    top_tfs: pd.DataFrame
    #: True when k reaches every pair, so the "predicted network" is the whole edge list
    covers_all_pairs: bool


def analyse_network(edges: pd.DataFrame, top_k: int = DEFAULT_TOP_K, n_tfs: int = TOP_TFS) -> NetworkSummary:
    """Confusion counts at the top-k threshold and the ``n_tfs`` TFs with most predicted edges.

    ``edges`` is a labelled edge list (columns regulator, target, score, label). TFs with equal
    numbers of predicted edges are ordered by predicted edges in the gold standard, then name.
    """
    labels = edges["label"].to_numpy()
    scores = edges["score"].to_numpy()
    metrics = evaluate(labels, scores, top_k)
    predicted = edges[scores >= metrics.threshold]
    per_tf = predicted.groupby("regulator").agg(predicted=("label", "size"), in_gold=("label", "sum"))
    gold_targets = edges.groupby("regulator")["label"].sum().rename("gold_targets")
    table = per_tf.join(gold_targets).reset_index().rename(columns={"regulator": "tf"})
    table["precision"] = table["in_gold"] / table["predicted"]
    table = table.sort_values(["predicted", "in_gold", "tf"], ascending=[False, False, True]).head(n_tfs)
    table = table[["tf", "predicted", "in_gold", "precision", "gold_targets"]].reset_index(drop=True)
    return NetworkSummary(metrics=metrics, top_tfs=table, covers_all_pairs=metrics.top_k >= len(edges))
