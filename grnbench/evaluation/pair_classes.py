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

from typing import TYPE_CHECKING

import numpy as np

from grnbench.data.splits import Split
from grnbench.data.universe import EdgeUniverse, PairSet
from grnbench.evaluation.metrics import Column, MetricFamily, ScoredPairs, evaluate

if TYPE_CHECKING:
    from grnbench.data.protocols import Trial

CLASSES = ("C1", "C2", "C3")


def pair_classes(train: PairSet, test: PairSet, n_genes: int) -> np.ndarray:
    """The class of each test pair as 1, 2 or 3 (C1, C2, C3), from the training pairs."""
    tf_seen = np.zeros(n_genes, dtype=bool)
    target_seen = np.zeros(n_genes, dtype=bool)
    tf_seen[train.regulators] = True
    target_seen[train.targets] = True
    seen = tf_seen[test.regulators].astype(np.int8) + target_seen[test.targets].astype(np.int8)
    return (3 - seen).astype(np.int8)


def split_figures(universe: EdgeUniverse, split: Split) -> dict[str, float | int]:
    """Column → value of the split's parts (ResultRecord fields): pairs dropped by a disjoint
    split, positives and positive rate of train and validation (the test part's are the
    record's ``n_positives``/``positive_rate``)."""
    labels = universe.labels
    figures: dict[str, float | int] = {"n_dropped": int(split.dropped)}
    for name, part in (("train", split.train), ("validation", split.validation)):
        positives = int(labels[part].sum())
        figures[f"positives_{name}"] = positives
        figures[f"positive_rate_{name}"] = positives / len(part) if len(part) else float("nan")
    return figures


def _class_columns(trial: Trial, universe: EdgeUniverse) -> dict[str, np.ndarray]:
    """Each test pair's class (1, 2, 3), saved in the edge lists as ``pair_class``."""
    split = trial.split
    return {"pair_class": pair_classes(universe.pairs.subset(split.train), universe.pairs.subset(split.test),
                                       len(universe.genes))}


def class_figures(scored: ScoredPairs) -> dict[str, float | int]:
    """Per class of the test pairs: its size, its positives and the AUPR of the scores on it;
    NaN, not an error, when a class has no pair, no positive or no negative."""
    classes = np.asarray(scored.columns["pair_class"])
    figures: dict[str, float | int] = {}
    for number, name in enumerate(CLASSES, start=1):
        mask = classes == number
        key = name.lower()
        figures[f"n_test_{key}"] = int(mask.sum())
        figures[f"positives_{key}"] = int(scored.labels[mask].sum())
        figures[f"aupr_{key}"] = evaluate(scored.labels[mask], scored.scores[mask]).aupr if mask.any() else float("nan")
    return figures


def _columns() -> tuple[Column, ...]:
    columns: list[Column] = []
    for name in CLASSES:
        key = name.lower()
        columns += [Column(f"n_test_{key}", f"test {name}", f"test pairs of class {name} (Park & Marcotte)",
                           None, "int", int),
                    Column(f"positives_{key}", f"positives {name}", f"positives among the {name} test pairs",
                           None, "int", int),
                    Column(f"aupr_{key}", f"AUPR {name}", f"AUPR on the {name} test pairs only", True)]
    return tuple(columns)


#: AUPR per Park & Marcotte class, a family of the metric catalogue (grnbench.evaluation.catalogue)
PAIR_CLASS_AUPR = MetricFamily("pair classes", _columns(), class_figures, pair_columns=_class_columns)
