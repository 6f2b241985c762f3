"""BEELINE's two headline numbers, computed as BEELINE's BLEval computes them, beside grnbench's.

BEELINE (Pratapa et al. 2020, Nat Methods 17:147) reports AUPRC as the trapezoid area under
scikit-learn's precision-recall curve of the absolute edge weights (Murali-group/Beeline
``BLEval/computeAUC.py`` at commit 22137fb, ``computeScores``: ``np.abs(subDF.EdgeWeight...)``
for each listed pair, 0 for the others, and its last line ``auc(recall, prec)``), and the
early-precision ratio as the precision of the edges whose absolute weight, rounded to 6
decimals, reaches that of the k-th listed edge (k = the number of true edges; never below the
smallest non-zero weight), divided by the precision of a random predictor, true edges /
possible edges (``BLEval/computeEarlyPrec.py`` at commit 24bfb81, ``EarlyPrec``: lines 115-127
for the cut, 136-141 for the ratio). BEELINE v1.1 moved these to ``BLEval/AUPRC.py`` (same
formula, lines 68-69) and ``BLEval/EarlyPrecision.py`` (which ranks by absolute weight and no
longer rounds); grnbench follows the published version.

grnbench's own AUPR is average precision (step-wise), which does not interpolate linearly
between recall levels: the trapezoid over-states AUPR wherever precision falls between two
recall levels (Davis & Goadrich 2006). Both are reported so that a grnbench table can be set
beside a BEELINE table; ``rankedEdges.csv`` of a cross-validated run lists every candidate
pair, so BLEval pointed at it gives these same values.
"""

from __future__ import annotations

import numpy as np

from grnbench.evaluation.metrics import Column, MetricFamily, ScoredPairs


def beeline_auprc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Trapezoid area under the precision-recall curve of |score| (BEELINE's AUPRC)."""
    from sklearn.metrics import auc, precision_recall_curve

    labels = np.asarray(labels)
    if labels.sum() == 0 or labels.sum() == len(labels):
        return float("nan")
    precision, recall, _ = precision_recall_curve(labels, np.abs(np.asarray(scores, dtype=np.float64)))
    return float(auc(recall, precision))


def beeline_early_precision_ratio(labels: np.ndarray, scores: np.ndarray) -> float:
    """BEELINE's early-precision ratio over the scored pairs."""
    labels = np.asarray(labels)
    n, k = len(labels), int(labels.sum())
    if k == 0 or k == n:
        return float("nan")
    scores = np.asarray(scores, dtype=np.float64)
    weights = np.abs(np.round(scores, 6))
    # the k-th row of rankedEdges.csv, which lists pairs by signed score, best first
    kth = weights[np.argsort(-scores, kind="stable")[k - 1]]
    nonzero = weights[weights > 0]
    cut = max(float(nonzero.min()), kth) if len(nonzero) else kth
    predicted = weights >= cut
    if not predicted.any():
        return 0.0
    return float(labels[predicted].sum() / predicted.sum()) / (k / n)


def _beeline_figures(scored: ScoredPairs) -> dict[str, float]:
    return {"auprc_beeline": beeline_auprc(scored.labels, scored.scores),
            "epr_beeline": beeline_early_precision_ratio(scored.labels, scored.scores)}


#: BEELINE's AUPRC and early-precision ratio, a family of the metric catalogue
BEELINE_METRICS = MetricFamily("BEELINE", (
    Column("auprc_beeline", "AUPRC (BEELINE)", "trapezoid area under the PR curve, as BEELINE's BLEval computes it", True),
    Column("epr_beeline", "EPR (BEELINE)", "BEELINE's early-precision ratio: precision in the top k (k = positives) over the positive rate", True, "ratio"),
), _beeline_figures)
