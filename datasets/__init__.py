"""Dataset catalogue: every dataset ``--dataset NAME`` accepts, with how to load it.

Entries are cheap descriptions; data are read only when a dataset is loaded. An entry whose
files are not present (e.g. maize before ``grnbench datasets import maize``) says in
``unavailable()`` exactly what to do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from grnbench.data.dataset import Dataset
from grnbench.data.universe import dataset_summary
from grnbench.errors import UserError

from .dream4 import NETWORKS, load_dream4
from .ecoli import load_ecoli
from .maize import load_maize, maize_unavailable
from .simulate import sim_dataset


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

register(DatasetEntry(
    "ecoli-cold",
    "real E. coli cold stress (3 series × 8 points), DREAM5 net-3 gold standard: 1,034 genes, 135 TFs (shipped)",
    partial(load_ecoli, False),
))
register(DatasetEntry(
    "ecoli-cold-full",
    "as ecoli-cold with all 3,959 measured genes; unlisted pairs count as negatives (shipped)",
    partial(load_ecoli, True),
))
for _name, _top in (("maize1", 500), ("maize2", 1000)):
    register(DatasetEntry(
        _name,
        f"PSGRN maize-{_name[-1]}: seed time course (107 points), genes of the top {_top} ChIP-seq edges (user-imported)",
        partial(load_maize, _name),
        partial(maize_unavailable, _name),
    ))
register(DatasetEntry(
    "maize1-sim",
    "SIMULATED maize-1-shaped data: 507 genes, 101 TFs, 107 points, Hill-kinetics SDE (generated at first use)",
    partial(sim_dataset, "maize1-sim"),
))
register(DatasetEntry(
    "maize2-sim",
    "SIMULATED maize-2-shaped data: 1,000 genes, 101 TFs, 107 points, Hill-kinetics SDE (generated at first use)",
    partial(sim_dataset, "maize2-sim"),
))

DEFAULT_DATASET = "dream4-100-1"

#: named groups of datasets ``--dataset`` accepts beside single names (one run folder, one report)
SUITES: dict[str, tuple[str, ...]] = {
    "dream4-10": tuple(f"dream4-10-{n}" for s, n in NETWORKS if s == 10),
    "dream4-100": tuple(f"dream4-100-{n}" for s, n in NETWORKS if s == 100),
    "real": ("ecoli-cold",),
}


def expand_datasets(text: str) -> list[str]:
    """``dream4-10,ecoli-cold`` → the dataset names, suites expanded, each name once, in order."""
    names: list[str] = []
    for token in (t.strip() for t in text.split(",")):
        if not token:
            continue
        members = SUITES.get(token, (token,))
        for name in members:
            if name not in CATALOGUE:
                raise UserError(f"unknown dataset {name!r}; valid datasets: {', '.join(sorted(CATALOGUE))}; "
                                f"suites: {', '.join(SUITES)} "
                                "(or give your own files with --expression FILE --gold-standard FILE)")
            if name not in names:
                names.append(name)
    if not names:
        raise UserError("--dataset is empty; give a dataset name, a comma list or a suite "
                        f"({', '.join(SUITES)})")
    return names


def load_dataset(name: str) -> Dataset:
    if name not in CATALOGUE:
        raise UserError(f"unknown dataset {name!r}; valid datasets: {', '.join(sorted(CATALOGUE))} "
                        "(or give your own files with --expression FILE --gold-standard FILE)")
    entry = CATALOGUE[name]
    reason = entry.unavailable()
    if reason:
        raise UserError(reason)
    return entry.loader()


def _time_points(dataset: Dataset) -> str:
    lengths = sorted({len(b) for b in dataset.series_blocks()})
    n_series = len(dataset.series_blocks())
    points = "/".join(str(n) for n in lengths)
    return points if n_series == 1 else f"{n_series} series × {points}"


def listing() -> list[str]:
    """``grnbench datasets list``: one line per dataset with its figures (loads each one)."""
    lines = [f"{'name':<16} {'genes':>6} {'TFs':>5} {'time points':>15} {'pairs':>8} {'positives':>9}  source / licence"]
    for name in sorted(CATALOGUE):
        entry = CATALOGUE[name]
        if entry.unavailable() is not None:
            lines.append(f"{name:<16} {'-':>6} {'-':>5} {'-':>15} {'-':>8} {'-':>9}  not imported yet: "
                         "grnbench datasets import maize --expression FILE --grn FILE "
                         f"(grnbench datasets show {name} says which files)")
            continue
        ds = entry.loader()
        s = dataset_summary(ds)
        lines.append(f"{name:<16} {s['genes']:>6} {s['tfs']:>5} {_time_points(ds):>15} {s['pairs']:>8} "
                     f"{s['positives']:>9}  {_short(ds.source)} / {_short(ds.licence)}")
    lines += ["", "suites (--dataset SUITE runs every member into one run folder and one report):"]
    lines += [f"{name:<16} {', '.join(members)}" for name, members in SUITES.items()]
    return lines


def show_lines(name: str) -> list[str]:
    """``grnbench datasets show NAME``: every figure and the provenance of one dataset; for a
    suite, its members one after another."""
    if name in SUITES:
        lines = [f"suite {name}: {', '.join(SUITES[name])}"]
        for member in SUITES[name]:
            lines += ["", *show_lines(member)]
        return lines
    ds = load_dataset(name)
    s = dataset_summary(ds)
    rows = [("name", s["name"]), ("genes", s["genes"]), ("tfs", s["tfs"]),
            ("time points", _time_points(ds)), ("samples", s["samples"]), ("pairs", s["pairs"]),
            ("positives", f"{s['positives']} ({s['positives'] / s['pairs']:.2%})"),
            ("source", s["source"]), ("licence", s["licence"]), ("hash", s["hash"])]
    if ds.description:
        rows.append(("about", ds.description))
    return [f"{key + ':':<13} {value}" for key, value in rows]


def _short(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
