"""Many datasets and initialisation seeds in one real run, and what its report says about how
sure each comparison is."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from test_report import as_frame, small_run, tables_of

from grnbench.cli import main
from grnbench.datasets import SUITES, expand_datasets
from grnbench.errors import UserError
from grnbench.report.render import write_report


@pytest.fixture(scope="module")
def suite_run(tmp_path_factory) -> Path:
    """random and correlation on three DREAM4 size-10 networks, two initialisation seeds, one
    3:1:1 split each (``--folds 0``: the small test parts are what the report must warn about)."""
    root = tmp_path_factory.mktemp("suite-run")
    return small_run(root / "run", "random,correlation", "standard", "--seeds", "0,1", "--folds", "0",
                     dataset="dream4-10-1,dream4-10-2,dream4-10-3")


@pytest.fixture(scope="module")
def suite_html(suite_run: Path) -> str:
    return (suite_run / "report.html").read_text(encoding="utf-8")


def test_suites_expand_in_order_without_duplicates() -> None:
    assert expand_datasets("dream4-10") == [f"dream4-10-{i}" for i in range(1, 6)]
    assert expand_datasets("dream4-100,dream4-100-1,real") == ["dream4-100-1", "dream4-100-2", "dream4-100-3", "ecoli-cold"]
    with pytest.raises(UserError, match="unknown dataset 'dream5'"):
        expand_datasets("dream4-10-1,dream5")


def test_unknown_dataset_or_bad_seeds_are_one_line_errors(tmp_path: Path, capsys) -> None:
    assert main(["run", "--dataset", "dream4-10-1,nope", "--out", str(tmp_path / "x"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("grnbench: error: unknown dataset 'nope'") and err.count("\n") == 1
    assert main(["run", "--dataset", "dream4-10-1", "--seeds", "0,x", "--out", str(tmp_path / "y"), "--quiet"]) == 2
    assert "--seeds expects a comma list of integers" in capsys.readouterr().err


def test_datasets_list_names_the_suites(capsys) -> None:
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name, members in SUITES.items():
        assert re.search(rf"^\s+{name}\s+{re.escape(', '.join(members))}$", out, re.M)


def test_one_folder_holds_every_dataset_and_seed(suite_run: Path) -> None:
    results = pd.read_csv(suite_run / "results.csv")
    assert list(dict.fromkeys(results["dataset"])) == ["dream4-10-1", "dream4-10-2", "dream4-10-3"]
    # random once per seed, correlation (deterministic) once
    assert len(results) == 3 * (2 + 1) and set(results["status"]) == {"ok"}
    assert set(results["init_seed"]) == {0, 1}
    assert results["edges_file"].is_unique
    assert all((suite_run / f).is_file() for f in results["edges_file"])
    for _, part in results.groupby("dataset"):
        # the split is fixed by --seed: every seed of every method scores the same test pairs
        assert part["seed"].nunique() == 1 and part["n_test"].nunique() == 1
        pairs = {tuple(sorted(map(tuple, pd.read_csv(suite_run / f)[["regulator", "target"]].values)))
                 for f in part["edges_file"]}
        assert len(pairs) == 1
    random = results[results["method"] == "random"].set_index(["dataset", "init_seed"])["aupr"]
    assert (random.xs(0, level="init_seed") != random.xs(1, level="init_seed")).any(), "seeds must change random"
    for column in ("aupr_ci_low", "aupr_ci_high", "auroc_ci_low", "auroc_ci_high",
                   "early_precision_ci_low", "early_precision_ci_high"):
        assert results[column].between(0, 1).all()
    assert (results["aupr_ci_low"] <= results["aupr"]).all() and (results["aupr"] <= results["aupr_ci_high"]).all()


def test_seeds_are_part_of_the_cache_key(suite_run: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "again"
    args = ["run", "--methods", "random", "--dataset", "dream4-10-1", "--seeds", "0,1", "--folds", "0", "--workers", "0",
            "--out", str(out), "--cache", str(suite_run / "cache")]
    assert main(args) == 0
    assert "0 task(s) computed, 2 from cache" in capsys.readouterr().out
    assert main(args[:-4] + ["--seeds", "0,2", "--out", str(out), "--cache", str(suite_run / "cache")]) == 0
    assert "1 task(s) computed, 1 from cache" in capsys.readouterr().out


def test_report_has_per_dataset_statistics_and_cross_dataset_ranks(suite_html: str, suite_run: Path) -> None:
    ids = re.findall(r'<section id="([^"]+)"', suite_html)
    assert ids[:5] == ["sec-run", "sec-comparison", "sec-statistics", "sec-across", "sec-seeds"]
    tables = tables_of(suite_html)
    results = pd.read_csv(suite_run / "results.csv")
    for dataset in ("dream4-10-1", "dream4-10-2", "dream4-10-3"):
        table = as_frame(tables[f"stats-{dataset}"]).set_index("method")
        assert table.loc["correlation", "test pairs"] == "18" and table.loc["correlation", "positives"] == "3"
        paired = as_frame(tables[f"paired-{dataset}"])
        assert len(paired) == 1  # one pair of methods, random's two seeds pooled
    assert "Fewer than 30 positives" in suite_html
    ranks = as_frame(tables["ranks"]).set_index("method")
    mean = results.groupby(["method", "dataset"])["aupr"].mean().unstack()
    want = mean.rank(axis=0, ascending=False).mean(axis=1)
    for method in ("random", "correlation"):
        assert ranks.loc[method, "mean rank"] == f"{want[method]:.2f}"
    # two methods: mean ranks only, no Friedman test
    assert "no Friedman test" in suite_html
    seeds = as_frame(tables["seeds"])
    assert set(seeds["seeds"]) == {"1", "2"}  # correlation ignores the seed: fitted once
    comparisons = pd.read_csv(suite_run / "comparisons.csv")
    assert len(comparisons) == 3 and set(comparisons["n_positives"]) == {3}


def test_random_and_correlation_are_not_resolved_on_dream4_10_1(tmp_path: Path) -> None:
    """The issue's own case: 18 test pairs, 3 positives. Neither the difference between random
    and correlation nor random's distance from chance can be resolved."""
    run = small_run(tmp_path / "one", "random,correlation", "standard", "--folds", "0")
    comparisons = pd.read_csv(run / "comparisons.csv")
    (row,) = comparisons.itertuples()
    assert (row.method_a, row.method_b) == ("random", "correlation")
    assert not row.resolved and row.ci_low < 0 < row.ci_high and row.p_holm >= 0.05
    html = (run / "report.html").read_text(encoding="utf-8")
    paired = as_frame(tables_of(html)["paired-dream4-10-1"])
    assert paired["difference"].tolist() == ["not resolved"]
    stats = as_frame(tables_of(html)["stats-dream4-10-1"]).set_index("method")
    assert stats.loc["random", "vs random"] == "not distinguishable"


def test_friedman_and_cd_diagram_with_three_methods_and_datasets(suite_run: Path, tmp_path: Path) -> None:
    """Three methods on three datasets, from real edge lists: the suite run's random with seed 1
    is relabelled as a method of its own (random-b), correlation keeps seed 0."""
    copy = tmp_path / "three"
    shutil.copytree(suite_run, copy, ignore=shutil.ignore_patterns("cache"))
    results = pd.read_csv(copy / "results.csv", keep_default_na=False, na_values=[""])
    results.loc[(results["method"] == "random") & (results["init_seed"] == 1), "method"] = "random-b"
    results = results[~((results["method"] == "correlation") & (results["init_seed"] == 1))]
    results.assign(init_seed=0).to_csv(copy / "results.csv", index=False)
    html = write_report(copy).read_text(encoding="utf-8")
    assert "Friedman χ² =" in html and "Critical-difference diagram" in html
    nemenyi = as_frame(tables_of(html)["nemenyi"])
    assert list(nemenyi["method"]) == ["random", "random-b", "correlation"]
    assert len(re.findall(r'<img src="data:image/svg\+xml;base64,', html.split('id="sec-across"')[1].split("</section>")[0])) == 2
    assert "sec-seeds" not in html


def test_datasets_show_accepts_a_suite(capsys) -> None:
    assert main(["datasets", "show", "dream4-10"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("suite dream4-10: dream4-10-1") and out.count("hash:") == 5
