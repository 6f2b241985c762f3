"""Recompute metrics from a run folder's saved edge lists, without running any method.

Each edge list carries its pairs' labels, so every metric of the catalogue
(``grnbench.evaluation.catalogue``) is recomputed from the run folder alone (BEELINE's separation
of running and evaluating): a metric added or fixed later applies to old runs. Runs written
before edge lists carried labels fall back to the dataset named in each record, refused if
its content hash changed since the run.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from grnbench.errors import DataError
from grnbench.evaluation.catalogue import compute_metrics
from grnbench.evaluation.metrics import DEFAULT_TOP_K, ScoredPairs
from grnbench.results.records import read_edge_list, read_results


def evaluate_run(run_dir: Path) -> pd.DataFrame:
    """Recompute every score column of ``run_dir``'s results.csv and rewrite it."""
    frame = read_results(run_dir)
    check_rows_complete(Path(run_dir), frame)
    gold_by_dataset: dict[str, frozenset[tuple[str, str]]] = {}
    for i, row in frame.iterrows():
        if row["status"] != "ok" or not row["edges_file"]:
            continue
        edges = labelled_edges(run_dir, row["edges_file"], lambda r=row: _gold(run_dir, r, gold_by_dataset))
        values = compute_metrics(scored_pairs(edges, int(row["top_k"]) or DEFAULT_TOP_K, int(row["seed"])))
        for key, value in values.items():
            frame.at[i, key] = value
    path = Path(run_dir) / "results.csv"
    tmp = path.with_name(f".results.csv.{os.getpid()}.tmp")
    frame.to_csv(tmp, index=False)
    os.replace(tmp, path)  # atomic, like the runner's writes: a killed evaluate leaves the old file
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


def labelled_edges(run_dir: Path, edges_file: str, gold=None) -> pd.DataFrame:
    """A saved edge list (regulator, target, score, label).

    Edge lists of older runs have no ``label`` column: then ``gold`` — a gold standard, or a
    function returning one — supplies it; without ``gold`` such a list is refused.
    """
    path = Path(run_dir) / edges_file
    if not path.is_file():
        raise DataError(path, "edge list named in results.csv is missing; restore it or re-run that method")
    try:
        edges = read_edge_list(path)
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise DataError(path, f"unreadable edge list ({type(exc).__name__}); restore it or re-run that method") from None
    if not {"regulator", "target", "score"} <= set(edges.columns):
        raise DataError(path, "not an edge list (needs regulator, target, score columns); restore it or re-run")
    if "label" in edges.columns:
        return edges
    if gold is None:
        raise DataError(Path(run_dir) / edges_file, "this edge list has no label column (written before grnbench saved labels); re-run")
    pairs = gold() if callable(gold) else gold
    edges["label"] = [int((r, t) in pairs) for r, t in zip(edges["regulator"], edges["target"], strict=True)]
    return edges


def _gold(run_dir: Path, row: pd.Series, cache: dict[str, frozenset[tuple[str, str]]]) -> frozenset[tuple[str, str]]:
    name = str(row["dataset"])
    if name not in cache:
        cache[name] = run_gold_standard(run_dir, name, str(row["dataset_hash"]))
    return cache[name]


def run_gold_standard(run_dir: Path, name: str, expected_hash: str) -> frozenset[tuple[str, str]]:
    """The gold standard a run was scored against, refused if the dataset changed since.

    Only for runs whose edge lists predate the ``label`` column.
    """
    dataset = _dataset_for(run_dir, name)
    if dataset.content_hash != expected_hash:
        raise DataError(run_dir, f"dataset {name} has changed since the run (hash {dataset.content_hash} ≠ {expected_hash}); re-run instead")
    return dataset.gold_standard


def _dataset_for(run_dir: Path, name: str):
    from grnbench.datasets import load_dataset

    manifest = Path(run_dir) / "manifest.json"
    if manifest.is_file():
        info = json.loads(manifest.read_text())
        files = info.get("dataset_files")
        if isinstance(files, dict):  # one own dataset: the run's only dataset
            from grnbench.datasets.user_files import load_user_files

            return load_user_files(files, name)
        for entry in files or []:  # several own datasets (a --config file), beside bundled ones
            from grnbench.datasets.user_files import load_user_files

            dataset = load_user_files(entry)
            if dataset.name == name:
                return dataset
    return load_dataset(name)
