"""The metric catalogue is the one place a metric is declared: a family added there reaches
results.csv, ``grnbench evaluate``, ``grnbench table --metric``, the run summary and the report."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from grnbench.evaluation import catalogue as metric_catalogue
from grnbench.results.records import RECORD_COLUMNS

ADD_A_FAMILY_AND_RUN = textwrap.dedent('''
    import sys
    import numpy as np
    from grnbench.evaluation import catalogue as metric_catalogue
    from grnbench.evaluation.metrics import Column, MetricFamily

    def top_pair(scored):
        best = int(np.argmax(scored.scores))
        return {"top_label": float(scored.labels[best]), "top_score": float(scored.scores[best])}

    family = MetricFamily("top pair", (
        Column("top_label", "top label", "label of the best-scored test pair", headline=True),
        Column("top_score", "top score", "score of the best-scored test pair", None, "score")), top_pair)
    metric_catalogue.FAMILIES = metric_catalogue.FAMILIES + (family,)   # the one edit

    from grnbench.cli import main
    out = sys.argv[1]
    assert main(["run", "--methods", "random,correlation", "--dataset", "dream4-10-1", "--workers", "0",
                 "--out", out]) == 0
    assert main(["table", out, "--metric", "top_label", "--format", "csv"]) == 0
    assert main(["evaluate", out]) == 0
''')


def test_a_metric_family_added_to_the_catalogue_reaches_every_output(tmp_path: Path):
    out = tmp_path / "run"
    done = subprocess.run([sys.executable, "-c", ADD_A_FAMILY_AND_RUN, str(out)], capture_output=True,
                          text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    results = pd.read_csv(out / "results.csv")
    assert {"top_label", "top_score"} <= set(results.columns)
    assert set(results["top_label"]) <= {0.0, 1.0} and results["top_score"].notna().all()
    assert "top label" in done.stdout                      # the run summary (a headline column)
    assert "method,dream4-10-1" in done.stdout             # grnbench table --metric top_label
    assert "<th" in (out / "report.html").read_text() and "top label" in (out / "report.html").read_text()


def test_every_record_column_beyond_the_task_identity_comes_from_the_catalogue():
    identity = ["method", "dataset", "dataset_hash", "protocol", "repeat", "seed", "split", "parameters",
                "status", "error", "n_train", "n_validation", "n_test", "edges_file", "cached",
                "init_seed", "device", "profile", "threads", "thread_history",  # how the method ran
                "n_dropped", "positives_train", "positives_validation", "positive_rate_train",
                "positive_rate_validation"]  # the split's parts (pair_classes.split_figures)
    catalogue = [c.name for c in metric_catalogue.record_columns()]
    assert sorted(RECORD_COLUMNS) == sorted(identity + catalogue)
    assert "time_s" in metric_catalogue.rankable() and "tp" not in metric_catalogue.rankable()


ADD_A_PER_PAIR_FAMILY_AND_RUN = textwrap.dedent('''
    import sys
    import numpy as np
    from sklearn.metrics import average_precision_score
    from grnbench.evaluation import catalogue as metric_catalogue
    from grnbench.evaluation.metrics import Column, MetricFamily

    def tf_seen(trial, universe):
        """1 where the test pair's TF has a pair among the training pairs."""
        seen = set(trial.feature_pairs.regulators[trial.split.train].tolist())
        return {"tf_seen": np.array([int(r in seen) for r in trial.feature_pairs.regulators[trial.split.test]])}

    def aupr_seen(scored):
        keep = scored.columns["tf_seen"] == 1
        both = 0 < scored.labels[keep].sum() < keep.sum()
        return {"aupr_seen_tf": float(average_precision_score(scored.labels[keep], scored.scores[keep]))
                if both else float("nan")}

    metric_catalogue.FAMILIES = metric_catalogue.FAMILIES + (MetricFamily(
        "per TF class", (Column("aupr_seen_tf", "AUPR seen TF", "AUPR over test pairs whose TF is in training"),),
        aupr_seen, pair_columns=tf_seen),)

    from grnbench.cli import main
    out = sys.argv[1]
    assert main(["run", "--methods", "correlation", "--dataset", "dream4-10-1", "--workers", "0", "--quiet",
                 "--split", "tf-disjoint", "--out", out + "/disjoint"]) == 0
    assert main(["run", "--methods", "correlation", "--dataset", "dream4-10-1", "--workers", "0", "--quiet",
                 "--out", out + "/pairs"]) == 0
    assert main(["evaluate", out + "/pairs"]) == 0
''')


def test_a_family_with_per_pair_columns_saves_them_in_the_edge_lists_and_evaluate_uses_them(tmp_path: Path):
    out = tmp_path / "runs"
    done = subprocess.run([sys.executable, "-c", ADD_A_PER_PAIR_FAMILY_AND_RUN, str(out)], capture_output=True,
                          text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    disjoint = pd.read_csv(out / "disjoint" / "results.csv")
    assert disjoint["aupr_seen_tf"].isna().all()  # a TF-disjoint split: no test TF was seen in training
    pairs = pd.read_csv(out / "pairs" / "results.csv")
    edges = pd.read_csv(out / "pairs" / pairs["edges_file"].iloc[0])
    assert list(edges.columns) == ["regulator", "target", "score", "label", "fold", "pair_class", "tf_seen"]
    assert edges["tf_seen"].eq(1).all()  # a pair-level split on dream4-10-1 sees every TF
    assert pairs["aupr_seen_tf"].iloc[0] == pytest.approx(pairs["aupr"].iloc[0])
