"""Recompute metrics from a run folder's saved edge lists, without running any method.

The labels come from the dataset named in each record (checked against the stored dataset
hash), so a metric change or bug fix can be applied to old runs (BEELINE's separation of
running and evaluating).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from grnbench.datasets import load_dataset
from grnbench.errors import DataError
from grnbench.metrics import evaluate
from grnbench.results import read_edge_list_scores, read_results


def evaluate_run(run_dir: Path) -> pd.DataFrame:
    frame = read_results(run_dir)
    gold_by_dataset: dict[str, frozenset[tuple[str, str]]] = {}
    for i, row in frame.iterrows():
        if row["status"] != "ok" or not row["edges_file"]:
            continue
        name = row["dataset"]
        if name not in gold_by_dataset:
            gold_by_dataset[name] = run_gold_standard(run_dir, name, row["dataset_hash"])
        edges = labelled_edges(run_dir, row["edges_file"], gold_by_dataset[name])
        metrics = evaluate(edges["label"].to_numpy(), edges["score"].to_numpy(), int(row["top_k"]) or 10_000)
        for key, value in metrics.as_dict().items():
            frame.at[i, key] = value
    frame.to_csv(Path(run_dir) / "results.csv", index=False)
    return frame


def run_gold_standard(run_dir: Path, name: str, expected_hash: str) -> frozenset[tuple[str, str]]:
    """The gold standard a run was scored against, refused if the dataset changed since.

    Shared by ``grnbench evaluate`` and the report's curves and network analysis, so every
    label of a saved edge list comes from one place.
    """
    dataset = _dataset_for(run_dir, name)
    if dataset.content_hash != expected_hash:
        raise DataError(run_dir, f"dataset {name} has changed since the run (hash {dataset.content_hash} ≠ {expected_hash}); re-run instead")
    return dataset.gold_standard


def labelled_edges(run_dir: Path, edges_file: str, gold: frozenset[tuple[str, str]]) -> pd.DataFrame:
    """A saved edge list (regulator, target, score) with a 0/1 ``label`` column from ``gold``."""
    edges = read_edge_list_scores(Path(run_dir) / edges_file)
    edges["label"] = [int((r, t) in gold) for r, t in zip(edges["regulator"], edges["target"], strict=True)]
    return edges


def _dataset_for(run_dir: Path, name: str):
    import json

    manifest = Path(run_dir) / "manifest.json"
    if manifest.is_file():
        info = json.loads(manifest.read_text())
        files = info.get("dataset_files")
        if files:
            from grnbench.datasets.user_files import load_user_files

            return load_user_files(files, name)
    return load_dataset(name)
