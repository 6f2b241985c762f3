"""The data of each section of the HTML report, built from a run folder's saved files only.

Every section builder returns ``None`` when the run has nothing for it (no failures, no
ablation variants, a single pair count, ...), and the template shows only the sections that
exist. Tables are returned in one generic shape (``Table``) so the template renders them all
with one sortable macro; each cell carries its display text and a sort key.

Curves and the network analysis read the labels saved in each edge list. Runs written before
edge lists carried labels fall back to the dataset's gold standard (``grnbench.results.evaluate``'s
lookup); if that dataset is no longer available or has changed since the run, those parts say
so instead of guessing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from grnbench.errors import UserError
from grnbench.evaluation import catalogue as metric_catalogue
from grnbench.evaluation.metrics import DEFAULT_TOP_K, pr_curve, roc_points
from grnbench.evaluation.network_analysis import analyse_network
from grnbench.evaluation.pair_classes import CLASSES
from grnbench.report import plots
from grnbench.results.comparison import aggregate, method_base, protocol_family, random_aupr
from grnbench.results.evaluate import TaskReferences, check_rows_complete, task_edges


@dataclass
class Cell:
    text: str
    sort: str = ""
    title: str = ""


@dataclass
class Table:
    headers: list[str]
    rows: list[list[Cell]]
    #: per column: right-align and sort numerically
    numeric: list[bool]
    tips: list[str] = field(default_factory=list)
    id: str = ""


@dataclass
class Figure:
    title: str
    uri: str
    alt: str
    caption: str = ""


# ---------------------------------------------------------------- formatting


def _finite(value: Any) -> bool:
    try:
        return value is not None and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def fmt(value: Any, kind: str = "metric") -> str:
    """Display text of a number: ``metric`` 3 decimals, ``ratio`` 2, ``seconds`` as a duration
    (``duration``), ``mb`` 1 decimal, ``int`` with thousands separators; missing values as a dash."""
    if not _finite(value):
        return "–"
    value = float(value)
    if kind == "int":
        return f"{int(round(value)):,}"
    if kind == "ratio":
        return f"{value:.2f}"
    if kind == "seconds":
        return duration(value)
    if kind == "mb":
        return f"{value:,.1f}"
    if kind == "score":
        return f"{value:.4g}"
    if kind == "percent":
        return f"{value:+.1f}%"
    return f"{value:.3f}"


def num(value: Any, kind: str = "metric", sd: Any = None) -> Cell:
    """A numeric cell, optionally ``mean ± sd``, sorted by the mean (missing values sort last).
    A duration under a millisecond shows no sd: ``<0.001 s ± <0.001 s`` says nothing."""
    text = fmt(value, kind)
    if _finite(sd) and _finite(value) and not (kind == "seconds" and float(value) < SHORTEST):
        text += f" ± {fmt(sd, kind)}"
    return Cell(text, repr(float(value)) if _finite(value) else "")


def txt(value: Any, title: str = "") -> Cell:
    return Cell(str(value), str(value), title)


#: durations below this print as ``<0.001 s``: the timers' resolution and the task's own
#: overhead make smaller differences noise
SHORTEST = 0.001


def duration(seconds: Any) -> str:
    """A duration as a person reads it: ``<0.001 s``, ``0.12 s``, ``4.2 s``, ``38 s``,
    ``1 min 32 s``, ``2 h 5 min`` (two significant digits below a minute)."""
    if not _finite(seconds):
        return "–"
    seconds = float(seconds)
    if seconds < SHORTEST:
        return f"<{SHORTEST:g} s"
    if seconds < 59.5:
        return f"{float(f'{seconds:.2g}'):g} s"
    minutes, sec = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {sec} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


# ---------------------------------------------------------------- the run's saved files


class RunData:
    """A run folder's results, manifest and (lazily) labelled edge lists."""

    def __init__(self, run_dir: Path, frame: pd.DataFrame, manifest: dict[str, Any]):
        self.run_dir = Path(run_dir)
        self.frame = frame
        self.manifest = manifest
        self.agg = aggregate(frame)
        self._gold: dict[str, frozenset[tuple[str, str]] | str] = {}
        self._edges: dict[str, pd.DataFrame] = {}
        #: rebuilds each task's test pairs, to check its edge list as ``grnbench evaluate`` does
        self.references = TaskReferences(self.run_dir, manifest)
        self._curves: pd.DataFrame | None = None

    @property
    def curves(self) -> pd.DataFrame:
        """The run's ``curves.csv`` (no rows when it trained no deep method)."""
        if self._curves is None:
            from grnbench.results.curves import read_curves

            self._curves = read_curves(self.run_dir)
        return self._curves

    @classmethod
    def load(cls, run_dir: Path) -> RunData:
        """The run folder's saved files, refused as ``grnbench evaluate`` refuses them: a
        damaged results.csv or manifest.json, or a results.csv that lost rows of saved edge lists."""
        from grnbench.execution.manifest import read_manifest
        from grnbench.results.records import read_results

        frame = read_results(run_dir)
        check_rows_complete(Path(run_dir), frame)
        return cls(Path(run_dir), frame, read_manifest(Path(run_dir)))

    @property
    def short(self) -> dict[str, str]:
        """Figure labels: method names without parameters when that keeps them distinct (long
        parameter lists would crush the axes); the tables keep the full labels."""
        labels = list(dict.fromkeys(self.frame["method"].astype(str)))
        bases = [method_base(m) for m in labels]
        if len(set(bases)) == len(bases):
            return dict(zip(labels, bases, strict=True))
        return {m: m for m in labels}

    @property
    def shortened(self) -> bool:
        return any(k != v for k, v in self.short.items())

    def figure_note(self) -> str:
        return " Methods are named without their parameters (see the run section)." if self.shortened else ""

    @property
    def protocols(self) -> list[str]:
        return list(dict.fromkeys(self.frame["protocol"].astype(str)))

    @property
    def headline(self) -> str:
        """The protocol the comparison is made on: ``standard`` when run, else the first one."""
        standard = [p for p in self.protocols if protocol_family(p) == "standard"]
        return (standard or self.protocols or [""])[0]

    @property
    def datasets(self) -> list[str]:
        return list(dict.fromkeys(self.frame["dataset"].astype(str)))

    def headline_agg(self) -> pd.DataFrame:
        if self.agg.empty:
            return self.agg
        return self.agg[self.agg["protocol"] == self.headline]

    def representative_tasks(self, dataset: str) -> pd.DataFrame:
        """Per method, the first finished repeat of the headline protocol with an edge list:
        the task whose curves and network the report shows."""
        ok = self.frame[(self.frame["dataset"] == dataset) & (self.frame["protocol"] == self.headline)
                        & (self.frame["status"] == "ok") & (self.frame["edges_file"] != "")]
        return ok.sort_values("repeat", kind="stable").drop_duplicates("method")

    def gold(self, dataset: str, dataset_hash: str) -> frozenset[tuple[str, str]] | str:
        """The gold standard, or the reason it cannot be had (as text for the report)."""
        if dataset not in self._gold:
            try:
                self._gold[dataset] = self.references.dataset(dataset, dataset_hash).gold_standard
            except (UserError, OSError) as exc:
                self._gold[dataset] = str(exc)
        return self._gold[dataset]

    def datasets_with_gold(self, notes: list[str], missing: str):
        """(dataset, representative tasks, gold standard or None) for every dataset with
        finished tasks whose edge lists carry labels (None) or whose gold standard can be read;
        for the others a note ``missing`` (formatted with ``dataset`` and ``reason``) is
        appended to ``notes``."""
        for dataset in self.datasets:
            tasks = self.representative_tasks(dataset)
            if tasks.empty:
                continue
            if all(has_labels(self.run_dir / f) for f in tasks["edges_file"]):
                yield dataset, tasks, None
                continue
            gold = self.gold(dataset, str(tasks.iloc[0]["dataset_hash"]))
            if isinstance(gold, str):
                notes.append(missing.format(dataset=dataset, reason=gold))
                continue
            yield dataset, tasks, gold

    def edges(self, edges_file: str, gold: frozenset[tuple[str, str]] | None) -> pd.DataFrame:
        """The checked edge list ``edges_file`` (``grnbench.results.evaluate.task_edges``)."""
        if edges_file not in self._edges:
            rows = self.frame[self.frame["edges_file"] == edges_file]
            row = rows.iloc[0] if len(rows) else pd.Series({"edges_file": edges_file})
            self._edges[edges_file] = task_edges(self.run_dir, row, self.references if len(rows) else None, gold)
        return self._edges[edges_file]

    def ablation_of(self, method: str) -> str | None:
        """The method that ``method`` (a label) is an ablation variant of, from its class's
        ``ablation_of`` as the manifest recorded it (for older runs: the installed class)."""
        info = (self.manifest.get("methods") or {}).get(method) or {}
        if "ablation_of" in info:
            return info["ablation_of"]
        from grnbench.registry import load_registry

        cls = load_registry().methods.get(method_base(method))
        return getattr(cls, "ablation_of", None)

    def top_k(self, row: pd.Series) -> int:
        return int(self.manifest.get("top_k") or row.get("top_k") or DEFAULT_TOP_K)


def has_labels(edges_path: Path) -> bool:
    """Whether a saved edge list has a ``label`` column (runs since labels were saved)."""
    try:
        with open(edges_path, encoding="utf-8") as handle:
            return "label" in handle.readline().strip().split(",")
    except OSError:
        return False


# ---------------------------------------------------------------- 1. the run


def run_section(run: RunData) -> dict[str, Any]:
    m = run.manifest
    ds = dict(m.get("dataset") or {})
    if not ds:
        ds = {"name": ", ".join(run.datasets)}
        first = run.frame.iloc[0] if len(run.frame) else None
        if first is not None and len(run.datasets) == 1:
            ds["hash"] = first["dataset_hash"]
    samples, series = ds.get("samples"), ds.get("series")
    if samples and series:
        per = f"{samples // series} per series × {series} series" if samples % series == 0 else f"{series} series"
        ds["time_points"] = f"{per} ({samples:,} samples)"
    for key in ("name", "hash", "genes", "tfs", "time_points", "pairs", "positives", "source", "licence"):
        ds.setdefault(key, None)
    machine = dict(m.get("machine") or {})
    if machine:
        for key in ("platform", "cpu_count", "memory_gb"):
            machine.setdefault(key, "?")
    methods = []
    for label, info in (m.get("methods") or {}).items():
        params = info.get("parameters") or {}
        detail = ", ".join(f"{k}={v}" for k, v in params.items())
        kind = "supervised" if info.get("supervised") else ("unsupervised" if "supervised" in info else "")
        methods.append({"label": label, "parameters": detail, "kind": kind, "error": info.get("error", ""),
                        "source": _source_text(info.get("source") or {})})
    if not methods:
        methods = [{"label": name, "parameters": "", "kind": "", "error": "", "source": ""}
                   for name in dict.fromkeys(run.frame["method"].astype(str))]
    methods_table = Table(["method", "kind", "parameters", "from"],
                          [[txt(m["label"]), txt(m["kind"] or "–"), txt(m["error"] or m["parameters"] or "–"),
                            txt(m["source"] or "–")] for m in methods], [False, False, False, False], id="methods")
    statuses = run.frame["status"].value_counts().to_dict()
    seeds = sorted(set(run.frame["seed"].astype(int))) if len(run.frame) else []
    splits = sorted(set(run.frame["split"].astype(str))) if len(run.frame) else []
    summaries = m.get("datasets") or []
    datasets_table = None
    if len(summaries) > 1:  # one run over several datasets (--dataset LIST or SUITE)
        datasets_table = Table(
            ["dataset", "genes", "TFs", "samples", "pairs", "positives", "hash"],
            [[txt(d.get("name", "")), num(d.get("genes"), "int"), num(d.get("tfs"), "int"),
              num(d.get("samples"), "int"), num(d.get("pairs"), "int"), num(d.get("positives"), "int"),
              txt(d.get("hash", ""))] for d in summaries],
            [False, True, True, True, True, True, False], id="datasets")
    return {
        "dataset": ds,
        "datasets_table": datasets_table,
        "methods": methods,
        "methods_table": methods_table,
        "protocols": run.protocols,
        "headline": run.headline,
        "seed": m.get("seed", ", ".join(map(str, seeds))),
        "split": m.get("split", ", ".join(splits)),
        "top_k": m.get("top_k"),
        "command": m.get("command", ""),
        "started": m.get("started", ""),
        "finished": m.get("finished", ""),
        "duration": duration(m.get("duration_s")),
        "versions": m.get("versions") or {},
        "machine": machine,
        "tasks": len(run.frame),
        "statuses": ", ".join(f"{n} {s}" for s, n in statuses.items()),
        "profile": _profile(run),
        "device": (m.get("device") or {}).get("device", ""),
        "selection": _selection(m),
    }


#: what each value of the deep methods' ``selection`` parameter means, for the report
SELECTION_RULES = {"shared": "the epoch with the best validation AUPR, restored (the rule every deep method follows)",
                   "reference": "the authors' own rule (CNNC, DGRNS: the last epoch's weights)"}


def _selection(manifest: dict[str, Any]) -> str:
    """How each epoch-trained method's final weights were chosen, from the manifest's parameters."""
    parts = []
    for label, entry in (manifest.get("methods") or {}).items():
        rule = (entry.get("parameters") or {}).get("selection")
        if rule is not None:
            parts.append(f"{label}: {rule} — {SELECTION_RULES.get(str(rule), str(rule))}")
    return "; ".join(parts)


def _source_text(source: dict[str, Any]) -> str:
    """Where a method came from, as the manifest recorded it: ``grnbench 0.1.0`` or a plugin
    file with the start of its SHA-256."""
    if source.get("kind") == "plugin file":
        return f"{source.get('path')} (sha256 {str(source.get('sha256'))[:12]})"
    if source.get("distribution"):
        return f"{source['distribution']} {source.get('version') or ''}".strip()
    return ""
def _profile(run: RunData) -> str:
    """'quick' when any result ran under capped schedules (--profile quick), else ''."""
    profiles = set(run.frame["profile"].astype(str)) if "profile" in run.frame else set()
    name = (run.manifest.get("profile") or {}).get("name", "")
    return "quick" if "quick" in profiles or name == "quick" else ""


# ---------------------------------------------------------------- 2. comparison table


def comparison_section(run: RunData) -> Table | None:
    """The headline columns of the metric catalogue, one row per method, best AUPR first."""
    agg = run.headline_agg()
    if agg.empty:
        return None
    from grnbench.results.comparison import indistinguishable_from_random

    many = len(run.datasets) > 1
    columns = metric_catalogue.headline()
    first = columns[0]
    costs = [c for c in columns[1:] if c in metric_catalogue.MEASURED]
    metrics = [c for c in columns[1:] if c not in costs]

    def tip(c) -> str:
        return c.description + ("; mean ± sd over repeats" if c.with_sd else "")

    headers = (["method"] + (["dataset"] if many else []) + [first.title, f"{first.label} 95% CI"]
               + [c.title for c in metrics] + ["test pairs", "positives", "vs random"]
               + [c.title for c in costs] + ["status"])
    tips = (["method label (parameters after ':')"] + (["dataset"] if many else [])
            + [tip(first), "95% interval: stratified bootstrap over the test pairs (one task), the range of the "
               "seeds' intervals (several initialisations), or Student-t over splits"]
            + [tip(c) for c in metrics]
            + ["test pairs scored (mean over tasks)", "positives among the test pairs",
               "whether the AUPR interval contains the expected AUPR of a random ranking of the same test pairs"]
            + [tip(c) for c in costs] + ["tasks by status"])
    random_like, reference = indistinguishable_from_random(agg), random_aupr(agg)
    rows = []
    order = (["dataset"] if many else []) + [first.name]
    for index, r in agg.sort_values(order, ascending=[True] * many + [False], na_position="last", kind="stable").iterrows():
        interval = f"[{fmt(r.aupr_ci_low)}, {fmt(r.aupr_ci_high)}]" if _finite(r.aupr_ci_low) else "–"
        verdict = "–" if not _finite(r.aupr_ci_low) else (
            "not distinguishable" if random_like[index] else "above" if r.aupr_ci_low > reference[index] else "below")

        def cell(c, r=r):
            return num(r[c.name], c.kind, sd=r[f"{c.name}_sd"] if c.with_sd else None)

        rows.append([txt(r["method"])] + ([txt(r["dataset"])] if many else [])
                    + [cell(first), Cell(interval, repr(float(r.aupr_ci_low)) if _finite(r.aupr_ci_low) else "", r.interval)]
                    + [cell(c) for c in metrics]
                    + [num(r.n_test, "int"), num(r.n_positives, "int"), txt(verdict)]
                    + [cell(c) for c in costs] + [txt(r["status"])])
    numeric = ([False] + ([False] if many else []) + [True] * (2 + len(metrics)) + [True, True, False]
               + [True] * len(costs) + [False])
    return Table(headers, rows, numeric, tips, id="comparison")


# ---------------------------------------------------------------- 3. AUPR bars, PR and ROC curves


def accuracy_figures(run: RunData) -> tuple[list[Figure], list[str]]:
    """AUPR bar chart, then PR and ROC curves per dataset; notes say what could not be drawn."""
    figures: list[Figure] = []
    notes: list[str] = []
    agg = run.headline_agg()
    finished = agg[agg["repeats"] > 0]
    if finished.empty:
        return figures, notes
    control = control_aupr(finished)
    figures.append(Figure(
        "AUPR per method and dataset",
        plots.aupr_bars(finished.assign(method=finished["method"].map(run.short)), chance_aupr(finished), control),
        "Bar chart of AUPR per method",
        f"Protocol {run.headline}; error bars: sd over repeats; dashed: the expected AUPR of a random ranking "
        "of the dataset's test pairs (exact, Bestgen 2015; above the positive rate when positives are few)"
        + ("; dotted: the degree-prior shortcut control (see Shortcut controls)." if control else ".")
        + run.figure_note()))
    for dataset, tasks, gold in run.datasets_with_gold(
            notes, "PR and ROC curves of {dataset} are not drawn: {reason}"):
        pr, roc, rates = {}, {}, []
        for row in tasks.itertuples(index=False):
            edges = run.edges(row.edges_file, gold)
            labels, scores = edges["label"].to_numpy(), edges["score"].to_numpy()
            if 0 < labels.sum() < len(labels):
                pr[run.short[row.method]] = pr_curve(labels, scores)
                roc[run.short[row.method]] = roc_points(labels, scores)
                rates.append(labels.mean())
        if not pr:
            continue
        where = f"{dataset}, protocol {run.headline}, first finished repeat of each method, test pairs"
        note = "; dashed: chance." + run.figure_note()
        figures.append(Figure(f"Precision–recall curves ({dataset})", plots.curves(pr, "pr", float(np.mean(rates))),
                              f"Precision-recall curves on {dataset}", where + note))
        figures.append(Figure(f"ROC curves ({dataset})", plots.curves(roc, "roc", float(np.mean(rates))),
                              f"ROC curves on {dataset}", where + note))
    return figures, notes


# ---------------------------------------------------------------- 3b. shortcut controls

#: the supervised shortcut control (methods/degree_prior.py)
CONTROL = "degree-prior"
CLASS_TIPS = ("the test pair's TF regulates a training pair and its target is the target of one",
              "exactly one of the two is seen in training in its role",
              "neither is seen in training in its role")


def chance_aupr(agg: pd.DataFrame) -> dict[str, float]:
    """Dataset → expected AUPR of a random ranking of its test pairs (``comparison.random_aupr``;
    mean over the rows of ``agg``, which share the test pairs of one protocol)."""
    reference = random_aupr(agg)
    return {str(d): float(v) for d, v in reference.groupby(agg["dataset"], sort=False).mean().items()}


def control_aupr(agg: pd.DataFrame) -> dict[str, float]:
    """Dataset → mean AUPR of the degree-prior control in ``agg`` (rows of one protocol)."""
    rows = agg[agg["method"].map(method_base) == CONTROL]
    return {str(d): float(a) for d, a in zip(rows["dataset"], rows["aupr"], strict=True) if _finite(a)}


def controls_section(run: RunData) -> dict[str, Any] | None:
    """The split's parts, the supervised methods against the degree-prior control, and each
    method's AUPR on the C1/C2/C3 classes of its test pairs (docs/shortcuts.md)."""
    if "positives_train" not in run.frame.columns or run.frame["positives_train"].isna().all():
        return None  # a run from before these figures were recorded (read_results fills them with NaN)
    ok = run.frame[(run.frame["status"] == "ok") & (run.frame["protocol"] == run.headline)]
    if ok.empty:
        return None
    many = len(run.datasets) > 1
    verdicts, verdict_notes = _control_verdicts(run, ok)
    classes, class_notes = _class_tables(run, ok)
    return {"protocol": run.headline, "splits": _split_table(ok, many), "verdicts": verdicts,
            "notes": verdict_notes + class_notes, "classes": classes}


def _split_table(ok: pd.DataFrame, many: bool) -> Table:
    parts = ok.drop_duplicates(["dataset", "repeat"])
    several = parts.groupby("dataset")["repeat"].nunique().max() > 1
    headers = (["dataset"] if many else []) + (["repeat"] if several else []) + [
        "split", "train pairs", "train positive rate", "validation pairs", "validation positive rate",
        "test pairs", "test positives", "test positive rate", "pairs dropped"]
    rows = []
    for r in parts.itertuples(index=False):
        rows.append(([txt(r.dataset)] if many else []) + ([num(r.repeat, "int")] if several else []) + [
            txt(r.split), num(r.n_train, "int"), num(r.positive_rate_train, "score"),
            num(r.n_validation, "int"), num(r.positive_rate_validation, "score"), num(r.n_test, "int"),
            num(r.n_positives, "int"), num(r.positive_rate, "score"), num(r.n_dropped, "int")])
    numeric = [False] * (int(many) + 0) + ([True] if several else []) + [False] + [True] * 8
    return Table(headers, rows, numeric, id="split-parts")


def _supervised(run: RunData) -> dict[str, bool | None]:
    """Method label → supervised, from the manifest (None when the run did not record it)."""
    info = run.manifest.get("methods") or {}
    return {m: info.get(m, {}).get("supervised") for m in dict.fromkeys(run.frame["method"].astype(str))}


def _interval(rows: pd.DataFrame) -> tuple[float, float] | None:
    """Mean over repeats of the AUPR interval bounds, when results.csv has them."""
    if not {"aupr_ci_low", "aupr_ci_high"} <= set(rows.columns):
        return None
    low, high = rows["aupr_ci_low"].astype(float).mean(), rows["aupr_ci_high"].astype(float).mean()
    return (low, high) if _finite(low) and _finite(high) else None


def _control_verdicts(run: RunData, ok: pd.DataFrame) -> tuple[Table | None, list[str]]:
    """Every supervised method against the degree-prior control on the same test pairs.

    With intervals (``aupr_ci_low``/``aupr_ci_high``, from the statistics of the run) a method
    beats the control only when its interval lies wholly above the control's; without them
    the point estimates (mean over repeats) decide, and the section says so.
    """
    kinds = _supervised(run)
    candidates = [m for m, sup in kinds.items() if sup and method_base(m) != CONTROL]
    notes: list[str] = []
    if not candidates:
        return None, notes
    many = len(run.datasets) > 1
    rows, flagged, used_ci = [], [], []
    for dataset in run.datasets:
        here = ok[ok["dataset"] == dataset]
        control = here[here["method"].map(method_base) == CONTROL]
        if control.empty:
            notes.append(f"{dataset}: the supervised methods are not compared with the shortcut control, "
                         f"because {CONTROL} was not run (add it to --methods).")
            continue
        control_aupr_value, control_ci = control["aupr"].mean(), _interval(control)
        for method in candidates:
            mine = here[here["method"] == method]
            if mine.empty:
                continue
            aupr, ci = mine["aupr"].mean(), _interval(mine)
            if ci is not None and control_ci is not None:
                beats = bool(ci[0] > control_ci[1])
                used_ci.append(True)
                shown = f"{fmt(ci[0])}–{fmt(ci[1])} vs {fmt(control_ci[0])}–{fmt(control_ci[1])}"
            else:
                beats = bool(_finite(aupr) and aupr > control_aupr_value)
                used_ci.append(False)
                shown = "– (point estimates)"
            if not beats:
                flagged.append(f"{method}" + (f" on {dataset}" if many else ""))
            rows.append([txt(method)] + ([txt(dataset)] if many else []) + [
                num(aupr), num(control_aupr_value), num(aupr - control_aupr_value), txt(shown),
                txt("beats the control" if beats else "does NOT beat the control")])
    if not rows:
        return None, notes
    if flagged:
        notes.insert(0, f"Not better than the {CONTROL} control, which never reads expression: "
                        + ", ".join(flagged) + ". Their AUPR may come from which TFs are hubs and which "
                        "targets are heavily regulated in the training pairs, not from the time series.")
    if not all(used_ci):
        notes.append("Verdicts use point estimates (mean AUPR over repeats): results.csv has no "
                     "aupr_ci_low/aupr_ci_high interval columns for these rows.")
    else:
        notes.append("A method beats the control when its AUPR interval lies wholly above the control's.")
    headers = ["method"] + (["dataset"] if many else []) + [
        "AUPR", f"{CONTROL} AUPR", "difference", "intervals", "verdict"]
    numeric = [False] + ([False] if many else []) + [True, True, True, False, False]
    return Table(headers, rows, numeric, id="control-verdicts"), notes


def _class_tables(run: RunData, ok: pd.DataFrame) -> tuple[list[dict[str, Any]], list[str]]:
    """Per dataset, each method's AUPR on the C1/C2/C3 test pairs; one note for all the datasets
    whose test pairs all fall in one class under the same split (not one identical box each)."""
    tables: list[dict[str, Any]] = []
    one_class: dict[tuple[str, str], list[str]] = {}
    for dataset in run.datasets:
        here = ok[ok["dataset"] == dataset]
        if here.empty:
            continue
        sizes = [(here[f"n_test_c{i}"].mean(), here[f"positives_c{i}"].mean()) for i in (1, 2, 3)]
        headers = ["method"] + [f"{name} AUPR ({fmt(n, 'int')} pairs, {fmt(p, 'int')} positive)"
                                for name, (n, p) in zip(CLASSES, sizes, strict=True)]
        rows = []
        for method, group in here.groupby("method", sort=False):
            rows.append([txt(method)] + [num(group[f"aupr_c{i}"].astype(float).mean()) for i in (1, 2, 3)])
        tips = ["method"] + [f"{name}: {tip}; AUPR on these test pairs (– when the class has no positive)"
                             for name, tip in zip(CLASSES, CLASS_TIPS, strict=True)]
        tables.append({"dataset": dataset, "table": Table(headers, rows, [False, True, True, True], tips,
                                                          id=f"classes-{len(tables) + 1}")})
        present = [name for name, (n, _) in zip(CLASSES, sizes, strict=True) if n > 0]
        if len(present) == 1:
            split = ", ".join(sorted(set(here["split"].astype(str))))
            one_class.setdefault((present[0], split), []).append(dataset)
    notes = [f"{', '.join(datasets)}: every test pair is {name} under the {split} split. In the dense "
             "TF × gene universe a pair split leaves every test TF and target seen in training "
             "(C1), a TF- or target-disjoint split makes them C2, the disjoint split C3; compare "
             "runs with different --split values to see the shortcut."
             for (name, split), datasets in one_class.items()]
    return tables, notes


# ---------------------------------------------------------------- 4. running time


def time_section(run: RunData) -> dict[str, Any] | None:
    agg = run.headline_agg()
    finished = agg[agg["repeats"] > 0]
    if finished.empty:
        return None
    many = len(run.datasets) > 1
    headers = ["method"] + (["dataset"] if many else []) + [
        "fit wall", "fit CPU", "score wall", "score CPU", "total wall", "peak MB", "repeats"]
    rows = []
    for r in finished.sort_values("time_s").itertuples(index=False):
        rows.append([txt(r.method)] + ([txt(r.dataset)] if many else []) + [
            num(r.fit_wall_s, "seconds"), num(r.fit_cpu_s, "seconds"), num(r.score_wall_s, "seconds"),
            num(r.score_cpu_s, "seconds"), num(r.time_s, "seconds", r.time_s_sd), num(r.peak_memory_mb, "mb"),
            num(r.repeats, "int")])
    table = Table(headers, rows, [False] + ([False] if many else []) + [True] * 7, id="time")
    ok = run.frame[run.frame["status"] == "ok"]
    points = pd.DataFrame({"method": ok["method"].map(run.short), "pairs": ok["n_train"] + ok["n_validation"] + ok["n_test"],
                           "seconds": ok["fit_wall_s"] + ok["score_wall_s"]})
    points = points[points["seconds"] > 0]
    scaling = None
    if len(points) and points.groupby("method")["pairs"].nunique().max() > 1:
        scaling = Figure("Running time against the number of pairs", plots.time_scaling(points),
                         "Log-log plot of running time against number of pairs",
                         "Every finished task of every protocol; line: mean per pair count." + run.figure_note())
    return {"table": table, "scaling": scaling, "protocol": run.headline}


def learning_section(run: RunData) -> dict[str, Any] | None:
    """Per dataset, validation AUPR against training time of every deep fit of the headline
    protocol (``curves.csv``), with a table of where each method's best epoch came."""
    curves = run.curves
    curves = curves[(curves["protocol"].astype(str) == run.headline) & curves["val_aupr"].notna()]
    if curves.empty:
        return None
    fits = [f"{r}/{s}/{'' if f != f else int(f)}" for r, s, f in zip(curves["repeat"], curves["init_seed"],
                                                                     curves["fold"], strict=True)]
    curves = curves.assign(method=curves["method"].map(lambda m: run.short.get(m, m)), fit=fits)
    figures, rows = [], []
    for dataset, part in curves.groupby("dataset", sort=False):
        figures.append(Figure(f"Learning curves ({dataset})", plots.learning_curves(part),
                              f"Line plot of validation AUPR against training time per deep method on {dataset}",
                              "One line per fit (repeat, seed, fold); a point per epoch. Time counts from the "
                              "start of the fit (so the first epoch includes its preparation: features, "
                              "TensorFlow's start-up), across resumed runs." + run.figure_note()))
        for method, fits in part.groupby("method", sort=False):
            best = fits.loc[fits.groupby("fit", sort=False)["val_aupr"].idxmax()]
            last = fits.sort_values("epoch").groupby("fit", sort=False).tail(1)
            rows.append([txt(method), txt(dataset), num(best["val_aupr"].mean()), num(best["epoch"].mean(), "score"),
                         num(last["epoch"].mean(), "score"), num(best["wall_s"].mean(), "seconds"),
                         num(last["wall_s"].mean(), "seconds"), num(fits["fit"].nunique(), "int")])
    headers = ["method", "dataset", "best val AUPR", "best epoch", "epochs", "wall s to best", "wall s in all", "fits"]
    tips = ["method", "dataset", "best validation AUPR of a fit, mean over fits",
            "epoch of the best validation AUPR, mean over fits", "epochs trained, mean over fits",
            "training wall seconds until the best epoch ended, mean over fits",
            "training wall seconds of the whole fit, mean over fits", "fits (repeats × seeds × folds)"]
    table = Table(headers, rows, [False, False] + [True] * 6, tips, id="learning")
    return {"figures": figures, "table": table, "protocol": run.headline}


# ---------------------------------------------------------------- 5. robustness


def robustness_section(run: RunData) -> dict[str, Any] | None:
    others = [p for p in run.protocols if protocol_family(p) != "standard"]
    if not others:
        return None
    agg = run.agg
    standard = agg[agg["protocol"].map(protocol_family) == "standard"].set_index(["method", "dataset"])
    many = len(run.datasets) > 1
    headers = ["method"] + (["dataset"] if many else []) + [
        "protocol", "repeats", "AUPR", "min", "max", "AUROC", "standard", "change", "status"]
    tips = ["method"] + (["dataset"] if many else []) + [
        "protocol and its parameters", "finished repeats", "AUPR, mean ± sd over the repeats",
        "lowest AUPR of the repeats", "highest AUPR of the repeats", "AUROC, mean ± sd over the repeats",
        "AUPR of the same method under the standard protocol",
        "change of mean AUPR against the standard protocol", "tasks by status"]
    rows = []
    for r in agg[agg["protocol"].isin(others)].itertuples(index=False):
        ref = standard["aupr"].get((r.method, r.dataset), math.nan) if len(standard) else math.nan
        change = 100 * (r.aupr - ref) / ref if _finite(ref) and ref and _finite(r.aupr) else math.nan
        rows.append([txt(r.method)] + ([txt(r.dataset)] if many else []) + [
            txt(r.protocol), num(r.repeats, "int"), num(r.aupr, sd=r.aupr_sd), num(r.aupr_min),
            num(r.aupr_max), num(r.auroc, sd=r.auroc_sd), num(ref), num(change, "percent"), txt(r.status)])
    numeric = [False] + ([False] if many else []) + [False] + [True] * 7 + [False]
    table = Table(headers, rows, numeric, tips, id="robustness")
    ok = run.frame[(run.frame["status"] == "ok") & run.frame["aupr"].notna()]
    figure = None
    if len(ok):
        repeats = ok[["method", "protocol", "aupr"]].copy()
        repeats["method"] = repeats["method"].map(run.short)
        if many:
            repeats["method"] = repeats["method"] + " · " + ok["dataset"]
        figure = Figure("AUPR of every repeat", plots.repeat_spread(repeats),
                        "Box and dot plot of AUPR per repeat, per method and protocol",
                        "Box: quartiles of the repeats; dots: one per repeat." + run.figure_note())
    return {"table": table, "figure": figure}


# ---------------------------------------------------------------- 6. ablations


def ablation_section(run: RunData) -> dict[str, Any] | None:
    """Each method that has ablation variants in the run (classes with ``ablation_of``), with
    its variants and each variant's change of AUPR against it (the PSGRN paper's Fig. 6)."""
    agg = run.headline_agg()
    if agg.empty:
        return None
    parent = {m: run.ablation_of(m) for m in dict.fromkeys(agg["method"].astype(str))}
    references = list(dict.fromkeys(p for p in parent.values() if p))
    if not references:
        return None
    headers = ["variant", "dataset", "AUPR", "AUROC", "early precision", "AUPR vs full method", "status"]
    rows, figures = [], []
    for reference in references:
        part = agg[agg["method"].map(lambda m, r=reference: parent[m] == r or method_base(m) == r)]
        for dataset, group in part.groupby("dataset", sort=False):
            full = group[group["method"].map(method_base) == reference]["aupr"]
            ref = full.iloc[0] if len(full) else math.nan
            for r in group.sort_values("aupr", ascending=False, na_position="last").itertuples(index=False):
                change = 100 * (r.aupr - ref) / ref if _finite(ref) and ref and _finite(r.aupr) else math.nan
                rows.append([txt(r.method), txt(dataset), num(r.aupr, sd=r.aupr_sd), num(r.auroc),
                             num(r.early_precision), num(change, "percent"), txt(r.status)])
            done = group[group["repeats"] > 0]
            if len(done):
                chance = chance_aupr(done).get(str(dataset), math.nan)
                figures.append(Figure(f"{reference} ablations ({dataset})",
                                      plots.ablation_bars(done.assign(method=done["method"].map(run.short)),
                                                          chance if _finite(chance) else None, reference),
                                      f"Bar chart of AUPR of {reference} and its ablation variants on {dataset}",
                                      f"Red: full {reference}; blue: variants; dashed: the expected AUPR of a "
                                      "random ranking of the test pairs." + run.figure_note()))
    table = Table(headers, rows, [False, False, True, True, True, True, False], id="ablations")
    return {"table": table, "figures": figures}


# ---------------------------------------------------------------- 7. network analysis


def network_section(run: RunData) -> dict[str, Any] | None:
    confusion_rows, notes = [], []
    tf_tables: dict[tuple, dict[str, Any]] = {}  # by content: identical tables are shown once
    everything: dict[str, tuple[int, list[str]]] = {}
    many = len(run.datasets) > 1
    for dataset, tasks, gold in run.datasets_with_gold(
            notes, "network analysis of {dataset} is not shown: {reason}"):
        for _, row in tasks.iterrows():
            summary = analyse_network(run.edges(row["edges_file"], gold), run.top_k(row))
            m = summary.metrics
            confusion_rows.append([txt(row["method"])] + ([txt(dataset)] if many else []) + [
                num(m.top_k, "int"), num(m.threshold, "score"), num(m.tp, "int"), num(m.fp, "int"),
                num(m.tn, "int"), num(m.fn, "int"), num(m.precision), num(m.recall), num(m.f1)])
            if summary.covers_all_pairs:
                everything.setdefault(dataset, (m.top_k, []))[1].append(str(row["method"]))
            rows = [[txt(t.tf), num(t.predicted, "int"), num(t.in_gold, "int"), num(t.precision),
                     num(t.gold_targets, "int")] for t in summary.top_tfs.itertuples(index=False)]
            content = tuple(tuple(c.text for c in r) for r in rows)
            if content in tf_tables:  # the same table again (e.g. k reaches every pair): name it once
                tf_tables[content]["where"].append((str(row["method"]), dataset))
                continue
            tf_tables[content] = {"where": [(str(row["method"]), dataset)], "table": Table(
                ["TF", "predicted", "in gold", "precision", "gold in test"], rows, [False, True, True, True, True],
                ["regulator", "predicted edges (pairs at or above the top-k threshold)",
                 "predicted edges that are in the gold standard", "in gold / predicted",
                 "gold-standard edges of this TF among the test pairs"], id=f"tfs-{len(tf_tables) + 1}")}
    covering: dict[tuple[int, bool], list[str]] = {}
    for dataset, (k, methods) in everything.items():
        every = len(methods) == len(run.representative_tasks(dataset))
        covering.setdefault((k, every), []).append(dataset if every else f"{dataset} ({', '.join(methods)})")
    for (k, every), where in covering.items():
        who = "every method" if every else "the methods named"
        notes.append(f"On {', '.join(where)}, k = {k:,} reaches every test pair for {who}, so every pair counts "
                     "as predicted and the TF tables count test pairs per TF (a smaller --top-k gives a sparser "
                     "network).")
    if not confusion_rows and not notes:
        return None
    headers = ["method"] + (["dataset"] if many else []) + [
        "k", "threshold", "TP", "FP", "TN", "FN", "precision", "recall", "F1"]
    confusion = Table(headers, confusion_rows, [False] + ([False] if many else []) + [True] * 9, id="confusion")
    return {"confusion": confusion if confusion_rows else None, "tfs": [_tf_block(t, many) for t in tf_tables.values()],
            "notes": notes, "protocol": run.headline}


def _tf_block(block: dict[str, Any], many: bool) -> dict[str, Any]:
    """A TF table with the heading of every (method, dataset) it stands for, grouped by dataset."""
    by_dataset: dict[str, list[str]] = {}
    for method, dataset in block["where"]:
        by_dataset.setdefault(dataset, []).append(method)
    title = "; ".join(", ".join(methods) + (f" · {dataset}" if many else "") for dataset, methods in by_dataset.items())
    return {"title": title, "table": block["table"], "shared": len(block["where"]) > 1}


# ---------------------------------------------------------------- 8. failures


def failures_section(run: RunData) -> Table | None:
    bad = run.frame[run.frame["status"] != "ok"]
    if bad.empty:
        return None
    rows = [[txt(r.method), txt(r.dataset), txt(r.protocol), num(r.repeat, "int"), txt(r.status),
             txt(r.error or "(no message)")] for r in bad.itertuples(index=False)]
    return Table(["method", "dataset", "protocol", "repeat", "status", "error"], rows,
                 [False, False, False, True, False, False], id="failures")
