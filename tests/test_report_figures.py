"""What the report's figures and verdict say about chance and about resolution.

The heatmap and bar chart must put "random" where a random ranking of the test pairs really
lands (its exact expected AUPR), the critical-difference diagram must draw every method even
when two share a mean rank, and the verdict must say plainly when nothing is resolved.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from grnbench.evaluation.statistics import random_ranking_aupr
from grnbench.report import plots
from grnbench.report.sections import chance_aupr, duration, num
from grnbench.report.statistics import Statistics, over_random, verdict

#: two small test sets: 18 pairs with 3 positives (random AUPR 0.289, positive rate 0.167)
#: and 90 pairs with 13 positives
TEST_SETS = {"tiny": (18, 3), "small": (90, 13)}


def summary(auprs: dict[tuple[str, str], float], half_width: float = 0.05) -> pd.DataFrame:
    """Summary rows in the shape of ``comparison.aggregate`` for the columns the figures read."""
    rows = []
    for (method, dataset), aupr in auprs.items():
        n, p = TEST_SETS[dataset]
        rows.append({"method": method, "dataset": dataset, "protocol": "standard", "repeats": 1, "aupr": aupr,
                     "aupr_sd": np.nan, "aupr_ci_low": aupr - half_width, "aupr_ci_high": aupr + half_width,
                     "n_test": n, "n_positives": p, "positive_rate": p / n})
    return pd.DataFrame(rows)


def test_heatmap_value_is_aupr_over_the_expected_random_aupr_not_the_positive_rate() -> None:
    expected = random_ranking_aupr(18, 3)
    assert expected == pytest.approx(0.289, abs=1e-3)  # docs/statistics.md's example
    agg = summary({("random", "tiny"): expected, ("good", "tiny"): 2 * expected})
    over = over_random(agg).set_index("method")
    assert over.loc["random", "random"] == pytest.approx(expected)
    assert over.loc["random", "value"] == pytest.approx(1.0)  # not 0.289 / 0.167 = 1.73
    assert over.loc["good", "value"] == pytest.approx(2.0)
    assert over.loc["good", "low"] == pytest.approx((2 * expected - 0.05) / expected)
    # drawn centred on 1: log2 colour scale symmetric about 0, the random cell exactly at its middle
    wide = over.reset_index().pivot(index="method", columns="dataset", values="value")
    fig = plots.chance_heatmap_figure(wide, wide * 0.9, wide * 1.1)
    image = fig.axes[0].images[0]
    low, high = image.get_clim()
    assert low == -high
    values = image.get_array()
    assert values[list(wide.index).index("random"), 0] == pytest.approx(0.0)
    assert "1 = random" in fig.axes[1].get_ylabel()


def test_bar_chart_chance_line_is_the_expected_random_aupr_of_each_test_set() -> None:
    agg = summary({("a", "tiny"): 0.5, ("b", "tiny"): 0.4, ("a", "small"): 0.3, ("b", "small"): 0.2})
    chance = chance_aupr(agg)
    assert chance == pytest.approx({"tiny": random_ranking_aupr(18, 3), "small": random_ranking_aupr(90, 13)})
    fig = plots.aupr_bars_figure(agg, chance)
    for dataset, (n, p) in TEST_SETS.items():
        (line,) = [c for c in fig.axes[0].collections if c.get_gid() == f"chance-{dataset}"]
        heights = [float(y) for segment in line.get_segments() for _, y in segment]
        assert heights == pytest.approx([random_ranking_aupr(n, p)] * len(heights))
        assert random_ranking_aupr(n, p) > p / n  # the positive rate would have been too low


def test_critical_difference_diagram_draws_tied_methods_apart() -> None:
    mean_rank = pd.Series({"a": 1.5, "b": 1.5, "c": 3.0, "d": 4.0, "e": 5.0})
    nemenyi = pd.DataFrame(1.0, index=mean_rank.index, columns=mean_rank.index)
    for x, y in (("a", "e"), ("b", "e"), ("a", "d"), ("b", "d")):
        nemenyi.loc[x, y] = nemenyi.loc[y, x] = 0.01
    assert plots.cliques(mean_rank, nemenyi, 0.05) == [["a", "b", "c"], ["c", "d", "e"]]
    fig = plots.critical_difference_figure(mean_rank, nemenyi, 1.9, 0.05)
    texts = {t.get_text(): t for t in fig.axes[0].texts}
    assert {"a (1.50)", "b (1.50)", "c (3.00)", "(4.00) d", "(5.00) e", "CD = 1.90"} <= set(texts)
    # the tied pair: both on the left, each on its own row
    a, b = texts["a (1.50)"].get_position(), texts["b (1.50)"].get_position()
    assert a[0] == b[0] and a[1] != b[1]
    assert texts["a (1.50)"].get_ha() == "right" and texts["(5.00) e"].get_ha() == "left"
    # one thick bar per clique
    thick = [line for line in fig.axes[0].lines if line.get_linewidth() > 3]
    assert len(thick) == 2


def _statistics(auprs: dict[tuple[str, str], float], resolved: set[tuple[str, str, str]]) -> Statistics:
    agg = summary(auprs)
    paired = []
    for dataset in dict.fromkeys(agg["dataset"]):
        methods = list(agg[agg["dataset"] == dataset]["method"])
        for i, a in enumerate(methods):
            for b in methods[i + 1:]:
                paired.append({"dataset": dataset, "protocol": "standard", "method_a": a, "method_b": b,
                               "resolved": (dataset, a, b) in resolved or (dataset, b, a) in resolved})
    return Statistics(agg, pd.DataFrame(paired), None, 0.0, 0.0)


def test_verdict_says_not_resolved_when_nothing_is() -> None:
    stats = _statistics({("genie3", "tiny"): 0.6, ("random", "tiny"): 0.3, ("correlation", "tiny"): 0.5}, set())
    run = SimpleNamespace(headline="standard", datasets=["tiny"])
    text = verdict(run, stats)
    assert text.startswith("Which method is best is not resolved on this dataset")
    assert "Best AUPR, resolved" not in text
    assert "random" in text.split("Not distinguishable from a random ranking")[1]


def test_verdict_names_the_best_method_only_where_it_is_resolved_against_every_other() -> None:
    auprs = {("genie3", "tiny"): 0.9, ("random", "tiny"): 0.3, ("correlation", "tiny"): 0.5,
             ("genie3", "small"): 0.5, ("random", "small"): 0.2, ("correlation", "small"): 0.45}
    resolved = {("tiny", "genie3", "random"), ("tiny", "genie3", "correlation"), ("small", "genie3", "random")}
    run = SimpleNamespace(headline="standard", datasets=["tiny", "small"])
    text = verdict(run, _statistics(auprs, resolved))
    assert "resolved against every other method (paired bootstrap, Holm-adjusted p < 0.05): genie3 on tiny." in text
    assert "Which method is best is not resolved on small" in text  # genie3 vs correlation is not


def test_running_times_print_as_durations() -> None:
    assert duration(9.64e-05) == "<0.001 s"
    assert duration(0.1234) == "0.12 s"
    assert duration(4.24) == "4.2 s"
    assert duration(92) == "1 min 32 s"
    assert duration(7530) == "2 h 5 min"
    assert num(9.64e-05, "seconds", 7.14e-06).text == "<0.001 s"  # no sd of noise
    assert num(0.12, "seconds", 0.011).text == "0.12 s ± 0.011 s"
    assert num(9.64e-05, "seconds").sort == repr(9.64e-05)  # still sorts by the number


def test_repeated_notes_and_identical_tf_tables_are_shown_once(tmp_path) -> None:
    """A real two-dataset run whose k reaches every test pair: the TF tables of all methods on a
    dataset are the same table, and both datasets' test pairs are all C1 — one of each, naming
    where it applies, instead of a copy per method and dataset."""
    import re

    from test_report import small_run, tables_of

    from grnbench.report.render import write_report

    run = small_run(tmp_path / "run", "random,correlation", "standard", "--top-k", "1000",
                    dataset="dream4-10-1,dream4-10-2")
    html = write_report(run).read_text(encoding="utf-8")
    notes = re.findall(r'<p class="note">([^<]*)</p>', html)
    c1 = [n for n in notes if "every test pair is C1" in n]
    assert c1 == [n for n in c1 if n.startswith("dream4-10-1, dream4-10-2: every test pair is C1")] and len(c1) == 1
    reach = [n for n in notes if "reaches every test pair" in n]
    assert len(reach) == 1 and reach[0].startswith("On dream4-10-1, dream4-10-2, k = 90 reaches")  # k capped at the pairs
    assert sum(name.startswith("tfs-") for name in tables_of(html)) == 2
    headings = re.findall(r"<h3>([^<]*)</h3>\s*<div class=\"tablewrap\">\s*<table class=\"sortable tfs\"", html)
    assert headings == ["random, correlation · dream4-10-1", "random, correlation · dream4-10-2"]
    assert html.index('id="verdict"') < html.index("<nav>") < html.index('id="sec-run"')  # at the top
    # few positives on both datasets: one warning naming both in the comparison and one in "How
    # sure", not one more box per dataset
    assert html.count('<p class="warn">') == 2
    assert all(f"⚠</span> {d} ·" in html for d in ("dream4-10-1", "dream4-10-2"))


def test_verdict_does_not_call_a_dataset_compared_when_no_paired_comparison_was_possible() -> None:
    """Without edge lists (an old or copied run folder) there are no paired comparisons; the
    verdict must say so rather than report that the comparisons found nothing."""
    stats = _statistics({("genie3", "tiny"): 0.6, ("random", "tiny"): 0.3}, set())
    stats.paired = stats.paired.iloc[0:0]
    text = verdict(SimpleNamespace(headline="standard", datasets=["tiny"]), stats)
    assert text.startswith("No paired comparison could be made on tiny")
    assert "not resolved there." in text


def test_rerendering_a_folder_without_edge_lists_keeps_its_comparisons(tmp_path) -> None:
    """reports/ keeps run folders without their edge lists; `grnbench report` there used to
    rewrite comparisons.csv empty and lose every paired comparison."""
    import shutil

    from test_report import small_run

    from grnbench.report.render import write_report

    run = small_run(tmp_path / "run", "random,correlation", "standard")
    before = pd.read_csv(run / "comparisons.csv")
    assert len(before) == 1
    shutil.rmtree(run / "edges")  # and the data no longer as it was: as the folders in reports/ are
    results = pd.read_csv(run / "results.csv", keep_default_na=False)
    results.assign(dataset_hash="0000000000000000").to_csv(run / "results.csv", index=False)
    html = write_report(run).read_text(encoding="utf-8")
    after = pd.read_csv(run / "comparisons.csv")
    pd.testing.assert_frame_equal(after[before.columns], before)
    assert 'id="paired-dream4-10-1"' in html and "No paired comparison could be made" not in html
