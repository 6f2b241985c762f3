"""Learning curves (issue 25 item 2): a real run of a tiny CNNC writes one curves.csv row per
epoch of every fit, a cached re-run keeps them (from the cache entry) without duplicating
them, and the report draws them. The resumed fit's curve is checked in
test_checkpoint_resume.py, where a real process is killed mid-fit."""

from __future__ import annotations

import base64
import json

import numpy as np
import pandas as pd
import pytest

from grnbench.cli import main
from grnbench.data.protocols import parse_protocols
from grnbench.execution.cache import ResultCache, key_of
from grnbench.execution.tasks import TaskOutput
from grnbench.report.sections import RunData, learning_section
from grnbench.results.curves import COLUMNS, CurvesFile, read_curves
from grnbench.results.records import ResultRecord

CNNC = "cnnc:filters=4,dense_units=16,epochs=3,batch_size=64,patience=0"


def _run(out, *extra: str) -> int:
    return main(["run", "--quiet", "--methods", CNNC, "--dataset", "dream4-10-1", "--workers", "0",
                 "--out", str(out), *extra])


@pytest.mark.slow
def test_a_real_run_writes_three_rows_per_fit_keeps_them_when_cached_and_draws_them(tmp_path):
    out = tmp_path / "run"
    assert _run(out) == 0
    curves = pd.read_csv(out / "curves.csv")
    assert list(curves.columns) == list(COLUMNS)
    assert curves["fold"].tolist() == [f for f in range(5) for _ in range(3)]  # 5 folds (auto) × 3 epochs
    for _, fit in curves.groupby("fold"):
        assert fit["epoch"].tolist() == [1, 2, 3]
        assert fit["wall_s"].is_monotonic_increasing and fit["cpu_s"].is_monotonic_increasing
    assert curves["val_aupr"].between(0, 1).all() and np.isfinite(curves["train_loss"]).all()
    assert (curves["method"] == pd.read_csv(out / "results.csv")["method"].iloc[0]).all()
    html = (out / "report.html").read_text()
    assert 'id="sec-learning"' in html and "Learning curves (dream4-10-1)" in html
    figure = learning_section(RunData.load(out))["figures"][0]
    svg = base64.b64decode(figure.uri.split(",", 1)[1]).decode()
    assert ">cnnc<" in svg and "validation AUPR" in svg  # the method's line is drawn and named

    assert _run(out) == 0  # every task cached: the curve comes from the cache entry, once
    pd.testing.assert_frame_equal(pd.read_csv(out / "curves.csv"), curves)


def _record(method: str, repeat: int = 0) -> ResultRecord:
    return ResultRecord(method=method, dataset="d", dataset_hash="h", protocol="standard", repeat=repeat, seed=0,
                        split="stratified", parameters="{}")


def _curve(epochs: int, fold=None) -> list[dict]:
    return [{"fold": fold, "epoch": e, "train_loss": 0.7, "val_aupr": 0.1 * e, "val_accuracy": None,
             "wall_s": 1.5 * e, "cpu_s": 1.0 * e} for e in range(1, epochs + 1)]


def test_a_rerun_replaces_its_combinations_rows_and_keeps_the_others(tmp_path):
    first = CurvesFile(tmp_path, {("cnnc", "d", "standard"), ("psgrn", "d", "standard")})
    first.set(0, _record("cnnc"), _curve(3))
    first.set(1, _record("psgrn"), _curve(2))
    assert len(read_curves(tmp_path)) == 5

    again = CurvesFile(tmp_path, {("cnnc", "d", "standard")})
    again.set(0, _record("cnnc"), _curve(4))
    frame = read_curves(tmp_path)
    assert sorted(frame[frame["method"] == "cnnc"]["epoch"]) == [1, 2, 3, 4]
    assert sorted(frame[frame["method"] == "psgrn"]["epoch"]) == [1, 2]

    failed = CurvesFile(tmp_path, {("cnnc", "d", "standard")})  # a re-run whose fit failed: no curve left
    failed.set(0, _record("cnnc"), [])
    assert set(read_curves(tmp_path)["method"]) == {"psgrn"}


def test_a_damaged_curves_file_is_one_clear_error(tmp_path):
    from grnbench.errors import DataError

    (tmp_path / "curves.csv").write_text("method,epoch\ncnnc,1\n")
    with pytest.raises(DataError, match="not a grnbench curves file"):
        read_curves(tmp_path)


def test_the_cache_entry_keeps_the_curve_and_refuses_an_edited_one(tmp_path):
    cache = ResultCache(tmp_path)
    payload = {"method": "cnnc", "protocol": parse_protocols("standard")[0].label}
    key = key_of(payload)
    curve = _curve(2, fold=0)
    cache.put(key, TaskOutput(_record("cnnc"), np.arange(3), np.array([0.1, 0.2, 0.3]), curve=curve), payload)
    assert cache.get(key).curve == curve
    meta = tmp_path / f"{key}.json"
    entry = json.loads(meta.read_text())
    entry["curve"][0]["val_aupr"] = 0.99
    meta.write_text(json.dumps(entry))
    assert cache.get(key) is None and cache.refused == [key]

