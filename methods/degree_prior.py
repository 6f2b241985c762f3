"""Supervised shortcut control: a pair's score is how often its TF and its target are
positive among the training pairs. It never reads expression.

Under a random split of pairs a supervised model can score well by learning which TFs are
hubs and which targets are heavily regulated, without inferring any regulation from the
series (the pair-input flaw of Park & Marcotte 2012, Nat Methods 9:1134; see
``docs/shortcuts.md``). This control learns exactly that and nothing else, so it is the floor
a supervised method has to beat before its AUPR says anything about expression, as ``random``
is the floor for every method.

Score of (TF t, target g) = r_TF(t) + r_target(g), where r_TF(t) is the positive rate of the
training pairs whose regulator is t, smoothed towards the global training positive rate π
with a Beta(aπ, a(1 − π)) prior: r = (positives + aπ) / (pairs + a), with a = ``pseudocount``
(default 2: two imaginary pairs at the global rate). A gene absent from the training pairs in
that role gets exactly π, so under a disjoint split every test pair ties and the control falls
to the AUPR of a random ranking. Roles are kept apart: a TF's rate as a target says nothing
about its rate as a regulator. Only ``TrainingData.train`` is read; the validation pairs are
not used (there is nothing to tune or stop early).
"""

from __future__ import annotations

import numpy as np

from grnbench.api import Method, TrainingData, positive
from grnbench.data.universe import PairSet


class DegreePrior(Method):
    name = "degree-prior"
    cheap = True
    supervised = True
    deterministic = True  # no random draw: the same scores for every seed
    description = ("shortcut control (never reads expression): TF's + target's smoothed positive "
                   "rate among the training pairs")
    parameters = {"pseudocount": 2.0}
    allowed = {"pseudocount": positive()}

    def fit(self, data: TrainingData) -> None:
        if data.train is None or len(data.train) == 0:
            raise ValueError("degree-prior is supervised: it needs labelled training pairs")
        n = data.dataset.n_genes
        pairs, labels = data.train.pairs, np.asarray(data.train.labels, dtype=np.float64)
        a = float(self.params["pseudocount"])
        self.base_rate_ = float(labels.mean())
        self.tf_rate_ = self._smoothed(pairs.regulators, labels, n, a)
        self.target_rate_ = self._smoothed(pairs.targets, labels, n, a)

    def _smoothed(self, genes: np.ndarray, labels: np.ndarray, n: int, a: float) -> np.ndarray:
        positives = np.bincount(genes, labels, minlength=n)
        pairs = np.bincount(genes, minlength=n)
        return (positives + a * self.base_rate_) / (pairs + a)

    def score_edges(self, pairs: PairSet) -> np.ndarray:
        return self.tf_rate_[pairs.regulators] + self.target_rate_[pairs.targets]
