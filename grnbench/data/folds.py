"""Cross-validation: every candidate pair scored once, by a model that never saw it.

One 3:1:1 split tests on a fifth of the pairs: on a small network that is two or three
positives, too few to rank methods, and an unsupervised method's scores on the other 80% are
thrown away. ``--folds K`` deals the pairs into K folds instead, with the stratification of
``grnbench.data.splits`` (pairs by label; whole TFs, targets or genes for the disjoint kinds).
Rotation f tests on fold f, takes fold f+1 (mod K) as its validation part and trains on the
rest, so with K = 5 every model sees the standard protocol's 3:1:1 proportions, and the test
parts of the K rotations together hold every pair once: its *out-of-fold* score.

For ``disjoint`` the folds hold genes: rotation f tests the pairs whose two genes are both in
fold f, validates on fold f+1's, and trains on every pair with neither gene in those two
folds. Pairs whose genes fall in different folds are tested in no rotation (``dropped``).

An unsupervised method does not learn from labels, so it is fitted once and scores every
tested pair (``grnbench.trial.fit_and_score``). Metrics and bootstrap intervals are computed
on all out-of-fold pairs; ``metrics.FOLD_AUPR`` adds the spread of AUPR over the folds.
"""

from __future__ import annotations

import numpy as np

from grnbench.data.splits import SPLITS, Split, deal, deal_genes, group_keys
from grnbench.data.universe import EdgeUniverse
from grnbench.errors import UserError

#: K = 5 gives each rotation the standard protocol's 3:1:1 proportions
RECOMMENDED_FOLDS = 5
#: below this many positives in one split's test part (a fifth of the positives), ``--folds
#: auto`` (the default) cross-validates: ``benchmarks/results/cv_vs_split.json`` has the
#: measurement behind it
AUTO_MIN_TEST_POSITIVES = 30


def resolve_folds(requested: int | None, universe: EdgeUniverse, kind: str = "stratified") -> int:
    """The folds of a dataset: ``requested`` (0 = one 3:1:1 split, the PSGRN paper's protocol),
    or for ``auto`` (None) cross-validation when one split would test fewer than
    ``AUTO_MIN_TEST_POSITIVES`` positives, else one split.

    ``auto`` takes 5 folds, or as many (at least 3) as ``kind`` can fill with positives, and
    one split where not even 3 can be: the user did not ask for cross-validation, so a small
    dataset (4 TFs under ``tf-disjoint``, say) must not be refused for want of folds."""
    if requested is not None:
        return int(requested)
    if round(universe.n_positives / 5) >= AUTO_MIN_TEST_POSITIVES:
        return 0
    k = min(RECOMMENDED_FOLDS, _most_folds(kind, universe))
    return k if k >= 3 else 0


def _most_folds(kind: str, universe: EdgeUniverse) -> int:
    """How many folds ``kind`` can give a positive each: the folds are dealt heaviest item first,
    one to each fold, so that is the number of items (pairs, TFs, targets) holding a positive.
    For ``disjoint`` (a positive needs both genes in one fold) the TFs with a positive bound it."""
    positive = universe.labels.astype(bool)
    if kind == "stratified":
        return int(positive.sum())
    if kind == "disjoint":
        return len(np.unique(universe.pairs.regulators[positive]))
    groups, _ = group_keys(kind, universe, np.flatnonzero(positive))
    return len(np.unique(groups))


def parse_folds(text: str) -> int | None:
    """``--folds``: ``auto``, 0 (one split) or K ≥ 3."""
    if text.strip().lower() == "auto":
        return None
    try:
        k = int(text)
    except ValueError:
        raise UserError(f"--folds must be auto, 0 (one split) or a number of folds ≥ 3, got {text!r}") from None
    if k != 0 and k < 3:
        raise UserError(f"--folds must be auto, 0 (one split) or a number of folds ≥ 3, got {k}")
    return k


def make_folds(kind: str, universe: EdgeUniverse, seed: int, k: int, index: np.ndarray | None = None) -> tuple[Split, ...]:
    """The K rotations (train, validation, test) of a ``kind`` cross-validation over ``index``."""
    if kind not in SPLITS:
        raise UserError(f"unknown split {kind!r}; valid splits: {', '.join(SPLITS)}")
    if k < 3:
        raise UserError(f"--folds needs at least 3 folds (test, validation and training), got {k}")
    idx = np.arange(universe.n_pairs) if index is None else np.asarray(index)
    rng = np.random.default_rng(seed)
    shares = np.ones(k)
    regs, tgts = universe.pairs.regulators[idx], universe.pairs.targets[idx]
    if kind == "disjoint":
        fold_of_gene = deal_genes(universe, idx, shares, rng, f"{k}-fold disjoint cross-validation")
        fold_reg, fold_tgt = fold_of_gene[regs], fold_of_gene[tgts]
        fold = np.where(fold_reg == fold_tgt, fold_reg, -1)
    elif kind == "stratified":
        fold = deal(universe.labels[idx].astype(np.int64), shares, rng)
    else:
        groups, what = group_keys(kind, universe, idx)
        keys, inverse = np.unique(groups, return_inverse=True)
        if len(keys) < k:
            raise UserError(f"{k}-fold {kind} cross-validation needs at least {k} {what}, the dataset has {len(keys)}; use fewer folds")
        positives = np.bincount(inverse, universe.labels[idx].astype(np.int64), len(keys))
        fold = deal(positives, shares, rng)[inverse]
    rotations = []
    dropped = int((fold < 0).sum())
    for f in range(k):
        v = (f + 1) % k
        if kind == "disjoint":
            train_mask = ~np.isin(fold_reg, (f, v)) & ~np.isin(fold_tgt, (f, v))
        else:
            train_mask = (fold != f) & (fold != v)
        test, val, train = idx[fold == f], idx[fold == v], idx[train_mask]
        _check_rotation(universe.labels, f, k, train, val, test)
        rotations.append(Split(np.sort(train), np.sort(val), np.sort(test), kind, dropped))
    return tuple(rotations)


def _check_rotation(labels: np.ndarray, f: int, k: int, train: np.ndarray, val: np.ndarray, test: np.ndarray) -> None:
    for name, part in (("training", train), ("validation", val), ("test", test)):
        if len(part) == 0 or labels[part].sum() == 0:
            raise UserError(f"fold {f + 1} of {k}: its {name} part has no positive pair; use fewer folds "
                            "(--folds) or a less strict --split")


def out_of_fold_split(rotations: tuple[Split, ...]) -> Split:
    """The trial's split under cross-validation: every tested pair as ``test``, and the first
    rotation's training and validation parts (what ``n_train``/``n_validation`` report: each
    rotation's are the same size within a pair or a group)."""
    test = np.sort(np.concatenate([r.test for r in rotations]))
    first = rotations[0]
    return Split(first.train, first.validation, test, first.kind, first.dropped)
