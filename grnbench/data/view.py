"""What a method may see of a dataset: everything but the answer key.

A ``DatasetView`` holds copies of the expression, times, series, TF list and steady state of
a ``Dataset`` — never the gold standard and never a reference back to the ``Dataset`` — so a
method's ``fit`` and ``skip`` cannot read a label through the object they are given: not as
an attribute, not through ``vars()``/``__dict__`` (the class has ``__slots__``), not by
pickling it, and not through the arrays (their ``.base`` is a private, read-only copy).
Supervised methods receive their labels only as ``TrainingData.train`` and ``.validation``.

What this cannot stop is a method that walks the interpreter itself (``gc.get_objects()``,
stack frames, a Dask client's ``run``): in-process code can reach anything in its process.
``grnbench.testing.check_method`` closes that gap from the other side: it refits the method
with the gold standard of the test pairs changed and requires identical scores, so a method
whose scores depend on the answer key, by whatever path, fails the check.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from grnbench.data.dataset import Dataset


def _frozen_copy(values: np.ndarray) -> np.ndarray:
    """A read-only view of a private copy: ``setflags(write=True)`` on it raises, because the
    array it views (the copy) is itself read-only, so a method cannot edit shared numbers."""
    own = np.array(values, copy=True)
    own.setflags(write=False)
    return own.view()


@dataclass(frozen=True, slots=True, eq=False)
class DatasetView:
    """The label-free part of a ``Dataset``, with the same attribute names methods read.

    ``content_hash`` hashes only what the view holds (not the gold standard), so it can key a
    method's own caches without saying anything about the labels.
    """

    name: str
    genes: tuple[str, ...]
    expression: np.ndarray
    times: np.ndarray
    series: np.ndarray
    tfs: tuple[str, ...]
    steady_state: np.ndarray | None = None
    gene_index: dict[str, int] = field(init=False, repr=False)
    tf_indices: np.ndarray = field(init=False, repr=False)
    content_hash: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        index = {g: i for i, g in enumerate(self.genes)}
        object.__setattr__(self, "gene_index", index)
        tf_indices = np.array([index[t] for t in self.tfs], dtype=np.int64)
        tf_indices.setflags(write=False)
        object.__setattr__(self, "tf_indices", tf_indices)
        h = hashlib.sha256(repr((self.genes, self.tfs)).encode())
        for arr in (self.expression, self.times, self.series, self.steady_state):
            if arr is not None:
                h.update(np.ascontiguousarray(arr, dtype=np.float64).tobytes())
        object.__setattr__(self, "content_hash", h.hexdigest()[:16])

    @classmethod
    def of(cls, dataset: Dataset | DatasetView) -> DatasetView:
        """The view of ``dataset`` (a view is returned as it is: it holds no labels)."""
        if isinstance(dataset, DatasetView):
            return dataset
        steady = None if dataset.steady_state is None else _frozen_copy(dataset.steady_state)
        return cls(name=str(dataset.name), genes=tuple(str(g) for g in dataset.genes),
                   expression=_frozen_copy(dataset.expression), times=_frozen_copy(dataset.times),
                   series=_frozen_copy(dataset.series), tfs=tuple(str(t) for t in dataset.tfs),
                   steady_state=steady)

    @property
    def n_genes(self) -> int:
        return len(self.genes)

    @property
    def n_samples(self) -> int:
        return int(self.expression.shape[1])

    def series_blocks(self) -> list[np.ndarray]:
        """Column indices of each time series, in time order."""
        return [np.flatnonzero(self.series == s) for s in np.unique(self.series)]

    def min_series_length(self) -> int:
        return min(len(b) for b in self.series_blocks())
