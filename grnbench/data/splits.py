"""Seeded train/validation/test splits of the edge universe.

The standard protocol is the PSGRN paper's stratified 3:1:1 split over pairs. A pair-level
split lets a TF (or target) seen in training reappear in the test set, so a supervised model
can score well by learning which TFs are hubs and which targets are heavily regulated,
without reading any expression (Park & Marcotte 2012, Nat Methods 9:1134; see
``docs/shortcuts.md``). The stricter splits remove that shortcut step by step:

- ``tf-disjoint``: every TF's pairs are in one part only, so no test TF is the regulator of a
  training pair (it may still be the *target* of one).
- ``target-disjoint``: every target gene's pairs are in one part only, so no test target is
  the target of a training pair (it may still be a TF of one).
- ``disjoint``: genes, not pairs, are dealt to the three parts and a pair belongs to the part
  that holds both its genes; no gene of a test pair occurs in any training or validation pair,
  in either role (Park & Marcotte's class C3, in its strict form). Pairs whose two genes fall
  in different parts belong to no part and are dropped (``Split.dropped`` counts them): about
  two thirds of the universe, the price of the guarantee.

Every split is seeded and stratified as far as its constraint allows: whole groups (TFs,
targets or genes) are sorted by their number of gold-standard edges (ties in seeded random
order), cut into consecutive strata, and each stratum deals its groups to the parts in the
target proportions in seeded random order, so hubs are spread over the parts as evenly as
the part sizes allow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from grnbench.data.universe import EdgeUniverse
from grnbench.errors import UserError

RATIOS = (3, 1, 1)
#: the split kinds, from the most lenient (pairs) to the strictest (genes)
SPLITS = ("stratified", "tf-disjoint", "target-disjoint", "disjoint")


@dataclass(frozen=True)
class Split:
    """Indices into the edge universe (or a subset of it) for each part.

    ``dropped`` counts the candidate pairs in no part (only the ``disjoint`` split drops any).
    """

    train: np.ndarray
    validation: np.ndarray
    test: np.ndarray
    kind: str
    dropped: int = 0


def make_split(kind: str, universe: EdgeUniverse, seed: int, index: np.ndarray | None = None,
               ratios: tuple[int, int, int] = RATIOS) -> Split:
    """The split of ``kind`` over the pairs at ``index`` (default: the whole universe)."""
    idx = np.arange(universe.n_pairs) if index is None else np.asarray(index)
    if kind == "stratified":
        local = stratified_split(universe.labels[idx], seed, ratios)
        return Split(idx[local.train], idx[local.validation], idx[local.test], local.kind)
    if kind == "tf-disjoint":
        return tf_disjoint_split(universe, seed, idx, ratios)
    if kind == "target-disjoint":
        return target_disjoint_split(universe, seed, idx, ratios)
    if kind == "disjoint":
        return disjoint_split(universe, seed, idx, ratios)
    raise UserError(f"unknown split {kind!r}; valid splits: {', '.join(SPLITS)}")


def stratified_split(labels: np.ndarray, seed: int, ratios: tuple[int, int, int] = RATIOS) -> Split:
    """3:1:1 split in which each part keeps the positive rate of the whole (±1 pair)."""
    rng = np.random.default_rng(seed)
    parts: list[list[np.ndarray]] = [[], [], []]
    total = sum(ratios)
    for cls in (0, 1):
        idx = rng.permutation(np.flatnonzero(labels == cls))
        cut1 = int(round(len(idx) * ratios[0] / total))
        cut2 = cut1 + int(round(len(idx) * ratios[1] / total))
        for part, chunk in zip(parts, (idx[:cut1], idx[cut1:cut2], idx[cut2:]), strict=True):
            part.append(chunk)
    train, val, test = (np.sort(np.concatenate(p)) for p in parts)
    _check_parts(labels, train, val, test)
    return Split(train, val, test, "stratified")


def tf_disjoint_split(universe: EdgeUniverse, seed: int, index: np.ndarray | None = None,
                      ratios: tuple[int, int, int] = RATIOS) -> Split:
    """Assign whole TFs to parts so that no test TF is the regulator of a training pair."""
    idx = np.arange(universe.n_pairs) if index is None else np.asarray(index)
    return _grouped_split(universe, idx, universe.pairs.regulators[idx], "tf-disjoint", "TFs", seed, ratios)


def target_disjoint_split(universe: EdgeUniverse, seed: int, index: np.ndarray | None = None,
                          ratios: tuple[int, int, int] = RATIOS) -> Split:
    """Assign whole target genes to parts so that no test target is the target of a training pair."""
    idx = np.arange(universe.n_pairs) if index is None else np.asarray(index)
    return _grouped_split(universe, idx, universe.pairs.targets[idx], "target-disjoint", "target genes", seed, ratios)


def disjoint_split(universe: EdgeUniverse, seed: int, index: np.ndarray | None = None,
                   ratios: tuple[int, int, int] = RATIOS) -> Split:
    """Assign whole genes to parts; keep the pairs whose TF and target share a part.

    A part holding a share q of the TFs and of the genes holds about q² of the pairs, so the
    genes are dealt in proportion to the square roots of ``ratios`` to keep the pair counts
    near 3:1:1. TFs and the other genes are dealt separately (each part gets its share of
    both), each sorted by its number of gold-standard edges in either role.
    """
    idx = np.arange(universe.n_pairs) if index is None else np.asarray(index)
    regs, tgts = universe.pairs.regulators[idx], universe.pairs.targets[idx]
    shares = np.sqrt(np.asarray(ratios, dtype=float))
    part_of_gene = deal_genes(universe, idx, shares, np.random.default_rng(seed), "a disjoint split")
    part_of_pair = np.where(part_of_gene[regs] == part_of_gene[tgts], part_of_gene[regs], -1)
    train, val, test = (np.sort(idx[part_of_pair == p]) for p in range(3))
    _check_parts(universe.labels, train, val, test, check_labels=False)
    return Split(train, val, test, "disjoint", dropped=int((part_of_pair < 0).sum()))


def deal_genes(universe: EdgeUniverse, idx: np.ndarray, shares: np.ndarray, rng: np.random.Generator,
               what: str) -> np.ndarray:
    """The part of every gene (-1: in no pair at ``idx``): TFs and the other genes dealt
    separately, each stratified by its gold-standard edges in either role."""
    regs, tgts = universe.pairs.regulators[idx], universe.pairs.targets[idx]
    labels = universe.labels[idx].astype(np.int64)
    n_genes = len(universe.genes)
    degree = np.bincount(regs, labels, n_genes) + np.bincount(tgts, labels, n_genes)
    tfs = np.unique(regs)
    others = np.setdiff1d(np.unique(tgts), tfs)
    if len(tfs) < len(shares):
        raise UserError(f"{what} needs at least {len(shares)} TFs, the dataset has {len(tfs)}; use the stratified split")
    part_of_gene = np.full(n_genes, -1)
    for genes in (tfs, others):
        if len(genes):
            part_of_gene[genes] = deal(degree[genes], shares, rng)
    return part_of_gene


def group_keys(kind: str, universe: EdgeUniverse, idx: np.ndarray) -> tuple[np.ndarray, str]:
    """The group of each pair at ``idx`` for a grouped split kind, and what the groups are."""
    if kind == "tf-disjoint":
        return universe.pairs.regulators[idx], "TFs"
    return universe.pairs.targets[idx], "target genes"


def _grouped_split(universe: EdgeUniverse, idx: np.ndarray, groups: np.ndarray, kind: str, what: str,
                   seed: int, ratios: tuple[int, int, int]) -> Split:
    """Deal whole groups (one key per pair) to the parts, stratified by their positives."""
    keys, inverse = np.unique(groups, return_inverse=True)
    if len(keys) < 3:
        raise UserError(f"a {kind} split needs at least 3 {what}, the dataset has {len(keys)}; use the stratified split")
    positives = np.bincount(inverse, universe.labels[idx].astype(np.int64), len(keys))
    part_of_group = deal(positives, np.asarray(ratios, dtype=float), np.random.default_rng(seed))
    assignment = part_of_group[inverse]
    train, val, test = (np.sort(idx[assignment == p]) for p in range(3))
    _check_parts(universe.labels, train, val, test, check_labels=False)
    return Split(train, val, test, kind)


def deal(weights: np.ndarray, shares: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The part (0, 1, 2) of each item, dealt in proportion to ``shares`` and stratified by weight.

    Items are sorted by weight, heaviest first (equal weights in random order), and cut into
    consecutive strata of ``len(labels)`` items; each stratum receives a random permutation of
    ``labels``, the smallest multiset of parts whose proportions are within 0.005 of ``shares``
    (3:1:1 → 5 items: 0,0,0,1,2). The last, partial stratum takes the first labels of a random
    permutation, so every part's expected share stays exact. With fewer items than a stratum a
    part could stay empty; it then takes the lightest item of the largest part, so any three
    items give three non-empty parts.
    """
    labels = _stratum_labels(shares / shares.sum())
    weights = np.asarray(weights)
    shuffled = rng.permutation(len(weights))
    order = shuffled[np.argsort(-weights[shuffled], kind="stable")]
    part = np.empty(len(weights), dtype=np.int64)
    for start in range(0, len(order), len(labels)):
        chunk = order[start:start + len(labels)]
        part[chunk] = rng.permutation(labels)[:len(chunk)]
    for empty in range(len(shares)):
        counts = np.bincount(part, minlength=len(shares))
        if counts[empty] == 0 and counts.max() > 1:
            donors = np.flatnonzero(part == np.argmax(counts))
            part[donors[np.argmin(weights[donors])]] = empty
    return part


def _stratum_labels(shares: np.ndarray, tolerance: float = 0.005, largest: int = 60) -> np.ndarray:
    for size in range(len(shares), largest + 1):
        counts = np.maximum(1, np.round(shares * size)).astype(int)
        if counts.sum() == size and np.abs(counts / size - shares).max() <= tolerance:
            return np.repeat(np.arange(len(shares)), counts)
    counts = np.maximum(1, np.round(shares * largest)).astype(int)
    return np.repeat(np.arange(len(shares)), counts)


def _check_parts(labels: np.ndarray, train: np.ndarray, val: np.ndarray, test: np.ndarray,
                 check_labels: bool = True) -> None:
    for name, part in (("train", train), ("validation", val), ("test", test)):
        if len(part) == 0:
            raise UserError(f"the {name} part of the split is empty: the dataset has too few pairs for a 3:1:1 split")
    if check_labels and labels[test].sum() == 0:
        raise UserError("the test part has no positive pair: the gold standard needs at least 5 positive edges for a 3:1:1 split")
