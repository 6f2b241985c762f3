"""The result record: one per (method, dataset, protocol, repeat, seed) task.

One definition used by the runner, the cache, ``grnbench evaluate`` and the report, so every
table is built from the same columns. Counts are stored beside ratios.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np
import pandas as pd

from grnbench.metrics import EdgeMetrics

STATUSES = ("ok", "failed", "timeout", "oom", "skipped")


@dataclass
class ResultRecord:
    method: str
    dataset: str
    dataset_hash: str
    protocol: str
    repeat: int
    seed: int
    split: str
    parameters: str
    status: str = "ok"
    error: str = ""
    n_train: int = 0
    n_validation: int = 0
    n_test: int = 0
    n_pairs: int = 0
    n_positives: int = 0
    positive_rate: float = float("nan")
    aupr: float = float("nan")
    aupr_ratio: float = float("nan")
    auroc: float = float("nan")
    early_precision: float = float("nan")
    early_precision_ratio: float = float("nan")
    top_k: int = 0
    threshold: float = float("nan")
    tp: int = 0
    fp: int = 0
    tn: int = 0
    fn: int = 0
    precision: float = float("nan")
    recall: float = float("nan")
    f1: float = float("nan")
    fit_wall_s: float = float("nan")
    fit_cpu_s: float = float("nan")
    score_wall_s: float = float("nan")
    score_cpu_s: float = float("nan")
    peak_memory_mb: float = float("nan")
    # the split's parts and Park & Marcotte's classes of the test pairs (pair_classes.py)
    n_dropped: int = 0
    positives_train: int = 0
    positives_validation: int = 0
    positive_rate_train: float = float("nan")
    positive_rate_validation: float = float("nan")
    n_test_c1: int = 0
    n_test_c2: int = 0
    n_test_c3: int = 0
    positives_c1: int = 0
    positives_c2: int = 0
    positives_c3: int = 0
    aupr_c1: float = float("nan")
    aupr_c2: float = float("nan")
    aupr_c3: float = float("nan")
    edges_file: str = ""
    cached: bool = field(default=False)

    def set_metrics(self, metrics: EdgeMetrics) -> None:
        for key, value in metrics.as_dict().items():
            setattr(self, key, value)

    def set_figures(self, figures: dict[str, float | int]) -> None:
        for key, value in figures.items():
            setattr(self, key, value)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


RECORD_COLUMNS = [f.name for f in fields(ResultRecord)]


def records_frame(records: list[ResultRecord]) -> pd.DataFrame:
    return pd.DataFrame([r.as_dict() for r in records], columns=RECORD_COLUMNS)


def write_results(records: list[ResultRecord], out_dir: Path) -> Path:
    path = out_dir / "results.csv"
    records_frame(records).to_csv(path, index=False)
    return path


def read_results(run_dir: Path) -> pd.DataFrame:
    path = Path(run_dir) / "results.csv"
    if not path.is_file():
        from grnbench.errors import DataError

        raise DataError(path, "no results.csv here; pass the folder a `grnbench run --out DIR` wrote")
    frame = pd.read_csv(path, keep_default_na=False, na_values=[""])
    frame["error"] = frame["error"].fillna("")
    frame["edges_file"] = frame["edges_file"].fillna("")
    return frame


def summarise(frame: pd.DataFrame) -> pd.DataFrame:
    """Mean and sd per (method, dataset, protocol) over the repeats that finished."""
    ok = frame[frame["status"] == "ok"]
    keys = ["method", "dataset", "protocol"]
    agg = ok.groupby(keys, sort=False).agg(
        repeats=("aupr", "size"), aupr=("aupr", "mean"), aupr_sd=("aupr", "std"),
        aupr_ratio=("aupr_ratio", "mean"), auroc=("auroc", "mean"), auroc_sd=("auroc", "std"),
        early_precision=("early_precision", "mean"), fit_wall_s=("fit_wall_s", "mean"),
        score_wall_s=("score_wall_s", "mean"), peak_memory_mb=("peak_memory_mb", "max"),
    ).reset_index()
    failed = frame[frame["status"] != "ok"].groupby(keys, sort=False)["status"].agg(
        lambda s: ",".join(sorted(set(s)))).rename("problems").reset_index()
    out = agg.merge(failed, on=keys, how="outer")
    out["problems"] = out["problems"].fillna("")
    out["repeats"] = out["repeats"].fillna(0).astype(int)
    return out.sort_values(["dataset", "protocol", "aupr"], ascending=[True, True, False],
                           na_position="last").reset_index(drop=True)


def write_edge_list(path: Path, regulators: np.ndarray, targets: np.ndarray, scores: np.ndarray) -> None:
    """One ranked edge list format for every method: regulator, target, score (descending)."""
    order = np.argsort(-scores, kind="stable")
    pd.DataFrame({"regulator": regulators[order], "target": targets[order],
                  "score": scores[order]}).to_csv(path, index=False, float_format="%.10g")


def read_edge_list_scores(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"regulator": str, "target": str})


def write_json(path: Path, payload: dict) -> None:
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
