"""The result record: one per (method, dataset, protocol, repeat, seed) task.

One definition used by the runner, the cache, ``grnbench evaluate`` and the report, so every
table is built from the same columns. Counts are stored beside ratios.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np
import pandas as pd

from grnbench.evaluation.catalogue import headline, record_columns
from grnbench.evaluation.statistics import interval_over_tasks

STATUSES = ("ok", "failed", "timeout", "oom", "skipped")


def _with_catalogue_columns(cls: type) -> type:
    """Declare one field per metric-catalogue column before ``edges_file``, so a metric added
    to the catalogue becomes a record attribute and a results.csv column with no edit here."""
    declared = dict(cls.__annotations__)
    annotations: dict[str, object] = {}
    for name, kind in declared.items():
        if name == "edges_file":
            for c in record_columns():
                if c.name in declared:
                    raise TypeError(f"ResultRecord declares {c.name!r}, which the metric catalogue owns")
                annotations[c.name] = c.dtype.__name__
                setattr(cls, c.name, c.default)
        annotations[name] = kind
    cls.__annotations__ = annotations
    return cls


@dataclass
@_with_catalogue_columns
class ResultRecord:
    """One task's identity, status and counts; its metric and cost columns come from
    ``grnbench.evaluation.catalogue`` (``record.aupr``, ``record.fit_wall_s``, ...)."""

    method: str
    dataset: str
    dataset_hash: str
    protocol: str
    repeat: int
    seed: int
    split: str
    parameters: str
    #: the seed the method's fit received (model initialisation); the split is fixed by ``seed``
    init_seed: int = 0
    status: str = "ok"
    error: str = ""
    n_train: int = 0
    n_validation: int = 0
    n_test: int = 0
    # the split's parts (grnbench.evaluation.pair_classes.split_figures)
    n_dropped: int = 0
    positives_train: int = 0
    positives_validation: int = 0
    positive_rate_train: float = float("nan")
    positive_rate_validation: float = float("nan")
    edges_file: str = ""
    #: where the method ran: cpu, or gpu:<name> for deep methods on --device gpu/auto
    device: str = "cpu"
    #: "reference" (the methods' own schedules) or "quick" (capped, not the reference schedule)
    profile: str = "reference"
    #: threads the task ran with at the end, and every count it ran with in order ("1,2": it
    #: took cores other tasks freed, ``grnbench.execution.plan.freed_core_offers``); how a row
    #: was computed, not what: never part of the cache key or the parameters
    threads: int = 0
    thread_history: str = ""
    cached: bool = field(default=False)

    def set_metrics(self, values: Mapping[str, float | int]) -> None:
        """Store catalogue columns (``compute_metrics``'s result) on the record."""
        for key, value in values.items():
            setattr(self, key, value)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


RECORD_COLUMNS = [f.name for f in fields(ResultRecord)]


def records_frame(records: list[ResultRecord]) -> pd.DataFrame:
    return pd.DataFrame([r.as_dict() for r in records], columns=RECORD_COLUMNS)


def write_results(records: list[ResultRecord], out_dir: Path) -> Path:
    return write_csv_atomically(records_frame(records), Path(out_dir) / "results.csv")


def write_csv_atomically(frame: pd.DataFrame, path: Path) -> Path:
    """Write atomically (temp file + rename): a run killed mid-write leaves the previous file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        frame.to_csv(tmp, index=False)
        os.replace(tmp, path)
    except OSError as exc:
        try:
            tmp.unlink(missing_ok=True)  # never leave a half-written temp file behind
        except OSError:
            pass
        from grnbench.errors import cannot_write

        raise cannot_write(path, exc) from None
    return path


#: columns without which a results.csv cannot be a run's results
CORE_COLUMNS = ("method", "dataset", "protocol", "repeat", "status")


def read_results(run_dir: Path) -> pd.DataFrame:
    """The rows of ``RUN_DIR/results.csv``; a missing, truncated or unreadable file is a
    one-line ``DataError`` (never rewritten over by ``evaluate`` or a re-run)."""
    from grnbench.errors import DataError

    path = Path(run_dir) / "results.csv"
    if not path.is_file():
        raise DataError(path, "no results.csv here; pass the folder a `grnbench run --out DIR` wrote")
    _check_complete(path)
    try:
        frame = pd.read_csv(path, keep_default_na=False, na_values=[""])
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise DataError(path, f"unreadable ({type(exc).__name__}: {exc})".replace("\n", " ")) from None
    frame["error"] = frame["error"].fillna("")
    frame["edges_file"] = frame["edges_file"].fillna("")
    # runs written before a column existed: the seed the method got was the trial seed, and
    # intervals are missing until `grnbench evaluate` recomputes them
    if "init_seed" not in frame.columns:
        frame["init_seed"] = frame["seed"]
    for column in RECORD_COLUMNS:
        if column not in frame.columns:
            frame[column] = float("nan")
    return frame


def _check_complete(path: Path) -> None:
    """Every row has every column and a known status: a cut-off file fails here, not later."""
    import csv

    from grnbench.errors import DataError

    try:
        with open(path, newline="", encoding="utf-8") as handle:
            rows = csv.reader(handle)
            header = next(rows, None)
            if not header or any(c not in header for c in CORE_COLUMNS):
                raise DataError(path, "not a grnbench results file (missing columns "
                                f"{', '.join(c for c in CORE_COLUMNS if not header or c not in header)}); "
                                "restore it or re-run")
            status_at = header.index("status")
            for number, row in enumerate(rows, start=2):
                if len(row) != len(header) or row[status_at] not in STATUSES:
                    raise DataError(path, f"truncated or damaged at line {number} ({len(row)} of {len(header)} "
                                          "fields); restore it or re-run the methods it held")
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DataError(path, f"unreadable ({type(exc).__name__}: {exc})") from None


#: the problem a finished task has when every test pair got the same score
CONSTANT_SCORES = "constant scores"


def has_constant_scores(frame: pd.DataFrame) -> pd.Series:
    """Finished rows whose test pairs all got one score: their metrics are those of a random
    ranking by construction (a method that learned nothing, or settings too small to fit),
    which a table must say rather than let pass for a result."""
    if "distinct_scores" not in frame:  # results.csv files written before the column
        return pd.Series(False, index=frame.index)
    return (frame["status"] == "ok") & (pd.to_numeric(frame["distinct_scores"], errors="coerce") == 1)


def summarise(frame: pd.DataFrame) -> pd.DataFrame:
    """Per (method, dataset, protocol), over the repeats that finished: each headline column of
    the metric catalogue (mean, with ``<name>_sd``; or max), the repeats and any problems (failed,
    timeout or oom tasks, and finished ones with constant scores)."""
    from grnbench.evaluation.catalogue import with_derived

    frame = with_derived(frame)
    ok = frame[frame["status"] == "ok"]
    keys = ["method", "dataset", "protocol"]
    spec: dict[str, tuple[str, str]] = {"repeats": ("status", "size")}
    for c in headline():
        spec[c.name] = (c.name, c.aggregate)
        if c.aggregate == "mean":
            spec[f"{c.name}_sd"] = (c.name, "std")
    agg = ok.groupby(keys, sort=False).agg(**spec).reset_index()
    flagged = frame["status"].where(frame["status"] != "ok", "").mask(has_constant_scores(frame), CONSTANT_SCORES)
    failed = flagged[flagged != ""].groupby([frame[k] for k in keys], sort=False).agg(
        lambda s: ",".join(sorted(set(s)))).rename("problems").reset_index()
    bounds = {}
    for key, group in ok.groupby(keys, sort=False):
        low, high, _ = interval_over_tasks(group["aupr"].to_numpy(float), group["aupr_ci_low"].to_numpy(float),
                                           group["aupr_ci_high"].to_numpy(float), group["repeat"].to_numpy())
        bounds[key] = f"[{low:.3f}, {high:.3f}]" if np.isfinite(low) else "-"
    agg["aupr_ci"] = [bounds.get(tuple(k), "-") for k in agg[keys].itertuples(index=False)]
    out = agg.merge(failed, on=keys, how="outer")
    out["problems"] = out["problems"].fillna("")
    out["repeats"] = out["repeats"].fillna(0).astype(int)
    first = headline()[0].name
    return out.sort_values(["dataset", "protocol", first], ascending=[True, True, False],
                           na_position="last").reset_index(drop=True)


def write_edge_list(path: Path, regulators: np.ndarray, targets: np.ndarray, scores: np.ndarray,
                    labels: np.ndarray, extra: Mapping[str, np.ndarray] | None = None) -> None:
    """One ranked edge list format for every method: regulator, target, score (descending),
    label (0/1 from the gold standard), then any per-pair columns of the metric catalogue
    (``extra``). The label travels with the scores so that ``grnbench evaluate`` and the report
    never reload the dataset (BEELINE's stage hand-off)."""
    order = np.argsort(-scores, kind="stable")
    columns = {"regulator": regulators[order], "target": targets[order], "score": scores[order],
               "label": np.asarray(labels, dtype=np.int8)[order]}
    columns.update((name, np.asarray(values)[order]) for name, values in (extra or {}).items())
    # no float_format: pandas writes the shortest text that reads back as the same float64, so
    # ``grnbench evaluate`` sees exactly the scores the run saw (near-ties stay untied)
    try:
        pd.DataFrame(columns).to_csv(path, index=False)
    except OSError as exc:
        from grnbench.errors import cannot_write

        raise cannot_write(path, exc) from None


def read_edge_list(path: Path) -> pd.DataFrame:
    """A saved edge list; runs written before edge lists carried labels have no ``label``.

    Only an empty field reads as missing: a gene named ``NA`` stays a gene, and a ``nan`` score
    stays text that ``grnbench.results.evaluate.check_edge_list`` reports with its line."""
    return pd.read_csv(path, dtype={"regulator": str, "target": str}, keep_default_na=False, na_values=[""])


def write_json(path: Path, payload: dict) -> None:
    try:
        path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    except OSError as exc:
        from grnbench.errors import cannot_write

        raise cannot_write(path, exc) from None
