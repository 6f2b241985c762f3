"""Edge-recovery metrics, all computed on pairs of the one edge universe.

AUPR is average precision with step-wise interpolation (sklearn's definition), not the
trapezoidal area BEELINE reports, which is optimistic on the long tail of tied low scores.
Ties are handled so that the order of tied pairs never changes a figure:
- AUPR and AUROC treat tied scores as one threshold (sklearn semantics);
- early precision counts the tied block that straddles rank k by its expected number of
  positives (as if ties were broken uniformly at random), so it is deterministic and unbiased;
- the top-k confusion counts threshold at the score of the k-th strongest pair and predict
  every pair scoring at least that much (the PSGRN paper's network analysis), so ties at the
  threshold are all in or all out.
Counts (TP, FP, TN, FN, pairs, positives) are stored beside every ratio so any figure can be
recomputed.

A metric *family* (``MetricFamily``) is a function from the scored test pairs to one or more
named columns, each described by a ``Column``; ``grnbench.evaluation.catalogue`` lists the
families, and that list is the only place a metric is declared. ``EDGE_RECOVERY`` below is
the family of ``evaluate``'s columns.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from grnbench.data.protocols import Trial
    from grnbench.data.universe import EdgeUniverse

#: the threshold rank of the confusion counts and the network analysis when none is given: 0
#: stands for "as many pairs as there are positives among the scored pairs" (``resolve_top_k``).
#: At that rank precision equals recall, and a perfect ranking reaches 1 on both, whatever the
#: size of the test set; a fixed k (the PSGRN paper's 10,000 on maize-1, ``--top-k 10000``)
#: exceeds the test pairs of most datasets and gives every method the same counts.
DEFAULT_TOP_K = 0


def resolve_top_k(top_k: int, n_pairs: int, n_positives: int) -> int:
    """The rank the confusion counts are taken at: ``top_k`` (0 = the number of positives, at
    least 1), capped at the number of pairs."""
    k = int(top_k) if top_k else max(1, int(n_positives))
    return min(k, int(n_pairs))


@dataclass(frozen=True)
class EdgeMetrics:
    n_pairs: int
    n_positives: int
    positive_rate: float
    aupr: float
    aupr_ratio: float
    auroc: float
    early_precision: float
    early_precision_ratio: float
    top_k: int
    threshold: float
    tp: int
    fp: int
    tn: int
    fn: int
    precision: float
    recall: float
    f1: float
    #: 1 means every test pair got the same score: the ranking is a random one by construction
    distinct_scores: int

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


@dataclass(frozen=True)
class Column:
    """One column of results.csv and of every table built from it.

    ``higher_is_better`` is None for counts and thresholds, which describe a task rather than
    rank methods (``grnbench table --metric`` offers only columns where it is set).
    ``aggregate`` is how repeats combine: ``mean`` (with sd, min and max beside it) or
    ``max``. ``kind`` picks the display format: metric (3 decimals), ratio, int, score,
    seconds, mb. ``headline`` columns appear in the run summary and the report's comparison
    table.
    """

    name: str
    label: str
    description: str
    higher_is_better: bool | None = True
    kind: str = "metric"
    dtype: type = float
    aggregate: str = "mean"
    headline: bool = False
    #: the report's (longer) column header; ``label`` when empty
    long_label: str = ""
    #: show ``mean ± sd`` over repeats in the report (the others show the mean)
    with_sd: bool = False

    @property
    def title(self) -> str:
        return self.long_label or self.label

    @property
    def rankable(self) -> bool:
        return self.higher_is_better is not None

    @property
    def default(self) -> float | int:
        return 0 if self.dtype is int else float("nan")


@dataclass(frozen=True)
class ScoredPairs:
    """What a metric family computes from: the test pairs' labels and scores, saved beside
    each other in every edge list, plus the run's top-k and the trial seed (for resampling
    families such as bootstrap intervals). ``columns`` holds any other per-pair column of the
    edge list (``regulator``, ``target``, and whatever a family needs saved with the edges)."""

    labels: np.ndarray
    scores: np.ndarray
    top_k: int = DEFAULT_TOP_K
    seed: int = 0
    columns: Mapping[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Hold the pairs in one canonical order, by (regulator, target) name, when the names are
        given: resampling draws pairs by position, so an edge list read back in score order
        (``grnbench evaluate``) must give the bootstrap the pairs in the order the run did."""
        if "regulator" not in self.columns or "target" not in self.columns:
            return
        regs = np.asarray(self.columns["regulator"]).astype(str)
        tgts = np.asarray(self.columns["target"]).astype(str)
        order = np.lexsort((tgts, regs))
        if np.array_equal(order, np.arange(len(order))):
            return
        set_ = object.__setattr__
        set_(self, "labels", np.asarray(self.labels)[order])
        set_(self, "scores", np.asarray(self.scores)[order])
        set_(self, "columns", {k: np.asarray(v)[order] for k, v in self.columns.items()})


@dataclass(frozen=True)
class MetricFamily:
    """Columns computed together from one ``ScoredPairs`` (e.g. a value and its interval).

    ``pair_columns`` gives, for a family that needs more than each test pair's label and
    score (e.g. each pair's class relative to the training pairs), those per-pair values:
    computed from the trial when the task runs and when its edge list is saved, written into
    the edge list, and handed to ``compute`` in ``ScoredPairs.columns`` — so ``grnbench
    evaluate`` recomputes the family from the saved edge list alone.
    """

    name: str
    columns: tuple[Column, ...]
    compute: Callable[[ScoredPairs], Mapping[str, float | int]]
    pair_columns: Callable[[Trial, EdgeUniverse], Mapping[str, np.ndarray]] | None = None


def check_scores(scores: np.ndarray, n: int, who: str = "method") -> np.ndarray:
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    if scores.shape != (n,):
        raise ValueError(f"{who} returned {scores.shape[0]} scores for {n} pairs")
    if not np.all(np.isfinite(scores)):
        raise ValueError(f"{who} returned {int((~np.isfinite(scores)).sum())} NaN/inf scores")
    return scores


def evaluate(labels: np.ndarray, scores: np.ndarray, top_k: int = DEFAULT_TOP_K) -> EdgeMetrics:
    labels = np.asarray(labels).astype(np.int8)
    scores = check_scores(scores, len(labels), "scorer")
    n = len(labels)
    pos = int(labels.sum())
    rate = pos / n if n else float("nan")
    both = 0 < pos < n
    from sklearn.metrics import (  # deferred: a cached run computes none
        average_precision_score,
        roc_auc_score,
    )

    aupr = float(average_precision_score(labels, scores)) if both else float("nan")
    auroc = float(roc_auc_score(labels, scores)) if both else float("nan")
    ep = early_precision(labels, scores, pos) if pos else float("nan")
    k = resolve_top_k(top_k, n, pos)
    threshold, tp, fp = _confusion_at_top_k(labels, scores, k)
    fn, tn = pos - tp, (n - pos) - fp
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / pos if pos else float("nan")
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return EdgeMetrics(
        n_pairs=n, n_positives=pos, positive_rate=rate,
        aupr=aupr, aupr_ratio=aupr / rate if both else float("nan"), auroc=auroc,
        early_precision=ep, early_precision_ratio=ep / rate if both else float("nan"),
        top_k=k, threshold=threshold, tp=tp, fp=fp, tn=tn, fn=fn,
        precision=precision, recall=recall, f1=f1, distinct_scores=int(np.unique(scores).size),
    )


def early_precision(labels: np.ndarray, scores: np.ndarray, k: int) -> float:
    """Expected precision of the top k pairs, ties at rank k broken uniformly at random."""
    if k <= 0:
        return float("nan")
    order = np.argsort(-scores, kind="stable")
    kth = scores[order[k - 1]]
    above = scores > kth
    tied = scores == kth
    n_above = int(above.sum())
    expected_tp = labels[above].sum() + (k - n_above) * labels[tied].sum() / tied.sum()
    return float(expected_tp / k)


def _confusion_at_top_k(labels: np.ndarray, scores: np.ndarray, k: int) -> tuple[float, int, int]:
    if k <= 0:
        return float("nan"), 0, 0
    threshold = float(np.sort(scores)[::-1][k - 1])
    predicted = scores >= threshold
    tp = int(labels[predicted].sum())
    return threshold, tp, int(predicted.sum()) - tp


def pr_curve(labels: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Recall and precision of the step-wise PR curve (for plots)."""
    from sklearn.metrics import precision_recall_curve

    precision, recall, _ = precision_recall_curve(labels, scores)
    return recall, precision


def roc_points(labels: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.metrics import roc_curve

    fpr, tpr, _ = roc_curve(labels, scores)
    return fpr, tpr


def top_k_overlap(scores_a: np.ndarray, scores_b: np.ndarray, k: int) -> float:
    """Jaccard overlap of the top-k pairs of two score vectors over the same pairs."""
    k = min(k, len(scores_a))
    a = set(np.argsort(-scores_a, kind="stable")[:k].tolist())
    b = set(np.argsort(-scores_b, kind="stable")[:k].tolist())
    return len(a & b) / len(a | b) if a | b else float("nan")


def _edge_recovery(scored: ScoredPairs) -> dict[str, float | int]:
    return evaluate(scored.labels, scored.scores, scored.top_k).as_dict()


_EDGE_COLUMNS = {
    "n_pairs": Column("n_pairs", "pairs", "test pairs scored", None, "int", int),
    "n_positives": Column("n_positives", "positives", "gold-standard edges among the test pairs", None, "int", int),
    "positive_rate": Column("positive_rate", "positive rate", "positives / pairs: the AUPR of a random ranking", None),
    "aupr": Column("aupr", "AUPR", "average precision over the test pairs (headline metric)", headline=True, with_sd=True),
    "aupr_ratio": Column("aupr_ratio", "AUPR/rand", "AUPR divided by the positive rate (1 = random)", kind="ratio",
                         headline=True, long_label="AUPR ratio"),
    "auroc": Column("auroc", "AUROC", "area under the ROC curve", headline=True, with_sd=True),
    "early_precision": Column("early_precision", "EP", "precision of the top k pairs, k = number of positives",
                              headline=True, long_label="early precision"),
    "early_precision_ratio": Column("early_precision_ratio", "EP/rand", "early precision divided by the positive rate", kind="ratio"),
    "top_k": Column("top_k", "k", "threshold rank of the confusion counts", None, "int", int),
    "threshold": Column("threshold", "threshold", "score of the k-th strongest pair", None, "score"),
    "tp": Column("tp", "TP", "true positives at the top-k threshold", None, "int", int),
    "fp": Column("fp", "FP", "false positives at the top-k threshold", None, "int", int),
    "tn": Column("tn", "TN", "true negatives at the top-k threshold", None, "int", int),
    "fn": Column("fn", "FN", "false negatives at the top-k threshold", None, "int", int),
    "precision": Column("precision", "precision", "precision at the top-k threshold"),
    "recall": Column("recall", "recall", "recall at the top-k threshold"),
    "f1": Column("f1", "F1", "F1 at the top-k threshold"),
    "distinct_scores": Column("distinct_scores", "distinct scores",
                              "distinct score values among the test pairs (1: constant scores, chance by construction)",
                              None, "int", int),
}
assert list(_EDGE_COLUMNS) == [f.name for f in fields(EdgeMetrics)]

#: AUPR, AUROC, early precision and the top-k confusion counts (``evaluate``)
EDGE_RECOVERY = MetricFamily("edge recovery", tuple(_EDGE_COLUMNS.values()), _edge_recovery)


def fold_figures(scored: ScoredPairs) -> dict[str, float | int]:
    """AUPR per fold, as its mean and sd over the folds that hold both classes."""
    if "fold" not in scored.columns:
        return {"n_folds": 0, "aupr_fold_mean": float("nan"), "aupr_fold_sd": float("nan")}
    folds = np.asarray(scored.columns["fold"])
    values = []
    for f in np.unique(folds):
        mask = folds == f
        values.append(evaluate(scored.labels[mask], scored.scores[mask]).aupr)
    finite = np.array([v for v in values if np.isfinite(v)])
    return {"n_folds": len(values),
            "aupr_fold_mean": float(finite.mean()) if len(finite) else float("nan"),
            "aupr_fold_sd": float(finite.std(ddof=1)) if len(finite) > 1 else float("nan")}


#: AUPR over the folds of a cross-validation, a family of the metric catalogue
FOLD_AUPR = MetricFamily("folds", (
    Column("n_folds", "folds", "cross-validation folds (0: one split)", None, "int", int),
    Column("aupr_fold_mean", "AUPR fold mean", "mean of the per-fold AUPRs (cross-validation)", True),
    Column("aupr_fold_sd", "AUPR fold sd", "sd of the per-fold AUPRs (cross-validation)", None),
), fold_figures)  # ``fold``: in every cross-validated edge list (metric_catalogue.pair_columns)
