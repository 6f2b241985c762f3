"""Recompute metrics from a run folder's saved edge lists, without running any method.

Each edge list carries its pairs' labels, so every metric of the catalogue
(``grnbench.evaluation.catalogue``) is recomputed from the run folder alone (BEELINE's separation
of running and evaluating): a metric added or fixed later applies to old runs. Runs written
before edge lists carried labels fall back to the dataset named in each record, refused if
its content hash changed since the run.

Every edge list is read through ``task_edges``, which ``grnbench evaluate`` and the report share:
a list that lost rows, repeats a pair, holds a non-finite score or labels that disagree with
the gold standard is refused with one line naming the file, never scored
(``check_edge_list``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from grnbench.errors import DataError, UserError
from grnbench.evaluation.catalogue import compute_metrics
from grnbench.evaluation.metrics import DEFAULT_TOP_K, ScoredPairs
from grnbench.execution.manifest import read_manifest
from grnbench.results.records import read_edge_list, read_results, write_csv_atomically

if TYPE_CHECKING:
    from grnbench.data.dataset import Dataset
    from grnbench.data.universe import EdgeUniverse

#: the fix every damaged edge list gets
RESTORE = "restore it or re-run that method"


def evaluate_run(run_dir: Path, notes: list[str] | None = None) -> pd.DataFrame:
    """Recompute every score column of ``run_dir``'s results.csv and rewrite it.

    Every edge list is checked (``task_edges``) before anything is written, so a damaged one
    leaves results.csv as it was. ``notes`` receives one line per dataset whose test pairs
    could not be rebuilt (the dataset changed or is gone): their lists were checked on their
    own (rows, duplicates, scores, labels 0/1) but not against the gold standard."""
    run_dir = Path(run_dir)
    frame = read_results(run_dir)
    check_rows_complete(run_dir, frame)
    references = TaskReferences(run_dir)
    for i, row in frame.iterrows():
        if row["status"] != "ok" or not row["edges_file"]:
            continue
        gold = lambda r=row: references.dataset(str(r["dataset"]), str(r["dataset_hash"])).gold_standard  # noqa: E731
        edges = task_edges(run_dir, row, references, gold)
        values = compute_metrics(scored_pairs(edges, int(row["top_k"]) or DEFAULT_TOP_K, int(row["seed"])))
        for key, value in values.items():
            frame.at[i, key] = value
    if notes is not None:
        notes.extend(references.unchecked_notes())
    write_csv_atomically(frame, run_dir / "results.csv")  # a killed evaluate leaves the old file
    return frame


def check_rows_complete(run_dir: Path, frame: pd.DataFrame) -> None:
    """Refuse a results.csv that lost rows (cut at a row boundary, say): every edge list in
    ``edges/`` belongs to a row, and rewriting the file would make the loss permanent."""
    edges_dir = run_dir / "edges"
    if not edges_dir.is_dir():
        return
    named = {Path(str(f)).name for f in frame.get("edges_file", pd.Series(dtype=str)).dropna() if str(f)}
    orphans = sorted(p.name for p in edges_dir.glob("*.csv") if p.name not in named)
    if orphans:
        raise DataError(run_dir / "results.csv", f"has no row for {len(orphans)} saved edge list(s), e.g. edges/{orphans[0]}: "
                                                 "the file lost rows; restore it or re-run those methods (nothing was rewritten)")


def scored_pairs(edges: pd.DataFrame, top_k: int, seed: int) -> ScoredPairs:
    """A labelled edge list as the metric catalogue's input (extra columns passed along)."""
    columns = {c: edges[c].to_numpy() for c in edges.columns if c not in ("score", "label")}
    return ScoredPairs(edges["label"].to_numpy(np.int8), edges["score"].to_numpy(np.float64), top_k, seed, columns)


# ---------------------------------------------------------------- the test pairs of a task


@dataclass(frozen=True)
class TestPairs:
    """A task's test pairs, rebuilt from its dataset and the run's settings, with their
    gold-standard labels: what its saved edge list must hold, one row each."""

    __test__ = False  # not a pytest class

    regulators: np.ndarray
    targets: np.ndarray
    labels: np.ndarray
    dataset: str


class TaskReferences:
    """The datasets and test pairs of one run folder's tasks, rebuilt once each.

    The split is a pure function of the dataset, the protocol repeat, the run seed, the split
    kind and the folds (``grnbench.execution.tasks.task_trial``), all saved in results.csv and
    manifest.json, so a task's test pairs can be rebuilt without running anything. Where they
    cannot (the dataset is gone or changed, the manifest is missing), ``test_pairs`` says why
    and the edge list is checked on its own."""

    def __init__(self, run_dir: Path, manifest: Mapping[str, Any] | None = None):
        self.run_dir = Path(run_dir)
        self.manifest = read_manifest(self.run_dir) if manifest is None else manifest
        self._datasets: dict[str, Dataset | UserError | OSError] = {}
        self._universes: dict[str, EdgeUniverse] = {}
        self._pairs: dict[tuple, TestPairs | str] = {}
        #: dataset → why its test pairs could not be rebuilt
        self.unchecked: dict[str, str] = {}

    def dataset(self, name: str, expected_hash: str) -> Dataset:
        """The dataset ``name`` of the run; DataError if it cannot be loaded or has changed."""
        if name not in self._datasets:
            try:
                dataset = _dataset_for(self.manifest, name)
                if dataset.content_hash != expected_hash:
                    raise DataError(self.run_dir, f"dataset {name} has changed since the run "
                                                  f"(hash {dataset.content_hash} ≠ {expected_hash}); re-run instead")
                self._datasets[name] = dataset
            except (UserError, OSError) as exc:
                self._datasets[name] = exc
        found = self._datasets[name]
        if isinstance(found, Exception):
            raise found
        return found

    def test_pairs(self, row: pd.Series) -> TestPairs | str:
        """The test pairs of ``row``'s task, or the reason they cannot be rebuilt."""
        from grnbench.data.folds import resolve_folds
        from grnbench.data.protocols import derive_seed, make_trial, parse_protocols
        from grnbench.data.universe import EdgeUniverse

        name, split = str(row["dataset"]), row.get("split")
        key = (name, str(row["protocol"]), int(row["repeat"]), str(split))
        if key in self._pairs:
            return self._pairs[key]
        try:
            if "seed" not in self.manifest:
                raise UserError("the run folder has no manifest.json with the run's seed")
            if not isinstance(split, str) or not split:
                raise UserError("results.csv does not say which split the run used")
            dataset = self.dataset(name, str(row["dataset_hash"]))
            spec = parse_protocols(str(row["protocol"]))[0]
            run_seed = int(self.manifest["seed"])
            if derive_seed(run_seed, spec.name, int(row["repeat"])) != int(row["seed"]):
                raise UserError(f"manifest.json's seed {run_seed} is not the seed this row was run with")
            if name not in self._universes:
                self._universes[name] = EdgeUniverse.from_dataset(dataset)
            universe = self._universes[name]
            folds = self.manifest.get("folds", 0)
            folds = resolve_folds(None if folds == "auto" else int(folds), universe, split)
            test = make_trial(universe, spec, int(row["repeat"]), run_seed, split, folds).split.test
            regulators, targets = universe.names(test)
            found: TestPairs | str = TestPairs(regulators, targets, np.asarray(universe.labels[test]), name)
        except (UserError, OSError, ValueError, TypeError, KeyError) as exc:
            found = str(exc)
            self.unchecked.setdefault(name, found)
        self._pairs[key] = found
        return found

    def unchecked_notes(self) -> list[str]:
        """One line per dataset whose edge lists were checked without its gold standard."""
        return [f"note: edge lists of {name} not checked against its gold standard and split ({reason})"
                for name, reason in self.unchecked.items()]


# ---------------------------------------------------------------- reading and checking


def task_edges(run_dir: Path, row: pd.Series, references: TaskReferences | None = None,
               gold: frozenset[tuple[str, str]] | Callable[[], frozenset[tuple[str, str]]] | None = None) -> pd.DataFrame:
    """The checked, labelled edge list of ``row``'s task: the one way ``grnbench evaluate``
    and the report read an edge list back.

    ``references`` rebuilds the task's test pairs to check the list against (``check_edge_list``);
    without it, or where they cannot be rebuilt, the list is checked against the row's
    ``n_test`` alone. ``gold`` labels the lists of runs written before labels were saved."""
    reference = references.test_pairs(row) if references is not None else None
    edges = labelled_edges(run_dir, str(row["edges_file"]), gold)
    expected = reference if isinstance(reference, TestPairs) else _count(row.get("n_test"))
    return check_edge_list(Path(run_dir) / str(row["edges_file"]), edges, expected)


def _count(value: object) -> int | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return int(number) if np.isfinite(number) and number > 0 else None


def labelled_edges(run_dir: Path, edges_file: str, gold=None) -> pd.DataFrame:
    """A saved edge list (regulator, target, score, label), read but not yet checked.

    Edge lists of older runs have no ``label`` column: then ``gold`` — a gold standard, or a
    function returning one — supplies it; without ``gold`` such a list is refused.
    """
    path = Path(run_dir) / edges_file
    if not path.is_file():
        raise DataError(path, "edge list named in results.csv is missing; restore it or re-run that method")
    try:
        edges = read_edge_list(path)
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        reason = f"{type(exc).__name__}: {exc}".replace("\n", " ").strip()
        raise DataError(path, f"unreadable edge list ({reason}); {RESTORE}") from None
    if not {"regulator", "target", "score"} <= set(edges.columns):
        raise DataError(path, "not an edge list (needs regulator, target, score columns); restore it or re-run")
    if "label" in edges.columns:
        return edges
    if gold is None:
        raise DataError(Path(run_dir) / edges_file, "this edge list has no label column (written before grnbench saved labels); re-run")
    pairs = gold() if callable(gold) else gold
    edges["label"] = [int((r, t) in pairs) for r, t in zip(edges["regulator"], edges["target"], strict=True)]
    return edges


def check_edge_list(path: Path, edges: pd.DataFrame, expected: TestPairs | int | None) -> pd.DataFrame:
    """``edges`` (as read from ``path``) if it is the whole, untouched list of one task's test
    pairs; else a ``DataError`` naming the file and the first bad line.

    Checked: every field filled (a file cut mid-line), finite scores, labels 0 or 1, no pair
    twice (each would count twice in AUPR), one row per test pair — the rebuilt ``TestPairs``
    when given, else their number (the row's ``n_test``) — and, against ``TestPairs``, that
    every pair is a test pair with the gold standard's label.

    A label that disagrees with the gold standard is refused rather than recomputed: the file
    was edited or damaged, so its scores are no more trustworthy than its labels, and taking
    the gold standard's labels would bless such a file with metrics the run never had. An
    untouched folder passes every check, so ``grnbench evaluate`` still reproduces a run
    exactly; a touched one gives no numbers at all."""
    n = len(edges)
    total = len(expected.labels) if isinstance(expected, TestPairs) else expected
    covers = f", so it covers {n} of {total} test pairs" if total is not None else ""
    incomplete = edges.isna().any(axis=1).to_numpy()
    if incomplete.any():
        at = int(np.argmax(incomplete))
        empty = ", ".join(str(c) for c in edges.columns[edges.iloc[at].isna().to_numpy()])
        where = "its last line" if at == n - 1 else "line"
        raise DataError(path, f"{where} {at + 2} is incomplete (no {empty}): the file was cut short or damaged"
                              f"{covers}; {RESTORE}")
    scores = edges["score"]
    values = scores.to_numpy(np.float64) if pd.api.types.is_float_dtype(scores) or pd.api.types.is_integer_dtype(scores) \
        else pd.to_numeric(scores, errors="coerce").to_numpy(np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        at = int(np.argmax(bad))
        raise DataError(path, f"line {at + 2}: score {str(scores.iloc[at])!r} is not a finite number; {RESTORE}")
    edges["score"] = values
    labels = pd.to_numeric(edges["label"], errors="coerce").to_numpy(np.float64)
    bad = ~np.isin(labels, (0.0, 1.0))
    if bad.any():
        at = int(np.argmax(bad))
        raise DataError(path, f"line {at + 2}: label {str(edges['label'].iloc[at])!r} is not 0 or 1; {RESTORE}")
    edges["label"] = labels.astype(np.int8)
    twice = edges.duplicated(["regulator", "target"], keep=False).to_numpy()
    if twice.any():
        first = int(np.argmax(twice))
        pair = edges[["regulator", "target"]].iloc[first]
        again = np.flatnonzero(twice & (edges["regulator"].to_numpy() == pair["regulator"])
                               & (edges["target"].to_numpy() == pair["target"]))[1]
        raise DataError(path, f"pair ({pair['regulator']}, {pair['target']}) is listed twice (lines {first + 2} and "
                              f"{again + 2}), which would count it twice in every metric; {RESTORE}")
    if total is not None and n != total:
        what = f"covers {n} of {total} test pairs" if n < total else f"has {n} rows for {total} test pairs"
        raise DataError(path, f"{what} of its task: rows were lost or added; {RESTORE}")
    if isinstance(expected, TestPairs):
        _check_against(path, edges, expected)
    return edges


def _check_against(path: Path, edges: pd.DataFrame, reference: TestPairs) -> None:
    """Every row a test pair of the task, labelled as the gold standard labels it (the counts
    already match and no pair repeats, so the two sets are then equal)."""
    index = pd.MultiIndex.from_arrays([reference.regulators.astype(str), reference.targets.astype(str)])
    at = index.get_indexer(pd.MultiIndex.from_arrays([edges["regulator"].astype(str), edges["target"].astype(str)]))
    if (at < 0).any():
        line = int(np.argmax(at < 0))
        raise DataError(path, f"line {line + 2}: ({edges['regulator'].iloc[line]}, {edges['target'].iloc[line]}) is not "
                              f"a test pair of this task; {RESTORE}")
    wrong = edges["label"].to_numpy() != reference.labels[at]
    if wrong.any():
        line = int(np.argmax(wrong))
        raise DataError(path, f"line {line + 2}: ({edges['regulator'].iloc[line]}, {edges['target'].iloc[line]}) is "
                              f"labelled {int(edges['label'].iloc[line])} but the gold standard of {reference.dataset} "
                              f"says {int(reference.labels[at[line]])}: the file was edited or damaged; {RESTORE}")


# ---------------------------------------------------------------- the run's gold standard


def run_gold_standard(run_dir: Path, name: str, expected_hash: str) -> frozenset[tuple[str, str]]:
    """The gold standard a run was scored against, refused if the dataset changed since.

    Only for runs whose edge lists predate the ``label`` column.
    """
    return TaskReferences(run_dir).dataset(name, expected_hash).gold_standard


def _dataset_for(manifest: Mapping[str, Any], name: str) -> Dataset:
    """The dataset ``name`` as the run loaded it: the own files its manifest names, else the
    bundled dataset of that name."""
    from grnbench.datasets import load_dataset

    files = manifest.get("dataset_files")
    if isinstance(files, dict):  # one own dataset: the run's only dataset
        from grnbench.datasets.user_files import load_user_files

        return load_user_files(files, name)
    for entry in files or []:  # several own datasets (a --config file), beside bundled ones
        from grnbench.datasets.user_files import load_user_files

        dataset = load_user_files(entry)
        if dataset.name == name:
            return dataset
    return load_dataset(name)
