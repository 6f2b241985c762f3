"""The pre-run check of the candidate pairs: stop before any task when the split cannot work.

Gold edges vanish from the edge universe for reasons a user cannot see from the task errors:
self loops are never candidates, and an edge whose regulator is not in the TF list is not a
candidate either. When too few positives (or negatives) remain, every task would fail, or
worse run ``ok`` with undefined metrics (all pairs positive). ``check_candidate_pairs`` counts
the causes and stops the run with one line naming them.

The rule: the 3:1:1 split gives every part (train, validation, test) at least one pair of
each class only when each class has at least 3 + 1 + 1 = 5 pairs, so both the positives and
the negatives of the universe must number at least 5.
"""

from __future__ import annotations

from dataclasses import dataclass

from grnbench.data.dataset import Dataset
from grnbench.errors import UserError

MIN_PER_CLASS = 5  # sum of the 3:1:1 split ratios


@dataclass(frozen=True)
class CandidateCounts:
    """How the gold standard's edges map onto the candidate pairs."""

    gold_edges: int
    self_loops: int
    regulator_not_tf: int
    pairs: int
    positives: int

    @property
    def negatives(self) -> int:
        return self.pairs - self.positives


def count_candidates(dataset: Dataset) -> CandidateCounts:
    """Count candidate pairs and positives, and why gold edges are not candidates."""
    tfs = set(dataset.tfs)
    loops = sum(1 for r, t in dataset.gold_standard if r == t)
    not_tf = sum(1 for r, t in dataset.gold_standard if r != t and r not in tfs)
    n_tf_genes = len(tfs & set(dataset.genes))
    pairs = n_tf_genes * (dataset.n_genes - 1)
    positives = len(dataset.gold_standard) - loops - not_tf
    return CandidateCounts(len(dataset.gold_standard), loops, not_tf, pairs, positives)


def check_candidate_pairs(dataset: Dataset, tfs_source: str | None = None) -> CandidateCounts:
    """Stop with one line naming the causes when the universe is too small for the split.

    ``tfs_source`` names where the TF list came from (e.g. ``--tfs tfs.txt``) in the message.
    """
    c = count_candidates(dataset)
    if c.positives >= MIN_PER_CLASS and c.negatives >= MIN_PER_CLASS:
        return c
    causes = []
    if c.self_loops:
        causes.append(f"{c.self_loops} self loop(s) (never candidates)")
    if c.regulator_not_tf:
        where = f" in {tfs_source}" if tfs_source else ""
        causes.append(f"{c.regulator_not_tf} whose regulator is not in the TF list{where}")
    if c.positives < MIN_PER_CLASS:
        lost = f"; of its {c.gold_edges} edge(s), {' and '.join(causes)} are not candidates" if causes else ""
        fix = "add their regulators to the TF list or give more edges" if c.regulator_not_tf else "give more gold edges"
        raise UserError(f"{dataset.name}: only {c.positives} of the {c.pairs} candidate pairs are gold positives, "
                        f"the 3:1:1 split needs at least {MIN_PER_CLASS}{lost}; {fix}")
    raise UserError(f"{dataset.name}: {c.positives} of the {c.pairs} candidate pairs are gold positives, leaving "
                    f"{c.negatives} negative(s); the 3:1:1 split needs at least {MIN_PER_CLASS} negatives for "
                    "metrics to be defined (a gold standard that lists every pair as an edge cannot score a "
                    "ranking); add genes that are not targets of every TF, or use a gold standard with non-edges")
