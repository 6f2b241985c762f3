"""The report's shortcut-controls section: split parts, verdicts against degree-prior, classes."""

from __future__ import annotations

import base64
from pathlib import Path

import pandas as pd
import pytest
from test_report import small_run, tables_of

from grnbench.report.render import render_report

SUPERVISED_PLUGIN = '''
import numpy as np

from grnbench.api import Method


class LabelBlind(Method):
    """Supervised in name only: constant scores, so it cannot beat the degree-prior control."""

    name = "label-blind"
    supervised = True
    description = "test plugin: a supervised method that ignores its training labels"

    def fit(self, data):
        self.n_ = data.dataset.n_genes

    def score_edges(self, pairs):
        return np.zeros(len(pairs))
'''


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("controls-run")
    plugin = root / "label_blind.py"
    plugin.write_text(SUPERVISED_PLUGIN)
    return small_run(root / "run", "random,degree-prior,label-blind", "standard", "--plugin", str(plugin),
                     dataset="dream4-100-1")


@pytest.fixture(scope="module")
def html(run_dir: Path) -> str:
    return render_report(run_dir)


def test_section_shows_the_split_parts_from_results(run_dir: Path, html: str) -> None:
    parts = tables_of(html)["split-parts"]
    row = dict(zip(parts[0], parts[1], strict=True))
    results = pd.read_csv(run_dir / "results.csv").iloc[0]
    assert row["split"] == "stratified"
    assert row["train pairs"] == f"{results['n_train']:,}" and row["pairs dropped"] == "0"
    assert float(row["validation positive rate"]) == pytest.approx(results["positive_rate_validation"], abs=1e-4)


def test_supervised_method_not_beating_the_control_is_flagged_by_its_interval(run_dir: Path, html: str) -> None:
    verdicts = tables_of(html)["control-verdicts"]
    row = dict(zip(verdicts[0], verdicts[1], strict=True))
    assert row["method"] == "label-blind" and row["verdict"] == "does NOT beat the control"
    assert "Not better than the degree-prior control" in html and "label-blind" in html
    assert "interval lies wholly above" in html  # every run's results carry bootstrap intervals
    assert "random" not in [r[0] for r in verdicts[1:]]  # unsupervised methods are not judged by it


def test_results_without_intervals_fall_back_to_point_estimates_and_say_so(run_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "no-ci"
    copy.mkdir()
    (copy / "manifest.json").write_bytes((run_dir / "manifest.json").read_bytes())
    frame = pd.read_csv(run_dir / "results.csv")
    frame.drop(columns=[c for c in frame.columns if "_ci_" in c]).assign(edges_file="").to_csv(
        copy / "results.csv", index=False)
    html = render_report(copy)
    row = dict(zip(*tables_of(html)["control-verdicts"][:2], strict=True))
    assert row["verdict"] == "does NOT beat the control"
    assert "Verdicts use point estimates" in html


def test_verdicts_use_aupr_intervals_when_results_have_them(run_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "with-ci"
    copy.mkdir()
    (copy / "manifest.json").write_bytes((run_dir / "manifest.json").read_bytes())
    frame = pd.read_csv(run_dir / "results.csv")
    # label-blind's interval overlaps degree-prior's from above: a higher point estimate is not enough
    frame["aupr"] = frame["method"].map({"random": 0.02, "degree-prior": 0.18, "label-blind": 0.20})
    frame["aupr_ci_low"] = frame["method"].map({"random": 0.01, "degree-prior": 0.12, "label-blind": 0.15})
    frame["aupr_ci_high"] = frame["method"].map({"random": 0.03, "degree-prior": 0.25, "label-blind": 0.26})
    frame.assign(edges_file="").to_csv(copy / "results.csv", index=False)
    html = render_report(copy)
    row = dict(zip(*tables_of(html)["control-verdicts"][:2], strict=True))
    assert row["verdict"] == "does NOT beat the control" and row["intervals"] == "0.150–0.260 vs 0.120–0.250"
    assert "interval lies wholly above" in html and "point estimates" not in html
    frame["aupr_ci_low"] = frame["aupr_ci_low"].where(frame["method"] != "label-blind", 0.26)
    frame["aupr_ci_high"] = frame["aupr_ci_high"].where(frame["method"] != "label-blind", 0.30)
    frame.assign(edges_file="").to_csv(copy / "results.csv", index=False)
    row = dict(zip(*tables_of(render_report(copy))["control-verdicts"][:2], strict=True))
    assert row["verdict"] == "beats the control"


def test_class_table_gives_each_methods_aupr_per_class_with_sizes(run_dir: Path, html: str) -> None:
    classes = tables_of(html)["classes-1"]
    assert classes[0][1].startswith("C1 AUPR (1,980 pairs, 35 positive)")
    rows = {r[0]: r for r in classes[1:]}
    results = pd.read_csv(run_dir / "results.csv").set_index("method")
    assert rows["degree-prior"][1] == f"{results.loc['degree-prior', 'aupr_c1']:.3f}"
    assert rows["degree-prior"][2] == "–" and rows["degree-prior"][3] == "–"  # empty classes
    assert "every test pair is C1 under the stratified split" in html


def test_aupr_chart_draws_the_control_as_a_dotted_reference(run_dir: Path, html: str) -> None:
    assert "dotted: the degree-prior shortcut control" in html
    uri = html.split('alt="Bar chart of AUPR per method"')[0].rsplit('src="', 1)[1].split('"', 1)[0]
    svg = base64.b64decode(uri.split(",", 1)[1]).decode("utf-8")
    assert "dotted: degree-prior" in svg


def test_results_without_the_new_columns_render_without_the_section(run_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "old"
    copy.mkdir()
    frame = pd.read_csv(run_dir / "results.csv")
    new = ("positives_", "positive_rate_", "n_test_c", "aupr_c", "n_dropped")
    old = frame.drop(columns=[c for c in frame.columns if c.startswith(new)])
    old.assign(edges_file="").to_csv(copy / "results.csv", index=False)
    assert 'id="sec-controls"' not in render_report(copy)
