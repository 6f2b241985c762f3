"""Dataset catalogue: every dataset ``--dataset NAME`` accepts, with how to load it.

Entries are cheap descriptions; data are read only when a dataset is loaded. An entry whose
files are not present (e.g. maize before ``grnbench datasets import maize``) says in
``unavailable()`` exactly what to do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from grnbench.dataset import Dataset
from grnbench.errors import UserError

from .dream4 import NETWORKS, load_dream4


@dataclass(frozen=True)
class DatasetEntry:
    name: str
    description: str
    loader: Callable[[], Dataset]
    unavailable: Callable[[], str | None] = lambda: None


CATALOGUE: dict[str, DatasetEntry] = {}


def register(entry: DatasetEntry) -> None:
    CATALOGUE[entry.name] = entry


for _size, _net in NETWORKS:
    register(DatasetEntry(
        f"dream4-{_size}-{_net}",
        f"DREAM4 in-silico size {_size}, network {_net} (time series, shipped)",
        partial(load_dream4, _size, _net),
    ))

DEFAULT_DATASET = "dream4-100-1"


def load_dataset(name: str) -> Dataset:
    if name not in CATALOGUE:
        raise UserError(f"unknown dataset {name!r}; valid datasets: {', '.join(sorted(CATALOGUE))} "
                        "(or give your own files with --expression FILE --gold-standard FILE)")
    entry = CATALOGUE[name]
    reason = entry.unavailable()
    if reason:
        raise UserError(reason)
    return entry.loader()
