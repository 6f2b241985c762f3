"""The report's statistics: how sure each number and each difference is.

Built from the run folder only, like every other section (``report_sections``):
- per dataset: every method's AUPR, AUROC and early precision with its 95% interval beside the
  test-set size and positives, a "not distinguishable from random" flag, and the paired-bootstrap
  AUPR difference of every pair of methods with Holm-adjusted p-values (which differences are
  resolved); a visible warning when the test part has fewer than 30 positives;
- across datasets (more than one): the method × dataset AUPR-ratio heatmap with intervals, mean
  ranks, and with ≥ 3 datasets and methods the Friedman test, Nemenyi post-hoc and a
  critical-difference diagram;
- initialisation seeds (``--seeds``): each method's spread over seeds on the same split.

The statistics are computed once per report (``Statistics.compute``) and timed, so the report
can say what they cost; ``comparisons.csv`` beside the report holds every paired comparison.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from grnbench.evaluation.statistics import FEW_POSITIVES, LEVEL, N_RESAMPLES, RankTest, t_interval
from grnbench.report import plots
from grnbench.report.sections import Figure, RunData, Table, fmt, has_labels, num, txt
from grnbench.results.comparison import (
    PAIRED_COLUMNS,
    indistinguishable_from_random,
    paired_frame,
    random_aupr,
    rank_test,
    resolved_best,
)

COMPARISONS_NAME = "comparisons.csv"


def scored_pairs(run: RunData, row: pd.Series) -> pd.DataFrame | None:
    """A finished task's test pairs with scores and labels: the edge list's own ``label``
    column when it has one, else labels from the run's gold standard (None if unavailable)."""
    path = run.run_dir / str(row["edges_file"])
    if not path.is_file():
        return None
    if has_labels(path):
        return run.edges(str(row["edges_file"]), None)
    gold = run.gold(str(row["dataset"]), str(row["dataset_hash"]))
    if isinstance(gold, str):
        return None
    return run.edges(str(row["edges_file"]), gold)


@dataclass
class Statistics:
    """Everything the statistics sections show, computed once."""

    agg: pd.DataFrame  # headline protocol summary rows (comparison.aggregate)
    paired: pd.DataFrame  # comparison.PAIRED_COLUMNS, headline protocol
    ranks: RankTest | None
    seconds: float
    cpu_seconds: float

    @classmethod
    def compute(cls, run: RunData) -> Statistics:
        started, cpu = time.perf_counter(), time.process_time()
        agg = run.headline_agg()
        paired = with_saved_comparisons(paired_frame(run.frame, lambda row: scored_pairs(run, row), run.headline),
                                        run.run_dir, run.frame, run.headline)
        finished = agg[agg["repeats"] > 0]
        ranks = rank_test(finished) if len(run.datasets) > 1 and len(finished) else None
        return cls(agg, paired, ranks, time.perf_counter() - started, time.process_time() - cpu)

    def write_csv(self, run_dir: Path) -> Path:
        path = Path(run_dir) / COMPARISONS_NAME
        self.paired.to_csv(path, index=False, float_format="%.6g")
        return path


def with_saved_comparisons(paired: pd.DataFrame, run_dir: Path, frame: pd.DataFrame, headline: str) -> pd.DataFrame:
    """The recomputed paired comparisons plus, for every dataset they lack, the rows the run
    folder's ``comparisons.csv`` saved earlier: a folder kept without its edge lists (as in
    reports/) still has its comparisons, and re-rendering it must neither drop them from the
    report nor overwrite the file with an empty one. Only rows of two methods that still have
    a finished task of the headline protocol on that dataset in ``frame`` are kept."""
    path = Path(run_dir) / COMPARISONS_NAME
    if not path.is_file() or not path.stat().st_size:
        return paired
    saved = pd.read_csv(path)
    if saved.empty or not {"dataset", "protocol", "method_a", "method_b", "resolved"} <= set(saved.columns):
        return paired
    ok = frame[(frame["status"] == "ok") & (frame["protocol"].astype(str) == headline)]
    finished = set(zip(ok["dataset"].astype(str), ok["method"].astype(str), strict=True))
    saved = saved[(saved["protocol"].astype(str) == headline)
                  & ~saved["dataset"].astype(str).isin(set(paired["dataset"].astype(str)))
                  & np.array([(str(d), str(a)) in finished and (str(d), str(b)) in finished
                              for d, a, b in zip(saved["dataset"], saved["method_a"], saved["method_b"], strict=True)],
                             dtype=bool)]
    if saved.empty:
        return paired
    saved = saved.assign(seeds_a=saved.get("seeds_a", 1), seeds_b=saved.get("seeds_b", 1))[PAIRED_COLUMNS]
    return pd.concat([paired, saved], ignore_index=True) if len(paired) else saved.reset_index(drop=True)


def _interval(low: Any, high: Any, kind: str = "metric") -> str:
    if not (np.isfinite(low) and np.isfinite(high)):
        return "–"
    return f"[{fmt(low, kind)}, {fmt(high, kind)}]"


def _seeded(method: str, seeds: int) -> str:
    """A method's name in a paired comparison, with how many seed fits its AUPR is the mean of."""
    return f"{method} (mean of {seeds} seeds)" if seeds > 1 else method


def _interval_cell(low: Any, high: Any, kind: str = "metric", title: str = "") -> Any:
    cell = txt(_interval(low, high, kind), title)
    cell.sort = repr(float(low)) if np.isfinite(low) else ""
    return cell


def few_positives_warning(run: RunData) -> str:
    """One line naming every dataset whose test part has fewer than FEW_POSITIVES positives."""
    ok = run.frame[(run.frame["status"] == "ok") & (run.frame["protocol"] == run.headline)]
    few = []
    for dataset, part in ok.groupby("dataset", sort=False):
        positives, pairs = int(part["n_positives"].min()), int(part["n_test"].min())
        if positives < FEW_POSITIVES:
            few.append(f"{dataset} ({positives} of {pairs:,} pairs)")
    if not few:
        return ""
    return (f"Fewer than {FEW_POSITIVES} positives in the test part of {', '.join(few)}: intervals there are "
            "wide and rest on very few positives; read the order of methods as unresolved unless a paired "
            "difference below is marked resolved.")


# ---------------------------------------------------------------- per dataset


def dataset_sections(run: RunData, stats: Statistics) -> list[dict[str, Any]]:
    """Per dataset: its methods with intervals, and the paired comparisons of its test sets."""
    out = []
    agg = stats.agg[stats.agg["repeats"] > 0]
    if agg.empty:
        return out
    random_like, reference = indistinguishable_from_random(agg), random_aupr(agg)
    for dataset in run.datasets:
        part = agg[agg["dataset"] == dataset].sort_values("aupr", ascending=False)
        if part.empty:
            continue
        rows = []
        kinds = set(part["interval"])
        show_kind = kinds != {"bootstrap"}
        for index, r in part.iterrows():
            verdict = "not distinguishable" if random_like[index] else "above random" \
                if r.aupr_ci_low > reference[index] else "below random"
            rows.append([txt(r.method), num(r.aupr), _interval_cell(r.aupr_ci_low, r.aupr_ci_high),
                         num(reference[index]), num(r.aupr_ratio, "ratio"),
                         num(r.auroc), _interval_cell(r.auroc_ci_low, r.auroc_ci_high),
                         num(r.early_precision), _interval_cell(r.early_precision_ci_low, r.early_precision_ci_high),
                         num(r.n_test, "int"), num(r.n_positives, "int"), txt(verdict)]
                        + ([txt(r.interval)] if show_kind else []))
        slug = _slug(dataset)
        methods = Table(
            ["method", "AUPR", "AUPR 95% CI", "random AUPR", "AUPR ratio", "AUROC", "AUROC 95% CI",
             "EP", "EP 95% CI", "test pairs", "positives", "vs random"] + (["interval"] if show_kind else []),
            rows, [False] + [True] * 10 + [False] + ([False] if show_kind else []),
            ["method", "average precision over the test pairs", "95% interval of AUPR",
             "expected AUPR of a random ranking of these test pairs (the positive rate when positives are many)",
             "AUPR / positive rate", "area under the ROC curve",
             "95% interval", "early precision: precision of the top k pairs, k = positives", "95% interval",
             "test pairs scored", "positives among them",
             "not distinguishable: the AUPR interval contains the expected AUPR of a random ranking"]
            + (["bootstrap: stratified bootstrap over the test pairs; t: Student-t over splits"] if show_kind else []),
            id=f"stats-{slug}")
        pairs = stats.paired[stats.paired["dataset"] == dataset]
        several = pairs["repeat"].nunique() > 1
        prow = []
        for r in pairs.itertuples(index=False):
            prow.append(([txt(f"r{r.repeat}")] if several else []) + [
                txt(_seeded(r.method_a, r.seeds_a)), txt(_seeded(r.method_b, r.seeds_b)), num(r.difference),
                _interval_cell(r.ci_low, r.ci_high),
                num(r.p_value), num(r.p_holm), txt("resolved" if r.resolved else "not resolved"),
                num(r.n_test, "int"), num(r.n_positives, "int")])
        paired = None
        if prow:
            paired = Table((["repeat"] if several else []) + [
                "method A", "method B", "ΔAUPR (A − B)", "95% CI", "p", "p (Holm)", "difference",
                "test pairs", "positives"], prow,
                ([False] if several else []) + [False, False, True, True, True, True, False, True, True],
                (["protocol repeat"] if several else []) + [
                    "", "", "AUPR of A minus AUPR of B on the same test pairs",
                    "paired stratified bootstrap, same resamples for both methods",
                    "two-sided bootstrap p-value of no difference",
                    "Holm-adjusted across the pairs of this test set",
                    "resolved: Holm-adjusted p < 0.05", "test pairs", "positives"],
                id=f"paired-{slug}")
        first = part.iloc[0]
        out.append({"dataset": dataset, "slug": slug, "methods": methods, "paired": paired,
                    "n_test": int(first.n_test) if np.isfinite(first.n_test) else 0,
                    "positives": int(first.n_positives) if np.isfinite(first.n_positives) else 0,
                    "few": bool(np.isfinite(first.n_positives) and first.n_positives < FEW_POSITIVES),
                    "resolved": int(pairs["resolved"].sum()), "pairs": len(pairs)})
    return out


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text)


# ---------------------------------------------------------------- across datasets


def over_random(agg: pd.DataFrame) -> pd.DataFrame:
    """Per summary row (method, dataset): AUPR and its 95% interval divided by the expected AUPR
    of a random ranking of the same test pairs (``comparison.random_aupr``): 1 is a random
    ranking on any test set, whatever its size, unlike the AUPR ratio over the positive rate."""
    reference = random_aupr(agg)
    return pd.DataFrame({"method": agg["method"], "dataset": agg["dataset"], "random": reference,
                         "value": agg["aupr"] / reference, "low": agg["aupr_ci_low"] / reference,
                         "high": agg["aupr_ci_high"] / reference})



def across_section(run: RunData, stats: Statistics) -> dict[str, Any] | None:
    """Heatmap, mean ranks and (≥ 3 datasets) Friedman + Nemenyi + critical difference."""
    if stats.ranks is None:
        return None
    agg = stats.agg[stats.agg["repeats"] > 0].assign(method=lambda a: a["method"].map(run.short))
    methods, datasets = list(dict.fromkeys(agg["method"])), list(dict.fromkeys(agg["dataset"]))

    over = over_random(agg)

    def wide(column: str) -> pd.DataFrame:
        return over.pivot(index="method", columns="dataset", values=column).reindex(index=methods, columns=datasets)

    figures = [Figure("AUPR over the expected random AUPR, per method and dataset",
                      plots.chance_heatmap(wide("value"), wide("low"), wide("high")),
                      "Heatmap of AUPR over the expected AUPR of a random ranking, per method and dataset",
                      f"Protocol {run.headline}. Each method's AUPR divided by the expected AUPR of a random "
                      "ranking of the same test pairs (\"random AUPR\" per dataset above; exact, Bestgen 2015), "
                      "with its 95% interval in brackets: 1 (white) is a random ranking, red above, blue below. "
                      "This is not the AUPR ratio of the tables (AUPR / positive rate): on test sets with few "
                      "positives a random ranking's AUPR is well above the positive rate." + run.figure_note())]
    r = stats.ranks
    rows = []
    for method, mean_rank in r.mean_rank.sort_values().items():
        per = r.ranks.loc[method] if method in r.ranks.index else pd.Series(dtype=float)
        rows.append([txt(method), num(mean_rank, "ratio"), num(per.min(), "ratio"), num(per.max(), "ratio"),
                     num(len(per), "int")])
    ranks = Table(["method", "mean rank", "best rank", "worst rank", "datasets"], rows,
                  [False, True, True, True, True],
                  ["method", "mean over datasets of the method's AUPR rank (1 = best; ties share the mean rank)",
                   "", "", "datasets where every method finished (ranks need complete blocks)"], id="ranks")
    dropped = [d for d in run.datasets if d not in r.datasets_used]
    notes = []
    if dropped:
        notes.append(f"Not ranked (some method did not finish there): {', '.join(dropped)}.")
    friedman = None
    if r.tested:
        verdict = "the methods' ranks differ" if r.friedman_p < 1 - LEVEL else "no rank difference is resolved"
        friedman = (f"Friedman χ² = {r.friedman_statistic:.2f} over {len(r.datasets_used)} datasets and "
                    f"{len(r.mean_rank)} methods, p = {r.friedman_p:.3g}: {verdict} at α = {1 - LEVEL:.2f}. "
                    f"Nemenyi critical difference of mean ranks: {r.critical_difference:.2f}.")
        short_rank = r.mean_rank.rename(index=run.short)
        nemenyi = r.nemenyi.rename(index=run.short, columns=run.short)
        figures.append(Figure("Critical-difference diagram", plots.critical_difference(
            short_rank, nemenyi, r.critical_difference, 1 - LEVEL), "Critical-difference diagram of mean ranks",
            "Mean AUPR rank of each method over the ranked datasets (1 = best, left), in the layout of "
            "Demšar (2006): the better half of the methods named on the left, the worse half on the right; "
            f"methods joined by a thick bar are not significantly different (Nemenyi post-hoc test, α = "
            f"{1 - LEVEL:.2f}); CD, above the axis, is the critical difference of mean ranks. Methods with "
            "the same mean rank meet the axis at the same point, each with its own label."
            + run.figure_note()))
        methods_order = list(r.nemenyi.index)
        nrows = [[txt(a)] + [num(r.nemenyi.loc[a, b]) if a != b else txt("–") for b in methods_order]
                 for a in methods_order]
        nemenyi_table = Table(["method"] + methods_order, nrows, [False] + [True] * len(methods_order),
                              id="nemenyi")
    else:
        nemenyi_table = None
        notes.append(f"With {len(r.datasets_used)} complete dataset(s) and {len(r.mean_rank)} method(s) there "
                     "is no Friedman test (it needs at least 3 of each); mean ranks only.")
    return {"figures": figures, "ranks": ranks, "friedman": friedman, "nemenyi": nemenyi_table, "notes": notes}


# ---------------------------------------------------------------- verdict


def _listing(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def verdict(run: RunData, stats: Statistics) -> str:
    """One paragraph for the top of the report: which method is best where that is resolved.

    Per dataset a method counts as best only when it has the highest AUPR *and* its paired
    difference to every other method is resolved (``comparison.resolved_best``, the rule
    ``grnbench table`` uses for bold); across datasets the Friedman test and Nemenyi post-hoc
    decide. When neither resolves anything the paragraph says so in as many words, so a reader
    who stops at the top does not take the first row of a table for a winner."""
    agg = stats.agg[stats.agg["repeats"] > 0]
    methods = list(dict.fromkeys(agg["method"]))
    if not methods and not len(run.frame):
        return "No task of this run has finished yet, so there is nothing to compare and no verdict."
    if len(methods) < 2:
        return (f"Only {_listing(methods) if methods else 'no method'} finished on protocol {run.headline}: "
                "there is nothing to compare, so no verdict.")
    table = pd.DataFrame({"method": agg["method"], "dataset": agg["dataset"], "mean": agg["aupr"],
                          "repeats": agg["repeats"]})
    comparisons = [(str(r.dataset), str(r.protocol), str(r.method_a), str(r.method_b), bool(r.resolved))
                   for r in stats.paired.itertuples(index=False)]
    best = resolved_best(table, comparisons, True, "aupr", run.headline)
    datasets = [d for d in run.datasets if d in set(agg["dataset"])]
    parts = []
    winners: dict[str, list[str]] = {}
    for method, dataset in sorted(best, key=lambda cell: datasets.index(cell[1])):
        winners.setdefault(method, []).append(dataset)
    compared = set(stats.paired["dataset"].astype(str)) if len(stats.paired) else set()
    open_ = [d for d in datasets if d in compared and d not in {dataset for _, dataset in best}]
    if winners:
        said = "; ".join(m if len(datasets) == 1 else f"{m} on {_listing(ds)}" for m, ds in winners.items())
        parts.append(f"Best AUPR, resolved against every other method (paired bootstrap, Holm-adjusted "
                     f"p < {1 - LEVEL:.2f}): {said}.")
    if open_ and (winners or len(open_) < len(datasets)):
        parts.append(f"Which method is best is not resolved on {_listing(open_)}: the highest AUPR there is "
                     "not resolved against every other method.")
    elif open_:
        scope = "on this dataset" if len(datasets) == 1 else f"on any of the {len(datasets)} datasets"
        parts.append(f"Which method is best is not resolved {scope}: no method with the highest AUPR has a "
                     "resolved paired difference (Holm-adjusted) to every other method, so the order of the "
                     "tables below is not a ranking.")
    uncompared = [d for d in datasets if d not in compared]
    if uncompared:
        parts.append(f"No paired comparison could be made on {_listing(uncompared)} (fewer than two methods "
                     "there with their scored test pairs in the run folder), so which method is best is not "
                     "resolved there.")
    r = stats.ranks
    if r is not None and r.tested:
        alpha = 1 - LEVEL
        leader = r.mean_rank.idxmin()
        if r.friedman_p < alpha:
            beaten = [m for m in r.mean_rank.sort_values().index if m != leader and r.nemenyi.loc[leader, m] < alpha]
            tail = (f"it ranks significantly better than {_listing(beaten)} (Nemenyi)" if beaten
                    else "but no other method ranks significantly worse (Nemenyi)")
            parts.append(f"Across the {len(r.datasets_used)} ranked datasets the ranks differ (Friedman "
                         f"p = {r.friedman_p:.3g}): {leader} has the best mean rank ({r.mean_rank[leader]:.2f}); {tail}.")
        else:
            parts.append(f"Across the {len(r.datasets_used)} ranked datasets no rank difference is resolved "
                         f"(Friedman p = {r.friedman_p:.3g}).")
    elif r is not None:
        parts.append("Too few complete datasets or methods for a rank test across datasets (it needs 3 of each).")
    flagged = agg[indistinguishable_from_random(agg)]
    if len(flagged):
        counts = flagged.groupby("method", sort=False)["dataset"].nunique()
        totals = agg.groupby("method", sort=False)["dataset"].nunique()
        said = [m + (f" ({n} of {totals[m]} datasets)" if totals[m] > 1 else "") for m, n in counts.items()]
        parts.append(f"Not distinguishable from a random ranking (the AUPR interval contains its expected "
                     f"AUPR): {_listing(said)}.")
    return " ".join(parts)


# ---------------------------------------------------------------- initialisation seeds


def seeds_section(run: RunData) -> dict[str, Any] | None:
    """Spread of each method over initialisation seeds on the same split (``--seeds``)."""
    ok = run.frame[(run.frame["status"] == "ok") & (run.frame["protocol"] == run.headline)]
    if ok.empty or ok["init_seed"].nunique() < 2:
        return None
    rows = []
    many = len(run.datasets) > 1
    for (method, dataset, repeat), part in ok.groupby(["method", "dataset", "repeat"], sort=False):
        values = part["aupr"].to_numpy(float)
        low, high = t_interval(values)
        rows.append([txt(method)] + ([txt(dataset)] if many else []) + [
            num(repeat, "int"), num(len(values), "int"), num(values.mean(), sd=values.std(ddof=1) if len(values) > 1 else math.nan),
            num(values.min()), num(values.max()), _interval_cell(low, high),
            txt(", ".join(str(int(s)) for s in part["init_seed"]))])
    table = Table(["method"] + (["dataset"] if many else []) + [
        "repeat", "seeds", "AUPR mean ± sd", "min", "max", "95% t-interval", "seed values"], rows,
        [False] + ([False] if many else []) + [True] * 6 + [False],
        ["method"] + (["dataset"] if many else []) + [
            "protocol repeat (one split)", "initialisation seeds that finished",
            "mean and sd of AUPR over the seeds", "", "", "Student-t interval of the mean over seeds", ""],
        id="seeds")
    points = ok[["method", "dataset", "init_seed", "aupr"]].assign(method=ok["method"].map(run.short))
    figure = Figure("AUPR per initialisation seed", plots.seed_spread(points),
                    "AUPR of each initialisation seed per method",
                    f"Protocol {run.headline}; every dot is one fit of the method with its own seed on the same "
                    "split, so the spread is the method's initialisation variance alone." + run.figure_note())
    return {"table": table, "figure": figure}


def statistics_context(run: RunData) -> dict[str, Any]:
    """The template's statistics blocks (and the computed ``Statistics`` for the CSV)."""
    stats = Statistics.compute(run)
    started, cpu = time.perf_counter(), time.process_time()
    context = {
        "warning": few_positives_warning(run),
        "datasets": dataset_sections(run, stats),
        "across": across_section(run, stats),
        "verdict": verdict(run, stats),
        "seeds": seeds_section(run),
        "resamples": N_RESAMPLES,
    }
    context["seconds"] = stats.seconds + (time.perf_counter() - started)
    context["cpu_seconds"] = stats.cpu_seconds + (time.process_time() - cpu)
    context["stats"] = stats
    return context
