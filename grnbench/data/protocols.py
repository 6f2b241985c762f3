"""Evaluation protocols: how the edge universe becomes one or more seeded trials.

- ``standard``: one stratified 3:1:1 split (the PSGRN paper's protocol).
- ``noise``: the PSGRN paper's robustness test ("pick 5% of the TF–target pairs at random; for
  each, build a noisy sample by replacing the TF's or the target's series with the series of a
  randomly chosen gene", labels unchanged). Two readings of that sentence, ``mode``:
  ``added`` (default): the noisy samples are *added* — copies of training pairs, as many as
  ``fraction`` of all pairs, with one side's series replaced, join the training part of each
  fit; validation and test pairs stay clean, so a method is scored on clean data after
  learning from noisy data (unsupervised methods, which learn from no pairs, are unaffected).
  ``replaced``: the pairs themselves are corrupted in place, in every part of the split, test
  pairs included (grnbench's reading before this round). Default 10 repeats.
- ``subsample``: the paper's "incomplete data" test, a random 70% of the pairs (stratified so
  the positive rate is kept) is split 3:1:1; default 10 repeats.

Each repeat is its own trial with a seed derived deterministically from the run seed, the
protocol name and the repeat number, so adding a protocol or repeats never changes the seeds
of the others.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from grnbench.data.folds import make_folds, out_of_fold_split, resolve_folds
from grnbench.data.splits import SPLITS, Split, make_split
from grnbench.data.universe import EdgeUniverse, PairSet
from grnbench.errors import UserError

if TYPE_CHECKING:
    from grnbench.data.dataset import Dataset

DEFAULTS: dict[str, dict[str, float | int]] = {
    "standard": {"repeats": 1},
    "noise": {"fraction": 0.05, "repeats": 10, "mode": "added"},
    "subsample": {"fraction": 0.7, "repeats": 10},
}
__all__ = ["SPLITS", "ProtocolSpec", "Trial", "derive_seed", "make_trial", "parse_protocols"]


@dataclass(frozen=True)
class ProtocolSpec:
    name: str
    params: tuple[tuple[str, float | int], ...] = ()

    def get(self, key: str) -> float | int:
        return dict(self.params)[key]

    @property
    def repeats(self) -> int:
        return int(self.get("repeats"))

    @property
    def label(self) -> str:
        return self.name + "".join(f",{k}={v}" for k, v in self.params if DEFAULTS[self.name].get(k) != v)


@dataclass(frozen=True)
class Trial:
    """One repeat of one protocol: the split and the series feeding each universe pair."""

    protocol: str
    repeat: int
    seed: int
    split: Split
    feature_pairs: PairSet
    corrupted: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    #: cross-validation rotations (``grnbench.data.folds``); empty for one split. With folds,
    #: ``split.test`` holds every tested pair and each rotation's model scores its own fold.
    folds: tuple[Split, ...] = ()
    #: noise protocol, ``mode=added``: noisy copies of training pairs, as a fraction of all
    #: pairs, added to each fit's training part (``noisy_training_copies``)
    noise_added: float = 0.0


def parse_protocols(text: str) -> list[ProtocolSpec]:
    """Parse ``standard,noise:fraction=0.1,repeats=3,subsample``."""
    specs: list[tuple[str, dict[str, float | int]]] = []
    for token in (t.strip() for t in text.split(",")):
        if not token:
            continue
        if "=" in token and ":" not in token and specs:
            name, params = specs[-1]
            params.update([_assignment(name, token)])
            continue
        name, _, rest = token.partition(":")
        if name not in DEFAULTS:
            raise UserError(f"unknown protocol {name!r}; valid protocols: {', '.join(DEFAULTS)}")
        params = dict(DEFAULTS[name])
        if rest:
            params.update([_assignment(name, rest)])
        specs.append((name, params))
    if not specs:
        raise UserError(f"no protocol given; valid protocols: {', '.join(DEFAULTS)}")
    return [ProtocolSpec(n, tuple(sorted(p.items()))) for n, p in specs]


def _assignment(protocol: str, text: str) -> tuple[str, float | int]:
    key, _, value = text.partition("=")
    if key not in DEFAULTS[protocol]:
        raise UserError(f"protocol {protocol!r} has no parameter {key!r}; valid: {', '.join(DEFAULTS[protocol])}")
    default = DEFAULTS[protocol][key]
    try:
        number = type(default)(value)
    except ValueError:
        word = "a whole number" if isinstance(default, int) else "a number"
        raise UserError(f"{protocol}:{key} expects {word}, got {value!r}") from None
    if key == "repeats" and number < 1:
        raise UserError(f"{protocol}:repeats must be at least 1")
    if key == "mode" and number not in ("added", "replaced"):
        raise UserError(f"{protocol}:mode must be added or replaced, got {value!r}")
    if key == "fraction" and not 0 < number <= 1:
        raise UserError(f"{protocol}:fraction must be in (0, 1], got {value}")
    return key, number


def derive_seed(seed: int, protocol: str, repeat: int) -> int:
    """A per-repeat seed; ``standard`` repeat 0 keeps the run seed itself."""
    if protocol == "standard" and repeat == 0:
        return int(seed)
    ss = np.random.SeedSequence([int(seed), zlib.crc32(protocol.encode()), int(repeat)])
    return int(ss.generate_state(1)[0] & 0x7FFFFFFF)


def make_trial(universe: EdgeUniverse, spec: ProtocolSpec, repeat: int, run_seed: int,
               split_kind: str = "stratified", folds: int = 0) -> Trial:
    """One repeat of ``spec``: a single split, or with ``folds`` a cross-validation whose
    folds are dealt from the same seed."""
    seed = derive_seed(run_seed, spec.name, repeat)
    rng = np.random.default_rng(seed)
    feature_pairs = universe.pairs
    corrupted = np.zeros(0, dtype=np.int64)
    pool = np.arange(universe.n_pairs)
    noise_added = 0.0
    if spec.name == "noise" and spec.get("mode") == "added":
        noise_added = float(spec.get("fraction"))
    elif spec.name == "noise":
        n_noisy = int(round(spec.get("fraction") * universe.n_pairs))
        corrupted = np.sort(rng.choice(universe.n_pairs, size=n_noisy, replace=False))
        regs, tgts = universe.pairs.regulators.copy(), universe.pairs.targets.copy()
        replacement = rng.integers(0, len(universe.genes), size=n_noisy)
        tf_side = rng.random(n_noisy) < 0.5
        regs[corrupted[tf_side]] = replacement[tf_side]
        tgts[corrupted[~tf_side]] = replacement[~tf_side]
        feature_pairs = PairSet(regs, tgts)
    elif spec.name == "subsample":
        pool = _stratified_sample(universe.labels, spec.get("fraction"), rng)
    split_seed = int(rng.integers(0, 2**31 - 1))
    if folds:
        rotations = make_folds(split_kind, universe, split_seed, int(folds), pool)
        return Trial(spec.name, repeat, seed, out_of_fold_split(rotations), feature_pairs, corrupted, rotations,
                     noise_added)
    split = make_split(split_kind, universe, split_seed, pool)
    return Trial(spec.name, repeat, seed, split, feature_pairs, corrupted, noise_added=noise_added)


def noisy_training_copies(trial: Trial, universe: EdgeUniverse) -> tuple[PairSet, np.ndarray]:
    """The noisy samples a fit of ``trial`` adds to its training part (``noise``, mode added):
    ``noise_added`` × all pairs, drawn from this split's training pairs, each with its TF's or
    target's series (side at random) replaced by a random gene's; labels those of the copied
    pairs. Drawn from the trial's seed and the training part itself, so every rotation of a
    cross-validation adds copies of its own training pairs only."""
    train = trial.split.train
    n = min(len(train), int(round(trial.noise_added * universe.n_pairs)))
    rng = np.random.default_rng([trial.seed, len(train), int(train.sum() % (2**31))])
    chosen = np.sort(rng.choice(train, size=n, replace=False))
    regs, tgts = universe.pairs.regulators[chosen].copy(), universe.pairs.targets[chosen].copy()
    replacement = rng.integers(0, len(universe.genes), size=n)
    tf_side = rng.random(n) < 0.5
    regs[tf_side] = replacement[tf_side]
    tgts[~tf_side] = replacement[~tf_side]
    return PairSet(regs, tgts), np.array(universe.labels[chosen], copy=True)


def _stratified_sample(labels: np.ndarray, fraction: float, rng: np.random.Generator) -> np.ndarray:
    keep = []
    for cls in (0, 1):
        idx = np.flatnonzero(labels == cls)
        keep.append(rng.choice(idx, size=int(round(fraction * len(idx))), replace=False))
    return np.sort(np.concatenate(keep))


def check_split_feasible(dataset: Dataset, protocols: list[ProtocolSpec], run_seed: int, split_kind: str,
                         folds: int | None = 0) -> None:
    """Build the first trial of every protocol once, before the run: a split that cannot be
    made (too few TFs for a disjoint kind, too many folds) or whose test part holds no positive
    or no negative pair stops the run with one line, instead of failing or scoring NaN in
    every task."""
    universe = EdgeUniverse.from_dataset(dataset)
    folds = resolve_folds(folds, universe, split_kind)
    for spec in protocols:
        trial = make_trial(universe, spec, 0, run_seed, split_kind, folds)
        positives = int(universe.labels[trial.split.test].sum())
        if positives == 0 or positives == len(trial.split.test):
            what = "no positive" if positives == 0 else "no negative"
            raise UserError(f"{dataset.name}: the test part of the {split_kind} split ({spec.name}) has {what} pair, "
                            "so no ranking metric exists; use --split stratified, --folds 5 or another --seed")
