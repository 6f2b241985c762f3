"""Per-method aggregates of one or more run folders, and the method × dataset table for papers.

``aggregate`` is the one place where repeats are averaged for the report and for
``grnbench table``, so both show the same numbers. ``grnbench table`` merges several runs
(e.g. one per maize dataset) into one method × dataset table as CSV, Markdown or LaTeX.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from grnbench.errors import UserError
from grnbench.evaluation import catalogue as metric_catalogue
from grnbench.evaluation.statistics import (
    INTERVAL_COLUMNS,
    RankTest,
    interval_over_tasks,
    paired_comparisons,
    random_ranking_aupr,
    rank_methods,
)
from grnbench.results.records import CONSTANT_SCORES, has_constant_scores, read_results

#: metrics a table can show, with whether a higher value is better (from the metric catalogue)
METRICS: dict[str, bool] = metric_catalogue.rankable()
FORMATS = ("csv", "markdown", "latex")
_KEYS = ["method", "dataset", "protocol"]
_AVERAGED = tuple(c.name for c in metric_catalogue.all_columns() if c.rankable and c.aggregate == "mean")
#: metrics whose summary carries an interval (bootstrap for one task, t across several)
_INTERVALS = ("aupr", "auroc", "early_precision")


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
    for column in INTERVAL_COLUMNS:  # frames built before intervals existed
        if column not in frame.columns:
            frame[column] = math.nan
    if "init_seed" not in frame.columns:
        frame["init_seed"] = frame["seed"] if "seed" in frame.columns else 0
    columns = _KEYS + ["tasks", "repeats", "status", "positive_rate", "n_test", "n_positives"]
    columns += [f"{m}{s}" for m in _AVERAGED for s in ("", "_sd", "_min", "_max")]
    _MAXED = [c.name for c in metric_catalogue.all_columns() if c.rankable and c.aggregate == "max"]
    columns += [f"{m}{s}" for m in _MAXED for s in ("", "_sd")]
    columns += ["init_seeds"]
    columns += [f"{m}_ci_{e}" for m in _INTERVALS for e in ("low", "high")] + ["aupr_ratio_ci_low", "aupr_ratio_ci_high", "interval"]
    rows = []
    for key, group in frame.groupby(_KEYS, sort=False):
        ok = group[group["status"] == "ok"]
        row: dict[str, object] = dict(zip(_KEYS, key, strict=True))
        constant = int(has_constant_scores(group).sum())
        status = status_text(group["status"]) + ("" if not constant else f"; {CONSTANT_SCORES}" if constant == len(ok)
                                                  else f"; {constant} with {CONSTANT_SCORES}")
        row.update(tasks=len(group), repeats=len(ok), status=status,
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
        row["init_seeds"] = ok["init_seed"].nunique() if "init_seed" in ok else 1
        for metric in _INTERVALS:
            low, high, kind = interval_over_tasks(ok[metric].to_numpy(float), ok[f"{metric}_ci_low"].to_numpy(float),
                                                  ok[f"{metric}_ci_high"].to_numpy(float), ok["repeat"].to_numpy())
            row[f"{metric}_ci_low"], row[f"{metric}_ci_high"] = low, high
            row["interval"] = row.get("interval") or kind
        # the positive rate is the same in every resample (stratified), so the ratio's interval
        # is the AUPR interval over it; across tasks, the t-interval of the ratios
        ratio = ok["aupr_ratio"].to_numpy(float)
        low, high, _ = interval_over_tasks(ratio, (ok["aupr_ci_low"] / ok["positive_rate"]).to_numpy(float),
                                           (ok["aupr_ci_high"] / ok["positive_rate"]).to_numpy(float), ok["repeat"].to_numpy(),
                                           bounds=(0.0, math.inf))
        row["aupr_ratio_ci_low"], row["aupr_ratio_ci_high"] = low, high
        rows.append(row)
    return pd.DataFrame(rows, columns=columns)


def load_runs(run_dirs: list[Path], methods: list[str] | None = None,
              datasets: list[str] | None = None) -> pd.DataFrame:
    """The results of several run folders in one frame (column ``run``), refusing a
    (method, dataset, protocol) that two folders both hold, which would silently mix runs
    (``methods``/``datasets`` pick rows first, so the user can choose which folder's to use).
    The folders' paired comparisons travel in ``frame.attrs["comparisons"]``."""
    frames = []
    comparisons = []
    seen: dict[tuple[str, str, str], Path] = {}
    for run_dir in run_dirs:
        frame = read_results(Path(run_dir))
        for column, wanted in (("method", methods), ("dataset", datasets)):
            if wanted is not None:
                frame = frame[frame[column].astype(str).isin(wanted)]
        compared = Path(run_dir) / "comparisons.csv"
        if compared.is_file() and compared.stat().st_size:
            comparisons.append(pd.read_csv(compared))
        for key in frame[_KEYS].drop_duplicates().itertuples(index=False):
            if tuple(key) in seen:
                raise UserError(f"{key[0]} on {key[1]} ({key[2]}) is in both {seen[tuple(key)]} and {run_dir}; "
                                "pass runs of different datasets or methods")
            seen[tuple(key)] = Path(run_dir)
        frames.append(frame.assign(run=str(run_dir)))
    _check_comparable_runs(run_dirs, frames)
    out = pd.concat(frames, ignore_index=True)
    for column, wanted in (("method", methods), ("dataset", datasets)):
        missing = sorted(set(wanted or ()) - set(out[column].astype(str)))
        if missing:
            raise UserError(f"--{column}s names {', '.join(missing)}, in none of these runs")
    if out.empty:
        raise UserError("no rows left in these runs; check --methods/--datasets")
    # plain tuples, not a frame: pandas compares attrs when frames are combined
    out.attrs["comparisons"] = [(str(r.dataset), str(r.protocol), str(r.method_a), str(r.method_b), bool(r.resolved))
                                for c in comparisons for r in c.itertuples(index=False)]
    return out


def _check_comparable_runs(run_dirs: list[Path], frames: list[pd.DataFrame]) -> None:
    """Folders that hold the same dataset must have split it the same way (split kind, seed,
    folds, top-k, and the same data): otherwise their methods were not scored on the same
    pairs and one table would rank them as if they were."""
    from grnbench.execution.run_folder import COMPARABLE, earlier_manifest

    first: dict[str, tuple[Path, dict]] = {}
    for run_dir, frame in zip(run_dirs, frames, strict=True):
        manifest = earlier_manifest(Path(run_dir))
        for dataset, hashes in frame.groupby("dataset")["dataset_hash"]:
            settings = {k: str(manifest.get(k)) for k in COMPARABLE} | {"data": ",".join(sorted(set(map(str, hashes))))}
            if dataset not in first:
                first[dataset] = (Path(run_dir), settings)
                continue
            other_dir, other = first[dataset]
            differ = [k for k in settings if settings[k] != other[k]]
            if differ:
                raise UserError(f"{dataset} is in {other_dir} and {run_dir} with different {', '.join(differ)} "
                                f"({', '.join(f'{other[k]} vs {settings[k]}' for k in differ)}): their methods were "
                                "not scored on the same pairs; re-run one of them with the other's settings")


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
    """Long table (method, dataset, mean, sd, ci_low, ci_high, repeats, status, mean_rank) of one
    metric and protocol. The interval is the summary's (bootstrap for one task, Student-t over
    splits; NaN for metrics without one, e.g. times); the mean rank is the method's average rank
    of ``mean`` over the datasets where every method finished (1 = best)."""
    if metric not in METRICS:
        raise UserError(f"unknown metric {metric!r}; choose one of {', '.join(METRICS)}")
    agg = aggregate(select_protocol(frame, protocol))
    low, high = (agg[f"{metric}_ci_low"], agg[f"{metric}_ci_high"]) if f"{metric}_ci_low" in agg \
        else (pd.Series(math.nan, index=agg.index), pd.Series(math.nan, index=agg.index))
    table = pd.DataFrame({"method": agg["method"], "dataset": agg["dataset"], "mean": agg[metric],
                          "sd": agg[f"{metric}_sd"], "ci_low": low, "ci_high": high,
                          "repeats": agg["repeats"], "status": agg["status"]})
    finished = table[table["repeats"] > 0]
    ranks = rank_methods(finished.pivot(index="method", columns="dataset", values="mean").astype(float),
                         METRICS[metric]).mean_rank if len(finished) else pd.Series(dtype=float)
    table["mean_rank"] = table["method"].map(ranks)
    complete = finished.pivot(index="method", columns="dataset", values="mean").dropna(axis=1).columns
    table.attrs["rank_datasets"] = [d for d in dict.fromkeys(table["dataset"]) if d in set(complete)]
    table.attrs["resolved_best"] = resolved_best(table, frame.attrs.get("comparisons"), METRICS[metric],
                                                  metric, protocol)
    return table


def resolved_best(table: pd.DataFrame, comparisons: list[tuple] | None, higher: bool, metric: str,
                   protocol: str) -> set[tuple[str, str]]:
    """(method, dataset) cells whose method is best on the dataset *and* resolved against every
    other method there (paired bootstrap, Holm-adjusted; AUPR only, the metric compared)."""
    if metric != "aupr" or not comparisons:
        return set()
    out = set()
    for dataset, part in table[table["repeats"] > 0].groupby("dataset", sort=False):
        values = part.set_index("method")["mean"].astype(float).dropna()
        if len(values) < 2:
            continue
        best = values.idxmax() if higher else values.idxmin()
        beaten = {b if a == best else a for d, p, a, b, resolved in comparisons
                  if d == dataset and protocol_family(p) == protocol_family(protocol) and resolved and best in (a, b)}
        if beaten >= set(values.index) - {best}:
            out.add((best, dataset))
    return out


def _number(value: float, metric: str) -> str:
    kind = metric_catalogue.column(metric).kind
    if kind == "seconds":
        return f"{value:.3g}"
    if kind == "mb":
        return f"{value:.0f}"
    return f"{value:.3f}"


def _cells(table: pd.DataFrame, metric: str, plus_minus: str) -> tuple[list[str], list[str], dict[tuple[str, str], tuple[str, bool]]]:
    """Cell text per (method, dataset), and whether it is bold: the best *and* resolved against
    every other method (``table.attrs["resolved_best"]``), never merely the best point estimate."""
    methods = list(dict.fromkeys(table["method"]))
    datasets = list(dict.fromkeys(table["dataset"]))
    resolved = table.attrs.get("resolved_best", set())
    cells: dict[tuple[str, str], tuple[str, bool]] = {}
    for dataset, part in table.groupby("dataset", sort=False):
        for row in part.itertuples(index=False):
            if row.repeats == 0 or not np.isfinite(row.mean):
                cells[(row.method, dataset)] = (row.status if row.repeats == 0 else "–", False)
                continue
            text = _number(row.mean, metric)
            if row.repeats > 1 and np.isfinite(row.sd):
                text += f"{plus_minus}{_number(row.sd, metric)}"
            if np.isfinite(row.ci_low) and np.isfinite(row.ci_high):
                text += f" [{_number(row.ci_low, metric)}, {_number(row.ci_high, metric)}]"
            cells[(row.method, dataset)] = (text, (row.method, dataset) in resolved)
    return methods, datasets, cells


def table_notes(table: pd.DataFrame, metric: str) -> list[str]:
    """What the table's numbers are: the intervals, what bold means, and which datasets the mean
    rank is taken over."""
    datasets = list(dict.fromkeys(table["dataset"]))
    ranked = table.attrs.get("rank_datasets", datasets)
    notes = [f"{metric}: mean over repeats (± sd where several); [a, b]: 95% interval (stratified bootstrap "
             "over the test pairs for one task, Student-t over repeats)."]
    notes.append("bold: best on the dataset and resolved against every other method (paired bootstrap, "
                 "Holm-adjusted p < 0.05)" if metric == "aupr" else "no cell is bold: only AUPR differences are tested")
    if list(ranked) != datasets:
        notes.append(f"mean rank over the {len(ranked)} of {len(datasets)} datasets where every method finished: "
                     f"{', '.join(ranked) or 'none'}")
    else:
        notes.append(f"mean rank over all {len(datasets)} datasets (1 = best)")
    return notes


def _mean_ranks(table: pd.DataFrame) -> dict[str, str]:
    ranks = table.drop_duplicates("method").set_index("method")["mean_rank"]
    return {m: (f"{r:.2f}" if np.isfinite(r) else "–") for m, r in ranks.items()}


_LATEX = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
          "}": r"\}", "~": r"\textasciitilde{}", "^": r"\^{}"}


def _latex_escape(text: str) -> str:
    """Each special character replaced once, in one pass (replacing them one after another
    escaped the braces of ``\textbackslash{}`` again)."""
    return "".join(_LATEX.get(ch, ch) for ch in text)


def format_table(table: pd.DataFrame, fmt: str, metric: str = "aupr") -> str:
    """Render a ``method_dataset_table`` as CSV (numbers only: mean; sd columns when there were
    repeats; interval columns when the metric has intervals; mean rank), Markdown or LaTeX
    (mean ± sd [95% interval], best per dataset in bold, failures by status, mean rank last)."""
    methods = list(dict.fromkeys(table["method"]))
    datasets = list(dict.fromkeys(table["dataset"]))
    if fmt == "csv":
        def wide(column: str, suffix: str) -> pd.DataFrame:
            part = table.pivot(index="method", columns="dataset", values=column).reindex(index=methods, columns=datasets)
            part.columns = [f"{c}{suffix}" for c in part.columns]
            return part

        parts, suffixes = [wide("mean", "")], [""]
        if (table["repeats"] > 1).any():
            parts.append(wide("sd", " sd"))
            suffixes.append(" sd")
        if table["ci_low"].notna().any():
            parts += [wide("ci_low", " ci_low"), wide("ci_high", " ci_high")]
            suffixes += [" ci_low", " ci_high"]
        out = pd.concat(parts, axis=1)[[f"{d}{s}" for d in datasets for s in suffixes]]
        out["mean rank"] = table.drop_duplicates("method").set_index("method")["mean_rank"].reindex(methods)
        return out.reset_index().to_csv(index=False, float_format="%.6g", lineterminator="\n")
    ranks = _mean_ranks(table)
    if fmt == "markdown":
        methods, datasets, cells = _cells(table, metric, " ± ")
        lines = ["| method | " + " | ".join(datasets) + " | mean rank |", "|---|" + "---:|" * (len(datasets) + 1)]
        for method in methods:
            row = []
            for dataset in datasets:
                text, best = cells.get((method, dataset), ("", False))
                row.append(f"**{text}**" if best else text)
            lines.append(f"| {method} | " + " | ".join(row) + f" | {ranks[method]} |")
        lines += [""] + [f"_{n}_  " for n in table_notes(table, metric)]
        return "\n".join(lines) + "\n"
    if fmt == "latex":
        methods, datasets, cells = _cells(table, metric, r" $\pm$ ")
        lines = [r"\begin{tabular}{l" + "r" * (len(datasets) + 1) + "}", r"\toprule",
                 "method & " + " & ".join(_latex_escape(d) for d in datasets) + r" & mean rank \\", r"\midrule"]
        for method in methods:
            row = []
            for dataset in datasets:
                text, best = cells.get((method, dataset), ("", False))
                text = text if "$" in text else _latex_escape(text.replace("–", "--"))
                row.append(rf"\textbf{{{text}}}" if best else text)
            lines.append(_latex_escape(method) + " & " + " & ".join(row) + f" & {ranks[method].replace('–', '--')}" + r" \\")
        lines += [r"\bottomrule", r"\end{tabular}"] + [f"% {n}" for n in table_notes(table, metric)]
        return "\n".join(lines) + "\n"
    raise UserError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


# ---------------------------------------------------------------- how sure: paired tests and ranks

#: what makes two tasks scored "on the same test pairs": one test set, one Holm family
#: what makes two tasks' test pairs the same test set; initialisation seeds are pooled inside it
TEST_SET_KEYS = ["dataset", "protocol", "repeat", "split"]
PAIRED_COLUMNS = TEST_SET_KEYS + ["method_a", "method_b", "seeds_a", "seeds_b", "aupr_a", "aupr_b", "difference",
                                  "ci_low", "ci_high", "p_value", "p_holm", "resolved", "n_test", "n_positives"]


def paired_frame(frame: pd.DataFrame, scored_pairs: Callable[[pd.Series], pd.DataFrame | None],
                 protocol: str | None = None) -> pd.DataFrame:
    """Paired-bootstrap AUPR differences of every pair of methods on each test set.

    ``scored_pairs(row)`` returns a finished task's test pairs (regulator, target, score,
    label), or None when they cannot be read. Tasks are compared only when they scored exactly
    the same pairs. A method's fits under several initialisation seeds are pooled (its
    seed-mean AUPR, ``statistics.paired_comparisons``), so each test set — each dataset, under
    one protocol repeat — is one Holm family. The bootstrap seed is the test set's split seed,
    so re-rendering a report gives the same numbers."""
    ok = frame[(frame["status"] == "ok") & (frame["edges_file"].astype(str) != "")]
    if protocol is not None:
        ok = ok[ok["protocol"] == protocol]
    rows = []
    for key, group in ok.groupby(TEST_SET_KEYS, sort=False):
        scores: dict[str, list[np.ndarray]] = {}
        labels = None
        pairs = None
        for _, row in group.sort_values("init_seed", kind="stable").iterrows():
            edges = scored_pairs(row)
            if edges is None:
                continue
            edges = edges.sort_values(["regulator", "target"], kind="stable")
            these = list(zip(edges["regulator"], edges["target"], strict=True))
            if pairs is None:
                pairs, labels = these, edges["label"].to_numpy()
            elif these != pairs:
                continue  # not the same test pairs: nothing paired to say
            scores.setdefault(str(row["method"]), []).append(edges["score"].to_numpy(float))
        if labels is None or len(scores) < 2:
            continue
        seed = int(group["seed"].iloc[0])
        for c in paired_comparisons(labels, scores, seed):
            rows.append({**dict(zip(TEST_SET_KEYS, key, strict=True)), "method_a": c.a, "method_b": c.b,
                         "seeds_a": len(scores[c.a]), "seeds_b": len(scores[c.b]),
                         "aupr_a": c.aupr_a, "aupr_b": c.aupr_b, "difference": c.difference,
                         "ci_low": c.ci_low, "ci_high": c.ci_high, "p_value": c.p_value, "p_holm": c.p_holm,
                         "resolved": c.resolved, "n_test": len(labels), "n_positives": int(np.sum(labels))})
    return pd.DataFrame(rows, columns=PAIRED_COLUMNS)


def random_aupr(agg: pd.DataFrame) -> pd.Series:
    """Per summary row, the expected AUPR of a random ranking of its test pairs: the positive rate
    on large test sets, noticeably more on tiny ones (``statistics.random_ranking_aupr``)."""
    return pd.Series([random_ranking_aupr(round(n), round(p)) if np.isfinite(n) and np.isfinite(p) else math.nan
                      for n, p in zip(agg["n_test"], agg["n_positives"], strict=True)], index=agg.index, dtype=float)


def indistinguishable_from_random(agg: pd.DataFrame) -> pd.Series:
    """Summary rows whose AUPR interval contains the expected AUPR of a random ranking of the
    same test pairs: such a method is "not distinguishable from random" on that dataset."""
    reference = random_aupr(agg)
    return (agg["aupr_ci_low"] <= reference) & (reference <= agg["aupr_ci_high"])


def rank_test(agg: pd.DataFrame, metric: str = "aupr") -> RankTest:
    """Mean ranks (and, with ≥ 3 methods and datasets, Friedman + Nemenyi) of one protocol's
    summary rows: method × dataset values of ``metric``."""
    values = agg.pivot(index="method", columns="dataset", values=metric)
    values = values.reindex(index=list(dict.fromkeys(agg["method"])), columns=list(dict.fromkeys(agg["dataset"])))
    return rank_methods(values.astype(float), METRICS.get(metric, True))
