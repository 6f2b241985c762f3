"""Per-method aggregates of one or more run folders, and the method × dataset table for papers.

``aggregate`` is the one place where repeats are averaged for the report and for
``grnbench table``, so both show the same numbers. ``grnbench table`` merges several runs
(e.g. one per maize dataset) into one method × dataset table as CSV, Markdown or LaTeX.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from grnbench import metric_catalogue
from grnbench.errors import UserError
from grnbench.results import read_results

#: metrics a table can show, with whether a higher value is better (from the metric catalogue)
METRICS: dict[str, bool] = metric_catalogue.rankable()
FORMATS = ("csv", "markdown", "latex")
_KEYS = ["method", "dataset", "protocol"]
_AVERAGED = tuple(c.name for c in metric_catalogue.all_columns() if c.rankable and c.aggregate == "mean")


def protocol_family(label: str) -> str:
    """``noise,repeats=3`` → ``noise``: the protocol name without its parameters."""
    return str(label).split(",")[0]


def method_base(method: str) -> str:
    """``psgrn:epochs=5`` → ``psgrn``: the registered method name without its parameters."""
    return str(method).split(":")[0]


def status_text(statuses: pd.Series) -> str:
    """``ok`` when every task finished, else counts such as ``2 ok, 1 timeout``."""
    counts = Counter(statuses)
    if set(counts) == {"ok"}:
        return "ok"
    order = ["ok", "failed", "timeout", "oom", "skipped"]
    return ", ".join(f"{counts[s]} {s}" for s in sorted(counts, key=lambda s: (order.index(s) if s in order else 99, s)))


def aggregate(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per (method, dataset, protocol): mean and sd over the finished repeats of every
    metric, peak memory as the maximum, the number of tasks and a status summary.

    Groups keep their order of first appearance, so tables list methods as the run did."""
    frame = metric_catalogue.with_derived(frame)
    columns = _KEYS + ["tasks", "repeats", "status", "positive_rate", "n_test", "n_positives"]
    columns += [f"{m}{s}" for m in _AVERAGED for s in ("", "_sd", "_min", "_max")]
    _MAXED = [c.name for c in metric_catalogue.all_columns() if c.rankable and c.aggregate == "max"]
    columns += [f"{m}{s}" for m in _MAXED for s in ("", "_sd")]
    rows = []
    for key, group in frame.groupby(_KEYS, sort=False):
        ok = group[group["status"] == "ok"]
        row: dict[str, object] = dict(zip(_KEYS, key, strict=True))
        row.update(tasks=len(group), repeats=len(ok), status=status_text(group["status"]),
                   positive_rate=ok["positive_rate"].mean(), n_test=ok["n_test"].mean(),
                   n_positives=ok["n_positives"].mean())
        for metric in _AVERAGED:
            values = ok[metric].astype(float)
            row[metric] = values.mean() if len(values) else math.nan
            row[f"{metric}_sd"] = values.std() if len(values) > 1 else math.nan
            row[f"{metric}_min"] = values.min() if len(values) else math.nan
            row[f"{metric}_max"] = values.max() if len(values) else math.nan
        for metric in _MAXED:
            row[metric] = ok[metric].max() if len(ok) else math.nan
            row[f"{metric}_sd"] = math.nan
        rows.append(row)
    return pd.DataFrame(rows, columns=columns)


def load_runs(run_dirs: list[Path]) -> pd.DataFrame:
    """The results of several run folders in one frame (column ``run``), refusing a
    (method, dataset, protocol) that two folders both hold, which would silently mix runs."""
    frames = []
    seen: dict[tuple[str, str, str], Path] = {}
    for run_dir in run_dirs:
        frame = read_results(Path(run_dir))
        for key in frame[_KEYS].drop_duplicates().itertuples(index=False):
            if tuple(key) in seen:
                raise UserError(f"{key[0]} on {key[1]} ({key[2]}) is in both {seen[tuple(key)]} and {run_dir}; "
                                "pass runs of different datasets or methods")
            seen[tuple(key)] = Path(run_dir)
        frames.append(frame.assign(run=str(run_dir)))
    return pd.concat(frames, ignore_index=True)


def select_protocol(frame: pd.DataFrame, protocol: str) -> pd.DataFrame:
    """Rows of one protocol: its exact label (``noise,repeats=3``), or its name (``noise``) when
    that names one protocol per method and dataset (merged runs may differ in repeats)."""
    labels = frame["protocol"].astype(str)
    if (labels == protocol).any():
        return frame[labels == protocol]
    chosen = frame[labels.map(protocol_family) == protocol]
    if chosen.empty:
        raise UserError(f"no {protocol!r} protocol in these runs; they hold: {', '.join(sorted(set(labels)))}")
    per_cell = chosen.groupby(["method", "dataset"])["protocol"].nunique()
    if (per_cell > 1).any():
        several = sorted(set(chosen["protocol"].astype(str)))
        raise UserError(f"{protocol!r} matches several protocols ({'; '.join(several)}); give one exactly")
    return chosen


def method_dataset_table(frame: pd.DataFrame, metric: str = "aupr", protocol: str = "standard") -> pd.DataFrame:
    """Long table (method, dataset, mean, sd, repeats, status) of one metric and protocol."""
    if metric not in METRICS:
        raise UserError(f"unknown metric {metric!r}; choose one of {', '.join(METRICS)}")
    agg = aggregate(select_protocol(frame, protocol))
    return pd.DataFrame({"method": agg["method"], "dataset": agg["dataset"], "mean": agg[metric],
                         "sd": agg[f"{metric}_sd"], "repeats": agg["repeats"], "status": agg["status"]})


def _number(value: float, metric: str) -> str:
    kind = metric_catalogue.column(metric).kind
    if kind == "seconds":
        return f"{value:.3g}"
    if kind == "mb":
        return f"{value:.0f}"
    return f"{value:.3f}"


def _cells(table: pd.DataFrame, metric: str, plus_minus: str) -> tuple[list[str], list[str], dict[tuple[str, str], tuple[str, bool]]]:
    methods = list(dict.fromkeys(table["method"]))
    datasets = list(dict.fromkeys(table["dataset"]))
    higher = METRICS[metric]
    cells: dict[tuple[str, str], tuple[str, bool]] = {}
    for dataset, part in table.groupby("dataset", sort=False):
        finite = part["mean"].astype(float)
        best = (finite.max() if higher else finite.min()) if finite.notna().any() else math.nan
        for row in part.itertuples(index=False):
            if row.repeats == 0 or not np.isfinite(row.mean):
                cells[(row.method, dataset)] = (row.status if row.repeats == 0 else "–", False)
                continue
            text = _number(row.mean, metric)
            if row.repeats > 1 and np.isfinite(row.sd):
                text += f"{plus_minus}{_number(row.sd, metric)}"
            cells[(row.method, dataset)] = (text, bool(row.mean == best))
    return methods, datasets, cells


def _latex_escape(text: str) -> str:
    for char, repl in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("$", r"\$"), ("#", r"\#"),
                       ("_", r"\_"), ("{", r"\{"), ("}", r"\}"), ("~", r"\textasciitilde{}"), ("^", r"\^{}")):
        text = text.replace(char, repl)
    return text


def format_table(table: pd.DataFrame, fmt: str, metric: str = "aupr") -> str:
    """Render a ``method_dataset_table`` as CSV (numbers only: mean, and sd columns when there
    were repeats), Markdown or LaTeX (mean ± sd, best per dataset in bold, failures by status)."""
    if fmt == "csv":
        wide = table.pivot(index="method", columns="dataset", values="mean")
        methods = list(dict.fromkeys(table["method"]))
        datasets = list(dict.fromkeys(table["dataset"]))
        wide = wide.reindex(index=methods, columns=datasets)
        if (table["repeats"] > 1).any():
            sd = table.pivot(index="method", columns="dataset", values="sd").reindex(index=methods, columns=datasets)
            sd.columns = [f"{c} sd" for c in sd.columns]
            wide = pd.concat([wide, sd], axis=1)[[c for d in datasets for c in (d, f"{d} sd")]]
        return wide.reset_index().to_csv(index=False, float_format="%.6g", lineterminator="\n")
    if fmt == "markdown":
        methods, datasets, cells = _cells(table, metric, " ± ")
        lines = ["| method | " + " | ".join(datasets) + " |", "|---|" + "---:|" * len(datasets)]
        for method in methods:
            row = []
            for dataset in datasets:
                text, best = cells.get((method, dataset), ("", False))
                row.append(f"**{text}**" if best else text)
            lines.append(f"| {method} | " + " | ".join(row) + " |")
        return "\n".join(lines) + "\n"
    if fmt == "latex":
        methods, datasets, cells = _cells(table, metric, r" $\pm$ ")
        lines = [r"\begin{tabular}{l" + "r" * len(datasets) + "}", r"\toprule",
                 "method & " + " & ".join(_latex_escape(d) for d in datasets) + r" \\", r"\midrule"]
        for method in methods:
            row = []
            for dataset in datasets:
                text, best = cells.get((method, dataset), ("", False))
                text = text if "$" in text else _latex_escape(text.replace("–", "--"))
                row.append(rf"\textbf{{{text}}}" if best else text)
            lines.append(_latex_escape(method) + " & " + " & ".join(row) + r" \\")
        lines += [r"\bottomrule", r"\end{tabular}"]
        return "\n".join(lines) + "\n"
    raise UserError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
