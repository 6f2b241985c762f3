"""The edge universe: the one definition of which (TF, target) pairs are scored.

Every metric of every method is computed on pairs drawn from this universe, so no method can
be flattered by a different candidate set. The universe is every (TF, target) with the TF in
the dataset's TF list, the target in its gene list and TF ≠ target, each pair once, ordered
by (TF order, gene order). A pair's label is 1 when it is in the gold standard, else 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from grnbench.data.dataset import Dataset


@dataclass(frozen=True)
class PairSet:
    """Pairs as gene indices into ``Dataset.genes``: ``regulators[k] → targets[k]``.

    This is what a method scores. Under the noise protocol the indices are the genes whose
    *series* feed the pair (possibly a substituted gene), not the pair's identity.
    """

    regulators: np.ndarray
    targets: np.ndarray

    def __post_init__(self) -> None:
        if self.regulators.shape != self.targets.shape:
            raise ValueError("regulators and targets must have the same length")

    def __len__(self) -> int:
        return len(self.regulators)

    def subset(self, index: np.ndarray) -> PairSet:
        return PairSet(self.regulators[index], self.targets[index])


@dataclass(frozen=True)
class LabelledPairs:
    """Pairs with 0/1 labels, as given to supervised methods for training and validation."""

    pairs: PairSet
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)


@dataclass(frozen=True)
class EdgeUniverse:
    """All candidate pairs of a dataset and their gold-standard labels."""

    genes: tuple[str, ...]
    pairs: PairSet
    labels: np.ndarray

    @classmethod
    def from_dataset(cls, dataset: Dataset) -> EdgeUniverse:
        n = dataset.n_genes
        tf_idx = dataset.tf_indices
        regs = np.repeat(tf_idx, n)
        tgts = np.tile(np.arange(n, dtype=np.int64), len(tf_idx))
        keep = regs != tgts
        regs, tgts = regs[keep], tgts[keep]
        index = dataset.gene_index
        gold = np.zeros((n, n), dtype=bool)
        for r, t in dataset.gold_standard:
            gold[index[r], index[t]] = True
        labels = gold[regs, tgts].astype(np.int8)
        return cls(dataset.genes, PairSet(regs, tgts), labels)

    @property
    def n_pairs(self) -> int:
        return len(self.labels)

    @property
    def n_positives(self) -> int:
        return int(self.labels.sum())

    def names(self, index: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Regulator and target names of the pairs (all, or those at ``index``)."""
        genes = np.asarray(self.genes, dtype=object)
        regs, tgts = self.pairs.regulators, self.pairs.targets
        if index is not None:
            regs, tgts = regs[index], tgts[index]
        return genes[regs], genes[tgts]

    def labelled(self, index: np.ndarray) -> LabelledPairs:
        return LabelledPairs(self.pairs.subset(index), self.labels[index])


def dataset_summary(dataset: Dataset) -> dict[str, object]:
    """What ``grnbench datasets show``, the run's first lines and the manifest say of a dataset:
    its sizes, its candidate pairs and positives (from the edge universe), provenance, hash."""
    universe = EdgeUniverse.from_dataset(dataset)
    return {
        "name": dataset.name,
        "genes": dataset.n_genes,
        "tfs": len(dataset.tfs),
        "samples": dataset.n_samples,
        "series": len(np.unique(dataset.series)),
        "pairs": universe.n_pairs,
        "positives": universe.n_positives,
        "source": dataset.source,
        "licence": dataset.licence,
        "hash": dataset.content_hash,
    }
