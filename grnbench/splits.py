"""Seeded train/validation/test splits of the edge universe.

The standard protocol is the PSGRN paper's stratified 3:1:1 split over pairs. Pair-level
splits let a TF seen in training reappear in the test set, which flatters supervised methods;
the TF-disjoint split keeps every TF's pairs in one part only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from grnbench.errors import UserError
from grnbench.universe import EdgeUniverse

RATIOS = (3, 1, 1)


@dataclass(frozen=True)
class Split:
    """Indices into the edge universe (or a subset of it) for each part."""

    train: np.ndarray
    validation: np.ndarray
    test: np.ndarray
    kind: str


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
    """Assign whole TFs to parts so that no test TF is seen in training.

    TFs are shuffled (seeded) and dealt to the part furthest below its target share of pairs,
    so part sizes approach 3:1:1 as closely as the TF granularity allows.
    """
    idx = np.arange(universe.n_pairs) if index is None else np.asarray(index)
    regs = universe.pairs.regulators[idx]
    tfs = np.unique(regs)
    if len(tfs) < 3:
        raise UserError(f"a TF-disjoint split needs at least 3 TFs, the dataset has {len(tfs)}; use the stratified split")
    rng = np.random.default_rng(seed)
    order = rng.permutation(tfs)
    counts = {tf: int(n) for tf, n in zip(*np.unique(regs, return_counts=True), strict=True)}
    target = np.array(ratios, dtype=float) / sum(ratios) * len(idx)
    filled = np.zeros(3)
    owner: dict[int, int] = {}
    for k, tf in enumerate(order):
        part = k if k < 3 else int(np.argmax(target - filled))  # every part gets ≥ 1 TF
        owner[int(tf)] = part
        filled[part] += counts[int(tf)]
    assignment = np.array([owner[int(r)] for r in regs])
    train, val, test = (idx[assignment == p] for p in range(3))
    _check_parts(universe.labels, train, val, test, check_labels=False)
    return Split(np.sort(train), np.sort(val), np.sort(test), "tf-disjoint")


def _check_parts(labels: np.ndarray, train: np.ndarray, val: np.ndarray, test: np.ndarray,
                 check_labels: bool = True) -> None:
    for name, part in (("train", train), ("validation", val), ("test", test)):
        if len(part) == 0:
            raise UserError(f"the {name} part of the split is empty: the dataset has too few pairs for a 3:1:1 split")
    if check_labels and labels[test].sum() == 0:
        raise UserError("the test part has no positive pair: the gold standard needs at least 5 positive edges for a 3:1:1 split")
