"""The HTML report of a small real run: its content, checked the way a reader would read it.

The run is real (random and correlation on DREAM4 size 10, standard + noise protocols, plus a
plugin method whose fit raises, so the failures section has something to show). Numbers in
the report are compared with ``results.csv`` and with the saved edge lists.
"""

from __future__ import annotations

import base64
import re
import shutil
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from grnbench.cli import build_parser, main
from grnbench.errors import UserError
from grnbench.report.render import render_report, write_report

FAILING_PLUGIN = '''
from grnbench.api import Method



class AlwaysFails(Method):
    name = "always-fails"
    description = "test plugin whose fit raises, so the report has a failure to show"

    def fit(self, data):
        raise RuntimeError("deliberate failure for the report test")

    def score_edges(self, pairs):
        raise AssertionError("never reached")
'''


def small_run(out: Path, methods: str, protocols: str, *extra: str, dataset: str = "dream4-10-1") -> Path:
    """A real ``grnbench run`` through the CLI, in this process (no cluster for a tiny run)."""
    args = ["run", "--methods", methods, "--dataset", dataset, "--protocol", protocols,
            "--out", str(out), "--quiet", *extra]
    run_parser = build_parser()._subparsers._group_actions[0].choices["run"]  # noqa: SLF001
    if "--workers" in run_parser.format_help():
        args += ["--workers", "0"]
    main(args)
    assert (out / "results.csv").is_file()
    return out


class Tables(HTMLParser):
    """Every <table id=...> of a page as a list of rows of cell texts (header row first)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._rows: list[list[str]] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._rows = []
            self.tables.setdefault(dict(attrs).get("id") or f"table{len(self.tables)}", self._rows)
        elif tag == "tr" and self._rows is not None:
            self._rows.append([])
        elif tag in ("td", "th") and self._rows is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._rows is not None:
            self._rows[-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._rows = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def tables_of(html: str) -> dict[str, list[list[str]]]:
    parser = Tables()
    parser.feed(html)
    return parser.tables


def as_frame(rows: list[list[str]]) -> pd.DataFrame:
    return pd.DataFrame(rows[1:], columns=rows[0])


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("report-run")
    plugin = root / "always_fails.py"
    plugin.write_text(FAILING_PLUGIN)
    return small_run(root / "run", "random,correlation,always-fails", "standard,noise:repeats=2",
                     "--top-k", "5", "--plugin", str(plugin))


@pytest.fixture(scope="module")
def html(run_dir: Path) -> str:
    return write_report(run_dir).read_text(encoding="utf-8")


def test_report_is_one_self_contained_file(html: str, run_dir: Path) -> None:
    assert html.startswith("<!DOCTYPE html>")
    assert "<link" not in html and not re.search(r"<script[^>]+src=", html)
    assert not re.search(r"""(src|href)\s*=\s*["'](?!data:|#)""", html), "a resource outside the file"
    assert not re.search(r"url\((?!data:)", html)
    assert "<style>" in html and "table.sortable" in html and "addEventListener" in html
    assert (run_dir / "report.html").stat().st_size < 2_000_000


def test_sections_shown_when_their_data_exists(html: str) -> None:
    ids = re.findall(r'<section id="([^"]+)"', html)
    assert ids == ["sec-run", "sec-comparison", "sec-statistics", "sec-accuracy", "sec-controls", "sec-time", "sec-robustness",
                   "sec-network", "sec-failures"]  # no PSGRN variants were run: no ablations


def test_run_section_describes_the_dataset_and_run(html: str, run_dir: Path) -> None:
    from grnbench.data.universe import dataset_summary
    from grnbench.datasets import load_dataset

    s = dataset_summary(load_dataset("dream4-10-1"))
    run = html.split('id="sec-run"')[1].split("</section>")[0]
    for label, value in (("genes", s["genes"]), ("TFs (candidate regulators)", s["tfs"]),
                         ("candidate pairs", s["pairs"]), ("positives (gold-standard edges)", s["positives"])):
        assert re.search(rf"<dt>{re.escape(label)}</dt><dd>{value:,}\b", run), label
    assert f"{s['samples'] // s['series']} per series × {s['series']} series" in run
    assert "standard; noise,repeats=2" in run and "grnbench 0.1.0" in run and "CPUs" in run


def test_methods_table_says_where_each_method_comes_from(html: str) -> None:
    methods = as_frame(tables_of(html)["methods"]).set_index("method")
    assert methods.loc["random", "from"].startswith("grnbench ")
    assert "always_fails.py (sha256 " in methods.loc["always-fails", "from"]


def test_comparison_table_matches_results(html: str, run_dir: Path) -> None:
    results = pd.read_csv(run_dir / "results.csv")
    standard = results[results["protocol"] == "standard"].set_index("method")
    table = as_frame(tables_of(html)["comparison"])
    assert list(table.columns) == ["method", "AUPR", "AUPR 95% CI", "AUPR ratio", "AUROC", "early precision",
                                   "test pairs", "positives", "vs random", "fit s", "score s", "peak MB", "status"]
    table = table.set_index("method")
    for method in ("random", "correlation"):
        assert table.loc[method, "AUPR"] == f"{standard.loc[method, 'aupr']:.3f}"
        assert table.loc[method, "AUROC"] == f"{standard.loc[method, 'auroc']:.3f}"
        assert table.loc[method, "status"] == "ok"
        row = standard.loc[method]
        assert table.loc[method, "AUPR 95% CI"] == f"[{row['aupr_ci_low']:.3f}, {row['aupr_ci_high']:.3f}]"
        assert table.loc[method, "test pairs"] == f"{row['n_test']:,}"
        assert table.loc[method, "positives"] == f"{row['n_positives']:,}"
    assert table.loc["always-fails", "status"] == "1 failed"
    assert table.loc["always-fails", "AUPR"] == "–"
    ordered = [m for m in table.index if m != "always-fails"]
    auprs = [standard.loc[m, "aupr"] for m in ordered]
    assert auprs == sorted(auprs, reverse=True), "best AUPR first"


def test_figures_are_inline_svgs_of_the_methods(html: str) -> None:
    uris = re.findall(r'<img src="data:image/svg\+xml;base64,([^"]+)"', html)
    # AUPR bars, PR curves, ROC curves, AUPR per repeat (one pair count: no scaling plot)
    assert len(uris) == 4 and len(re.findall(r"<img ", html)) == 4
    for uri in uris:
        svg = base64.b64decode(uri).decode("utf-8")
        ET.fromstring(svg)  # well-formed
        assert "correlation" in svg and "random" in svg
        assert "always-fails" not in svg  # it has no finished task to plot


def test_robustness_shows_mean_sd_and_spread_of_repeats(html: str, run_dir: Path) -> None:
    results = pd.read_csv(run_dir / "results.csv")
    noise = results[(results["protocol"] == "noise,repeats=2") & (results["method"] == "correlation")]
    table = as_frame(tables_of(html)["robustness"]).set_index(["method", "protocol"])
    row = table.loc[("correlation", "noise,repeats=2")]
    assert row["repeats"] == "2"
    assert row["AUPR"] == f"{noise['aupr'].mean():.3f} ± {noise['aupr'].std():.3f}"
    assert row["min"] == f"{noise['aupr'].min():.3f}" and row["max"] == f"{noise['aupr'].max():.3f}"


def test_network_analysis_counts_predicted_edges_per_tf(html: str, run_dir: Path) -> None:
    from grnbench.datasets import load_dataset

    gold = load_dataset("dream4-10-1").gold_standard
    results = pd.read_csv(run_dir / "results.csv", keep_default_na=False)
    record = results[(results["protocol"] == "standard") & (results["method"] == "correlation")].iloc[0]
    tables = tables_of(html)
    confusion = as_frame(tables["confusion"]).set_index("method")
    for key in ("tp", "fp", "tn", "fn"):
        assert confusion.loc["correlation", key.upper()] == f"{int(record[key]):,}"
    assert confusion.loc["correlation", "k"] == "5"
    # independent oracle: every pair scoring at least the 5th-highest score, counted per TF
    edges = pd.read_csv(run_dir / record["edges_file"])
    kth = edges["score"].sort_values(ascending=False).iloc[4]
    top = edges[edges["score"] >= kth]
    expected = {tf: (len(g), sum((tf, t) in gold for t in g["target"])) for tf, g in top.groupby("regulator")}
    assert sum(name.startswith("tfs-") for name in tables) == 2  # random and correlation
    section = html.split('id="sec-network"')[1]
    block = section.split("<h3>correlation</h3>")[1].split("</table>")[0] + "</table>"
    rows = as_frame(next(iter(tables_of(block).values())))
    got = {r["TF"]: (int(r["predicted"]), int(r["in gold"])) for _, r in rows.iterrows()}
    assert got == expected
    counts = [int(c) for c in rows["predicted"]]
    assert counts == sorted(counts, reverse=True) and len(rows) <= 15


def test_failures_section_names_task_and_reason(html: str) -> None:
    failures = as_frame(tables_of(html)["failures"])
    assert failures["method"].tolist() == ["always-fails"] * 3  # standard + 2 noise repeats
    assert set(failures["status"]) == {"failed"}
    assert all("deliberate failure for the report test" in e for e in failures["error"])


def test_report_command_rerenders_without_running(run_dir: Path) -> None:
    results_before = (run_dir / "results.csv").read_bytes()
    edges_before = sorted(p.name for p in (run_dir / "edges").iterdir())
    (run_dir / "report.html").unlink()
    assert main(["report", str(run_dir)]) == 0
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    assert (run_dir / "results.csv").read_bytes() == results_before
    assert sorted(p.name for p in (run_dir / "edges").iterdir()) == edges_before
    assert "comparison" in tables_of(html)


def test_only_sections_with_data_for_a_standard_run(tmp_path: Path) -> None:
    run = small_run(tmp_path / "std", "random", "standard")
    ids = re.findall(r'<section id="([^"]+)"', render_report(run))
    assert ids == ["sec-run", "sec-comparison", "sec-statistics", "sec-accuracy", "sec-controls", "sec-time", "sec-network"]


def _copy_with_changed_hash(run_dir: Path, copy: Path, drop_labels: bool) -> None:
    results = pd.read_csv(run_dir / "results.csv", keep_default_na=False)
    (copy / "edges").mkdir(parents=True)
    for p in (run_dir / "edges").iterdir():
        edges = pd.read_csv(p)
        (edges.drop(columns="label") if drop_labels else edges).to_csv(copy / "edges" / p.name, index=False)
    (copy / "manifest.json").write_bytes((run_dir / "manifest.json").read_bytes())
    results.assign(dataset_hash="0000000000000000").to_csv(copy / "results.csv", index=False)


def test_report_reads_labels_from_the_edge_lists_not_the_dataset(run_dir: Path, tmp_path: Path) -> None:
    _copy_with_changed_hash(run_dir, tmp_path / "changed", drop_labels=False)
    html = render_report(tmp_path / "changed")
    assert "has changed since the run" not in html
    assert html.count("<img ") == render_report(run_dir).count("<img ")


def test_report_of_an_old_run_says_why_curves_are_missing_when_the_dataset_changed(run_dir: Path, tmp_path: Path) -> None:
    """Edge lists written before labels were saved fall back to the dataset, checked by hash."""
    _copy_with_changed_hash(run_dir, tmp_path / "changed", drop_labels=True)
    html = render_report(tmp_path / "changed")
    assert "has changed since the run" in html
    assert html.count("<img ") == 2  # AUPR bars and repeat spread still drawn from results.csv


def test_ablation_section_groups_variants_by_their_ablation_of_attribute(run_dir: Path, tmp_path: Path) -> None:
    """Presentation only: the real run's rows are relabelled as PSGRN and one variant so the
    section's selection and its change-vs-full column can be checked without training PSGRN."""
    from grnbench.report import sections

    frame = pd.read_csv(run_dir / "results.csv", keep_default_na=False, na_values=[""])
    frame["method"] = frame["method"].replace({"correlation": "psgrn", "random": "psgrn-fm-dn:epochs=1"})
    run = sections.RunData(tmp_path, frame, {})
    section = sections.ablation_section(run)
    rows = {r[0].text: r for r in section["table"].rows}
    assert set(rows) == {"psgrn", "psgrn-fm-dn:epochs=1"}
    standard = frame[frame["protocol"] == "standard"].set_index("method")["aupr"]
    change = 100 * (standard["psgrn-fm-dn:epochs=1"] - standard["psgrn"]) / standard["psgrn"]
    assert rows["psgrn-fm-dn:epochs=1"][5].text == f"{change:+.1f}%"
    assert len(section["figures"]) == 1
    svg = base64.b64decode(section["figures"][0].uri.split(",", 1)[1]).decode("utf-8")
    assert "psgrn-fm-dn" in svg and "epochs=1" not in svg  # figures drop parameters kept in tables
    assert sections.ablation_section(sections.RunData(tmp_path, frame.assign(method="psgrn"), {})) is None


def test_report_without_manifest_or_finished_tasks(run_dir: Path, tmp_path: Path) -> None:
    """An interrupted run may lack manifest.json, or have no finished task yet: the report still
    renders what the saved files hold."""
    copy = tmp_path / "no-manifest"
    (copy / "edges").mkdir(parents=True)
    for p in (run_dir / "edges").iterdir():
        (copy / "edges" / p.name).write_bytes(p.read_bytes())
    (copy / "results.csv").write_bytes((run_dir / "results.csv").read_bytes())
    html = render_report(copy)
    assert "grnbench report: dream4-10-1" in html and html.count("<img ") == 4
    header = (run_dir / "results.csv").read_text().splitlines()[0]
    (copy / "results.csv").write_text(header + "\n")
    with pytest.raises(UserError, match="has no row for .* saved edge list"):  # rows lost, not unfinished
        render_report(copy)
    shutil.rmtree(copy / "edges")
    html = render_report(copy)
    ids = re.findall(r'<section id="([^"]+)"', html)
    assert ids == ["sec-run"]
    assert "No task of this run has finished yet" in html and "Only no method" not in html


def test_the_report_says_how_each_deep_method_was_selected():
    from grnbench.report.sections import _selection

    text = _selection({"methods": {"cnnc": {"parameters": {"selection": "shared"}},
                                   "dgrns": {"parameters": {"selection": "reference"}},
                                   "genie3": {"parameters": {"variant": "genie3py"}}}})
    assert "cnnc: shared — the epoch with the best validation AUPR" in text
    assert "dgrns: reference — the authors' own rule" in text and "genie3" not in text
