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
    labels_by_dataset: dict[str, dict[tuple[str, str], int]] = {}
    for i, row in frame.iterrows():
        if row["status"] != "ok" or not row["edges_file"]:
            continue
        name = row["dataset"]
        if name not in labels_by_dataset:
            dataset = _dataset_for(run_dir, name)
            if dataset.content_hash != row["dataset_hash"]:
                raise DataError(run_dir, f"dataset {name} has changed since the run (hash {dataset.content_hash} ≠ {row['dataset_hash']}); re-run instead")
            labels_by_dataset[name] = {edge: 1 for edge in dataset.gold_standard}
        gold = labels_by_dataset[name]
        edges = read_edge_list_scores(Path(run_dir) / row["edges_file"])
        labels = [gold.get((r, t), 0) for r, t in zip(edges["regulator"], edges["target"], strict=True)]
        metrics = evaluate(pd.Series(labels).to_numpy(), edges["score"].to_numpy(), int(row["top_k"]) or 10_000)
        for key, value in metrics.as_dict().items():
            frame.at[i, key] = value
    frame.to_csv(Path(run_dir) / "results.csv", index=False)
    return frame


def _dataset_for(run_dir: Path, name: str):
    import json

    manifest = Path(run_dir) / "manifest.json"
    if manifest.is_file():
        info = json.loads(manifest.read_text())
        files = info.get("dataset_files")
        if files:
            from grnbench.datasets.tables import load_table_dataset

            return load_table_dataset(files["expression"], files["gold_standard"], files.get("tfs"), name)
    return load_dataset(name)
