"""How sure a comparison is: bootstrap intervals, paired bootstrap tests, Holm, and ranks across
datasets (Friedman, Nemenyi, critical difference; Demšar 2006).

Test sets in GRN benchmarks can be tiny (DREAM4 size 10: 18 test pairs, 3 positives), so a
single AUPR says little on its own. Every figure here is computed from what a run already saved
(labels and scores of the test pairs), seeded, so a report is reproducible.

**Stratified bootstrap, vectorised without resampling pairs.** Each resample draws the
positives and the negatives of the test pairs separately with replacement (so the number of
positives, and hence the positive rate and the early-precision cut-off k, stay fixed). AUPR
(average precision, ties as one threshold), AUROC and early precision depend on a resample only
through how many drawn positives and negatives fall into each *block* of the ranking: a block
of tied scores holding positives, or the run of negatives between two such blocks. Items of
the same block are exchangeable, so the block counts of a resample are multinomial with the
block sizes as probabilities, and the whole bootstrap costs O(resamples × blocks) instead of
O(resamples × pairs) — a few hundredths of a second for 100,000 pairs × 1,000 resamples.
Paired comparisons use *cells*, the pairs that fall into the same block for every method
compared, so all methods see exactly the same resampled pairs.

**Intervals** are percentile intervals of the bootstrap distribution. Across repeats or
initialisation seeds the summary uses a Student-t interval of the mean (``t_interval``).
**Paired p-values** invert the percentile interval of the difference (two-sided, with the
+1 correction so no p-value is 0); Holm's step-down correction is applied within each test set
(all pairs of methods scored on the same test pairs form one family).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from grnbench.evaluation.metrics import Column, MetricFamily

if TYPE_CHECKING:
    from scipy import sparse

#: resamples per interval (the issue asks for at least 1,000)
N_RESAMPLES = 1_000
#: two-sided coverage of every interval
LEVEL = 0.95
#: a test part with fewer positives than this gets a visible warning in the report
FEW_POSITIVES = 30
#: largest resamples × cells matrix drawn at once (bounds memory on huge test sets)
_CHUNK_CELLS = 4_000_000
#: columns ``bootstrap_intervals`` returns, one pair per metric (ResultRecord fields)
INTERVAL_COLUMNS = ("aupr_ci_low", "aupr_ci_high", "auroc_ci_low", "auroc_ci_high",
                    "early_precision_ci_low", "early_precision_ci_high")


# ---------------------------------------------------------------- blocks of one ranking


@dataclass(frozen=True)
class Blocks:
    """Where each pair of one method's ranking falls.

    Positive blocks ``j = 0..m-1`` are the distinct scores holding at least one positive, best
    first. A positive pair's code is its block ``j``; a negative's code is ``2j + 1`` when it
    ties with positive block ``j`` and ``2j`` when it lies strictly between blocks ``j - 1``
    and ``j`` (``2m``: below every positive).
    """

    codes: np.ndarray  # per pair, as described above
    n_blocks: int  # m

    @classmethod
    def of(cls, labels: np.ndarray, scores: np.ndarray) -> Blocks:
        labels = np.asarray(labels).astype(bool)
        scores = np.asarray(scores, dtype=np.float64)
        levels, level = np.unique(-scores, return_inverse=True)  # level 0 = highest score
        has_pos = np.zeros(len(levels), dtype=bool)
        has_pos[level[labels]] = True
        before = np.cumsum(has_pos) - has_pos  # positive levels strictly above each level
        m = int(has_pos.sum())
        codes = np.where(labels, before[level], np.where(has_pos[level], 2 * before[level] + 1, 2 * before[level]))
        return cls(codes.astype(np.int64), m)


def block_metrics(tp: np.ndarray, neg: np.ndarray) -> dict[str, np.ndarray]:
    """AUPR, AUROC and early precision of each row of block counts.

    ``tp`` (rows × m) counts the positives drawn into each positive block, ``neg``
    (rows × 2m+1) the negatives in each negative code of ``Blocks``. The definitions are those
    of ``grnbench.evaluation.metrics``: average precision with tied scores as one threshold, AUROC with
    ties counting one half, and precision of the top k = number of positives with the tied
    block at rank k counted by its expected positives.
    """
    tp = np.asarray(tp, dtype=np.float64)
    neg = np.asarray(neg, dtype=np.float64)
    rows, m = tp.shape
    n_pos = tp.sum(axis=1)
    n_neg = neg.sum(axis=1)
    cum_tp = np.cumsum(tp, axis=1)
    cum_neg = np.cumsum(neg, axis=1)
    fp_incl = cum_neg[:, 1:2 * m:2]  # negatives at or above positive block j
    tied = neg[:, 1:2 * m:2]
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(tp > 0, cum_tp / (cum_tp + fp_incl), 0.0)
        aupr = (tp * precision).sum(axis=1) / n_pos
        auroc = (tp * (n_neg[:, None] - fp_incl + 0.5 * tied)).sum(axis=1) / (n_pos * n_neg)
    # early precision: walk the blocks in rank order (neg 0, pos 0 + neg 1, neg 2, ...)
    sizes = neg.copy()
    sizes[:, 1:2 * m:2] += tp
    pos_in = np.zeros_like(neg)
    pos_in[:, 1:2 * m:2] = tp
    cum_size = np.cumsum(sizes, axis=1)
    k = n_pos
    block = np.argmax(cum_size >= k[:, None] - 1e-9, axis=1)
    r = np.arange(rows)
    size_before = cum_size[r, block] - sizes[r, block]
    pos_before = np.cumsum(pos_in, axis=1)[r, block] - pos_in[r, block]
    with np.errstate(invalid="ignore", divide="ignore"):
        early = (pos_before + (k - size_before) * pos_in[r, block] / sizes[r, block]) / k
    bad = (n_pos == 0) | (n_neg == 0)
    for values in (aupr, auroc, early):
        values[bad] = np.nan
    return {"aupr": aupr, "auroc": auroc, "early_precision": early}


def random_ranking_aupr(n_pairs: float, n_positives: float) -> float:
    """Expected AUPR (average precision) of a uniformly random ranking of ``n_pairs`` pairs with
    ``n_positives`` positives (Bestgen 2015).

    Each positive sits at a uniform rank r, with (P − 1)(r − 1)/(n − 1) other positives above it
    on average, so E[AP] = (H_n + (P − 1)(n − H_n)/(n − 1)) / n, H_n the n-th harmonic number.
    It tends to the positive rate P/n only when P is large: with 3 positives among 18 pairs it
    is 0.289, not 0.167, which is why a random ranking's AUPR on a tiny test set looks good."""
    n, p = float(n_pairs), float(n_positives)
    if not (np.isfinite(n) and np.isfinite(p)) or n < 1 or p < 1:
        return math.nan
    if n == 1:
        return 1.0
    from scipy.special import digamma

    harmonic = float(digamma(n + 1) + np.euler_gamma)
    return (harmonic + (p - 1) * (n - harmonic) / (n - 1)) / n


# ---------------------------------------------------------------- resampling


@dataclass(frozen=True)
class _Cells:
    """Pairs grouped by their block code under every method: exchangeable under resampling."""

    pos_sizes: np.ndarray
    neg_sizes: np.ndarray
    pos_codes: np.ndarray  # cells × methods
    neg_codes: np.ndarray
    pos_cell: np.ndarray  # cell of each positive pair
    neg_cell: np.ndarray

    @classmethod
    def of(cls, labels: np.ndarray, blocks: list[Blocks]) -> _Cells:
        labels = np.asarray(labels).astype(bool)
        codes = np.stack([b.codes for b in blocks], axis=1)
        pos, pos_cell, pos_sizes = np.unique(codes[labels], axis=0, return_inverse=True, return_counts=True)
        neg, neg_cell, neg_sizes = np.unique(codes[~labels], axis=0, return_inverse=True, return_counts=True)
        return cls(pos_sizes, neg_sizes, pos.reshape(-1, len(blocks)), neg.reshape(-1, len(blocks)),
                   pos_cell.reshape(-1), neg_cell.reshape(-1))


def _draw(rng: np.random.Generator, sizes: np.ndarray, cell: np.ndarray, rows: int) -> np.ndarray:
    """Cell counts of ``rows`` resamples (with replacement) of the pairs of one class.

    Multinomial over the cells when there are far fewer cells than pairs (the usual case: one
    method, or scores with ties); when almost every pair is its own cell (several methods with
    continuous scores), drawing pair indices and counting them is cheaper than that many
    binomial draws. Both give the same distribution."""
    n, k = len(cell), len(sizes)
    if 4 * k < n:
        return rng.multinomial(n, sizes / n, size=rows)
    drawn = cell[rng.integers(0, n, size=(rows, n))] + (np.arange(rows) * k)[:, None]
    return np.bincount(drawn.ravel(), minlength=rows * k).reshape(rows, k)


def _indicator(codes: np.ndarray, width: int) -> sparse.csr_matrix:
    n = len(codes)
    from scipy import sparse  # deferred (scipy's import is slow), like every scipy use here

    return sparse.csr_matrix((np.ones(n), (np.arange(n), codes)), shape=(n, width))


def resampled_metrics(labels: np.ndarray, score_sets: list[np.ndarray], seed: int,
                      n_resamples: int = N_RESAMPLES) -> list[dict[str, np.ndarray]]:
    """Metrics of each score vector on the same ``n_resamples`` stratified bootstrap resamples
    of the pairs (one dict of arrays per score vector)."""
    labels = np.asarray(labels).astype(bool)
    blocks = [Blocks.of(labels, s) for s in score_sets]
    cells = _Cells.of(labels, blocks)
    n_pos, n_neg = int(labels.sum()), int((~labels).sum())
    nan = {k: np.full(n_resamples, np.nan) for k in ("aupr", "auroc", "early_precision")}
    if n_pos == 0 or n_neg == 0:
        return [dict(nan) for _ in score_sets]
    rng = np.random.default_rng(seed)
    maps = [(_indicator(cells.pos_codes[:, i], b.n_blocks), _indicator(cells.neg_codes[:, i], 2 * b.n_blocks + 1))
            for i, b in enumerate(blocks)]
    per_chunk = max(1, _CHUNK_CELLS // max(1, len(labels)))
    parts: list[list[dict[str, np.ndarray]]] = [[] for _ in score_sets]
    done = 0
    while done < n_resamples:
        size = min(per_chunk, n_resamples - done)
        pos = _draw(rng, cells.pos_sizes, cells.pos_cell, size)
        neg = _draw(rng, cells.neg_sizes, cells.neg_cell, size)
        for i, (to_tp, to_neg) in enumerate(maps):
            parts[i].append(block_metrics(np.asarray(pos @ to_tp), np.asarray(neg @ to_neg)))
        done += size
    return [{k: np.concatenate([p[k] for p in chunks]) for k in chunks[0]} for chunks in parts]


def percentile_interval(values: np.ndarray, level: float = LEVEL) -> tuple[float, float]:
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return math.nan, math.nan
    alpha = (1 - level) / 2
    low, high = np.quantile(values, [alpha, 1 - alpha])
    return float(low), float(high)


def bootstrap_intervals(labels: np.ndarray, scores: np.ndarray, seed: int,
                        n_resamples: int = N_RESAMPLES, level: float = LEVEL) -> dict[str, float]:
    """The per-task interval columns (``INTERVAL_COLUMNS``): 95% stratified-bootstrap percentile
    intervals of AUPR, AUROC and early precision over the test pairs.

    The one function the runner and ``grnbench evaluate`` call beside ``evaluate``, so every
    result row carries its intervals however it was computed."""
    (draws,) = resampled_metrics(labels, [scores], seed, n_resamples)
    out: dict[str, float] = {}
    for metric in ("aupr", "auroc", "early_precision"):
        out[f"{metric}_ci_low"], out[f"{metric}_ci_high"] = percentile_interval(draws[metric], level)
    return out


def _interval_columns() -> tuple[Column, ...]:
    labels = {"aupr": "AUPR", "auroc": "AUROC", "early_precision": "early precision"}
    return tuple(Column(f"{metric}_ci_{end}", f"{labels[metric]} CI {end}",
                        f"{end} end of the 95% stratified-bootstrap interval of {labels[metric]} (test pairs)",
                        higher_is_better=None)
                 for metric in labels for end in ("low", "high"))


#: the per-task intervals as a family of the metric catalogue (``grnbench.evaluation.catalogue``)
BOOTSTRAP_INTERVALS = MetricFamily(
    "bootstrap intervals", _interval_columns(),
    lambda scored: bootstrap_intervals(scored.labels, scored.scores, scored.seed))


# ---------------------------------------------------------------- paired comparisons


@dataclass(frozen=True)
class PairedComparison:
    """Method ``a`` minus method ``b`` on the same test pairs."""

    a: str
    b: str
    aupr_a: float
    aupr_b: float
    difference: float
    ci_low: float
    ci_high: float
    p_value: float
    p_holm: float = math.nan

    @property
    def resolved(self) -> bool:
        """The difference survives Holm's correction at 1 − LEVEL."""
        return bool(self.p_holm < 1 - LEVEL)


def bootstrap_p_value(differences: np.ndarray) -> float:
    """Two-sided p-value of "no difference" from bootstrap differences: twice the smaller tail
    beyond zero, with the +1 correction (never 0; the inverse of the percentile interval)."""
    d = np.asarray(differences, dtype=np.float64)
    d = d[np.isfinite(d)]
    if len(d) == 0:
        return math.nan
    tail = min((d <= 0).sum(), (d >= 0).sum())
    return float(min(1.0, 2 * (tail + 1) / (len(d) + 1)))


def holm(p_values: list[float]) -> list[float]:
    """Holm step-down adjusted p-values (statsmodels); NaNs stay NaN and do not count."""
    from statsmodels.stats.multitest import multipletests

    p = np.asarray(p_values, dtype=np.float64)
    out = np.full(len(p), np.nan)
    finite = np.isfinite(p)
    if finite.any():
        out[finite] = multipletests(p[finite], method="holm")[1]
    return out.tolist()


def paired_resamples(n_pairs: int, minimum: int = N_RESAMPLES) -> int:
    """Resamples for ``n_pairs`` comparisons: at least 100 per comparison, so the smallest
    bootstrap p-value (2 / (B + 1)) survives Holm's correction (× n_pairs) with room to spare
    (≤ 0.02); with 1,000 resamples and 105 pairs (15 methods) nothing could ever be resolved."""
    return max(int(minimum), 100 * int(n_pairs))


def paired_comparisons(labels: np.ndarray, scores: dict[str, np.ndarray | list[np.ndarray]], seed: int,
                       n_resamples: int | None = None, level: float = LEVEL) -> list[PairedComparison]:
    """AUPR difference of every pair of methods scored on the same test pairs, each with a
    paired-bootstrap interval and p-value, Holm-adjusted across the pairs of this test set.

    A method may bring several score vectors (its fits under several initialisation seeds):
    its AUPR, observed and on each resample, is then the mean over them, so a comparison is
    pooled over seeds (one Holm family, not one per seed) and a method fitted once (it ignores
    the seed) is compared with the seed-mean of one that is not. ``n_resamples`` defaults to
    ``paired_resamples`` of the number of pairs."""
    names = list(scores)
    if len(names) < 2:
        return []
    sets = {n: list(v) if isinstance(v, list | tuple) else [v] for n, v in scores.items()}
    flat = [s for n in names for s in sets[n]]
    owner = np.repeat(np.arange(len(names)), [len(sets[n]) for n in names])
    n_resamples = n_resamples or paired_resamples(len(names) * (len(names) - 1) // 2)
    labels = np.asarray(labels).astype(bool)
    draws = resampled_metrics(labels, flat, seed, n_resamples)
    observed_each = block_metrics(*_identity_counts(labels, flat))["aupr"]
    per_method = [np.mean([draws[k]["aupr"] for k in np.flatnonzero(owner == i)], axis=0) for i in range(len(names))]
    observed = [float(np.mean(observed_each[owner == i])) for i in range(len(names))]
    out = []
    for i, j in combinations(range(len(names)), 2):
        diff = per_method[i] - per_method[j]
        low, high = percentile_interval(diff, level)
        out.append(PairedComparison(names[i], names[j], observed[i], observed[j],
                                    observed[i] - observed[j], low, high, bootstrap_p_value(diff)))
    adjusted = holm([c.p_value for c in out])
    return [PairedComparison(**{**c.__dict__, "p_holm": p}) for c, p in zip(out, adjusted, strict=True)]


def _identity_counts(labels: np.ndarray, score_sets: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Block counts of the original (not resampled) pairs, one row per score vector."""
    m = max(Blocks.of(labels, s).n_blocks for s in score_sets)
    tp = np.zeros((len(score_sets), m))
    neg = np.zeros((len(score_sets), 2 * m + 1))
    for i, s in enumerate(score_sets):
        b = Blocks.of(labels, s)
        tp[i, : b.n_blocks] = np.bincount(b.codes[labels], minlength=b.n_blocks)
        counts = np.bincount(b.codes[~labels], minlength=2 * b.n_blocks + 1)
        # pad by moving the tail (code 2m_i) to the common tail 2m; empty blocks add nothing
        neg[i, : 2 * b.n_blocks] = counts[: 2 * b.n_blocks]
        neg[i, 2 * m] = counts[2 * b.n_blocks]
    return tp, neg


# ---------------------------------------------------------------- across repeats and seeds


def t_interval(values: np.ndarray, level: float = LEVEL,
               bounds: tuple[float, float] = (0.0, 1.0)) -> tuple[float, float]:
    """Student-t interval of the mean of independent repeats (NaN with fewer than two), clipped
    to the metric's range (``bounds``): with two or three noisy repeats the raw interval can
    reach below 0 or above 1, which no AUPR can."""
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    if len(values) < 2:
        return math.nan, math.nan
    sd = values.std(ddof=1)
    if sd == 0:
        return float(values.mean()), float(values.mean())
    from scipy import stats as sps

    low, high = sps.t.interval(level, len(values) - 1, loc=values.mean(), scale=sd / math.sqrt(len(values)))
    return float(max(low, bounds[0])), float(min(high, bounds[1]))


def interval_over_tasks(values: np.ndarray, lows: np.ndarray, highs: np.ndarray, splits: np.ndarray,
                        level: float = LEVEL, bounds: tuple[float, float] = (0.0, 1.0)) -> tuple[float, float, str]:
    """The interval a summary row shows, and what kind it is.

    The unit of replication is the split (a protocol repeat): several splits get the Student-t
    interval of the mean of their per-split means (initialisation seeds averaged first). One
    split keeps the bootstrap interval over its test pairs; with several initialisation seeds
    on it, the envelope of their intervals (the seed spread itself is reported separately).
    """
    values = np.asarray(values, dtype=np.float64)
    lows, highs = np.asarray(lows, dtype=np.float64), np.asarray(highs, dtype=np.float64)
    finite = np.isfinite(values)
    if not finite.any():
        return math.nan, math.nan, ""
    per_split = pd.Series(values[finite]).groupby(np.asarray(splits)[finite]).mean()
    if len(per_split) >= 2:
        low, high = t_interval(per_split.to_numpy(), level, bounds)
        return low, high, f"t over {len(per_split)} splits"
    if not (np.isfinite(lows[finite]).any() and np.isfinite(highs[finite]).any()):
        return math.nan, math.nan, ""  # e.g. rows written before intervals existed
    kind = "bootstrap" if finite.sum() == 1 else f"bootstrap, envelope of {int(finite.sum())} seeds"
    return float(np.nanmin(lows[finite])), float(np.nanmax(highs[finite])), kind


# ---------------------------------------------------------------- across datasets


@dataclass(frozen=True)
class RankTest:
    """Ranks of methods across datasets (rank 1 = best on a dataset, ties share the mean rank)."""

    #: method × dataset ranks on the datasets where every method finished
    ranks: pd.DataFrame
    mean_rank: pd.Series
    datasets_used: list[str]
    #: Friedman chi-square and p (NaN with fewer than 3 methods or datasets)
    friedman_statistic: float
    friedman_p: float
    #: Nemenyi post-hoc p-values (method × method), None without a Friedman test
    nemenyi: pd.DataFrame | None
    #: Nemenyi critical difference of mean ranks at 1 − LEVEL
    critical_difference: float

    @property
    def tested(self) -> bool:
        return self.nemenyi is not None


def rank_methods(values: pd.DataFrame, higher_is_better: bool = True) -> RankTest:
    """Mean rank of each method (rows) over datasets (columns); with at least 3 methods and 3
    complete datasets, a Friedman test, the Nemenyi post-hoc test (scikit-posthocs) and the
    critical difference of Demšar (2006)."""
    complete = values.dropna(axis=1, how="any")
    ranks = complete.rank(axis=0, ascending=not higher_is_better, method="average")
    mean_rank = ranks.mean(axis=1) if complete.shape[1] else pd.Series(np.nan, index=values.index)
    k, n = complete.shape
    stat = p = cd = math.nan
    nemenyi = None
    if k >= 3 and n >= 3:
        from scipy import stats as sps

        stat, p = sps.friedmanchisquare(*[complete.loc[m].to_numpy() for m in complete.index])
        stat, p = float(stat), float(p)
        import scikit_posthocs as sp

        nemenyi = sp.posthoc_nemenyi_friedman(complete.T.to_numpy())
        nemenyi.index = nemenyi.columns = list(complete.index)
        q = sps.studentized_range.ppf(LEVEL, k, np.inf) / math.sqrt(2)
        cd = float(q * math.sqrt(k * (k + 1) / (6 * n)))
    return RankTest(ranks, mean_rank, list(complete.columns), stat, p, nemenyi, cd)
