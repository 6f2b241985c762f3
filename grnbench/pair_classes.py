"""Park & Marcotte's classes of test pairs, and the per-task figures of the shortcut controls.

A pair-input predictor can score a test pair from what it learnt about the pair's members in
training, not from the pair itself (Park & Marcotte 2012, Nat Methods 9:1134). The test pairs
are therefore split by how much of them training has seen:

- C1: the pair's TF is the regulator of some training pair *and* its target is the target of
  some training pair;
- C2: exactly one of the two is seen in that role;
- C3: neither is.

"Seen" is role-specific because the shortcut is: a TF's out-degree and a target's in-degree
are what a model (and the ``degree-prior`` control) can learn from training labels; a TF's
rate as a target says nothing about its rate as a regulator. "Training" means the train part
only (the validation pairs steer early stopping, not the fit). The strict ``disjoint`` split
keeps every gene of a test pair out of every training pair in either role, so all its test
pairs are C3 under this definition too. In the dense TF × gene universe a pair-level split
puts virtually every test pair in C1, ``tf-disjoint`` and ``target-disjoint`` put them in C2
and ``disjoint`` in C3: the classes say which shortcut a split leaves open.

Classes are computed on the pairs' identities (the universe's pairs), not on the series that
feed them, so the noise protocol's substituted series do not move a pair between classes.
"""

from __future__ import annotations

import numpy as np

from grnbench.metrics import evaluate
from grnbench.splits import Split
from grnbench.universe import EdgeUniverse, PairSet

CLASSES = ("C1", "C2", "C3")


def pair_classes(train: PairSet, test: PairSet, n_genes: int) -> np.ndarray:
    """The class of each test pair as 1, 2 or 3 (C1, C2, C3), from the training pairs."""
    tf_seen = np.zeros(n_genes, dtype=bool)
    target_seen = np.zeros(n_genes, dtype=bool)
    tf_seen[train.regulators] = True
    target_seen[train.targets] = True
    seen = tf_seen[test.regulators].astype(np.int8) + target_seen[test.targets].astype(np.int8)
    return (3 - seen).astype(np.int8)


def shortcut_figures(universe: EdgeUniverse, split: Split, scores: np.ndarray) -> dict[str, float | int]:
    """Column → value of every per-task figure of the shortcut controls (ResultRecord fields).

    The split's parts (pairs dropped, positives and positive rate of train and validation;
    the test part's are the record's ``n_positives``/``positive_rate``) and, per class of the
    test pairs, its size, its positives and the AUPR of ``scores`` on it: NaN, not an error,
    when a class has no pair, no positive or no negative.
    """
    labels = universe.labels
    figures: dict[str, float | int] = {"n_dropped": int(split.dropped)}
    for name, part in (("train", split.train), ("validation", split.validation)):
        positives = int(labels[part].sum())
        figures[f"positives_{name}"] = positives
        figures[f"positive_rate_{name}"] = positives / len(part) if len(part) else float("nan")
    classes = pair_classes(universe.pairs.subset(split.train), universe.pairs.subset(split.test),
                           len(universe.genes))
    test_labels = labels[split.test]
    for number, name in enumerate(CLASSES, start=1):
        mask = classes == number
        key = name.lower()
        figures[f"n_test_{key}"] = int(mask.sum())
        figures[f"positives_{key}"] = int(test_labels[mask].sum())
        figures[f"aupr_{key}"] = evaluate(test_labels[mask], scores[mask]).aupr if mask.any() else float("nan")
    return figures
