"""Everything a run writes stays consistent: one writer per run folder, earlier rows kept,
damaged or foreign cache entries recomputed, damaged results refused, bad options one line."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from grnbench.cli import main

PLUGIN = str(Path(__file__).with_name("plugins_for_tests.py"))


def run(out, *args):
    return main(["run", "--quiet", "--dataset", "dream4-10-1", "--out", str(out), "--plugin", PLUGIN,
                 "--workers", "0", *args])


def results(out) -> pd.DataFrame:
    return pd.read_csv(Path(out) / "results.csv", keep_default_na=False)


def one_line_error(capsys, code: int, *needles: str) -> str:
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert "\n" not in err and "Traceback" not in err, err
    for needle in needles:
        assert needle in err, err
    return err


def test_a_second_run_into_a_busy_folder_stops_with_one_line(tmp_path, capsys):
    cmd = [sys.executable, "-m", "grnbench", "run", "--quiet", "--dataset", "dream4-10-1", "--out", str(tmp_path),
           "--plugin", PLUGIN, "--methods", "slowcorr:sleep=30", "--workers", "0", "--no-cache"]
    first = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):
            if (tmp_path / ".grnbench.lock").is_file():
                break
            time.sleep(0.1)
        code = run(tmp_path, "--methods", "correlation", "--no-cache")
        one_line_error(capsys, code, "being written by another grnbench run", f"pid {first.pid}")
    finally:
        first.kill()
        first.wait()
    # the first run was killed: its lock is stale and the next run takes the folder over
    assert (tmp_path / ".grnbench.lock").is_file()
    assert run(tmp_path, "--methods", "correlation", "--no-cache") == 0
    assert not (tmp_path / ".grnbench.lock").exists()


def test_rerunning_a_subset_of_methods_keeps_the_other_rows(tmp_path):
    assert run(tmp_path, "--methods", "correlation,random", "--protocol", "standard,noise:repeats=2") == 0
    before = results(tmp_path)
    assert run(tmp_path, "--methods", "random", "--force", "random") == 0
    after = results(tmp_path)
    assert len(after) == 6
    kept = after[after["method"] == "correlation"].reset_index(drop=True)
    pd.testing.assert_frame_equal(kept, before[before["method"] == "correlation"].reset_index(drop=True))
    assert (after["status"] == "ok").all()
    info = json.loads((tmp_path / "manifest.json").read_text())
    # the standard rows of random were replaced, its noise rows and all of correlation kept
    assert info["kept_from_earlier_runs"] == {"rows": 5, "methods": ["correlation", "random"]}
    assert main(["report", str(tmp_path)]) == 0


def _entries(cache: Path) -> list[Path]:
    return sorted(cache.glob("*.json"))


@pytest.mark.parametrize("damage", ["truncated-npz", "wrong-json-shape", "edited-record", "copied-under-other-key",
                                    "older-format"])
def test_a_damaged_or_foreign_cache_entry_is_recomputed_not_trusted(tmp_path, damage):
    args = ["--methods", "correlation,random"]
    assert run(tmp_path, *args) == 0
    good = results(tmp_path).set_index("method")
    cache = tmp_path / "cache"
    corr = next(p for p in _entries(cache) if json.loads(p.read_text())["record"]["method"] == "correlation")
    rand = next(p for p in _entries(cache) if p != corr)
    if damage == "truncated-npz":
        data = corr.with_suffix(".npz").read_bytes()
        corr.with_suffix(".npz").write_bytes(data[: len(data) // 2])
    elif damage == "wrong-json-shape":
        corr.write_text(json.dumps([1, 2, 3]))
    elif damage == "edited-record":
        entry = json.loads(corr.read_text())
        entry["record"]["aupr"] = 0.999
        corr.write_text(json.dumps(entry))
    elif damage == "copied-under-other-key":
        shutil.copy(rand, corr)
        shutil.copy(rand.with_suffix(".npz"), corr.with_suffix(".npz"))
    elif damage == "older-format":
        corr.write_text(json.dumps(json.loads(corr.read_text())["record"]))
    assert run(tmp_path, *args) == 0
    info = json.loads((tmp_path / "manifest.json").read_text())["cache"]
    assert info == {"hits": 1, "computed": 1, "refused_entries": 1}
    again = results(tmp_path).set_index("method")
    assert again.loc["correlation", "aupr"] == pytest.approx(good.loc["correlation", "aupr"])
    assert run(tmp_path, *args) == 0  # the recomputed entry replaced the damaged one
    assert json.loads((tmp_path / "manifest.json").read_text())["cache"] == {"hits": 2, "computed": 0}


def test_evaluate_refuses_a_truncated_results_file_and_leaves_it_alone(tmp_path, capsys):
    assert run(tmp_path, "--methods", "correlation,random") == 0
    path = tmp_path / "results.csv"
    text = path.read_text()
    path.write_text(text[: len(text) - 40])
    cut = path.read_bytes()
    one_line_error(capsys, main(["evaluate", str(tmp_path)]), "truncated or damaged")
    assert path.read_bytes() == cut
    # a re-run into it refuses too, rather than dropping what the file held
    one_line_error(capsys, run(tmp_path, "--methods", "random"), "truncated or damaged")


def test_evaluate_names_a_missing_edge_list_in_one_line(tmp_path, capsys):
    assert run(tmp_path, "--methods", "correlation") == 0
    for edges in (tmp_path / "edges").glob("*.csv"):
        edges.unlink()
    one_line_error(capsys, main(["evaluate", str(tmp_path)]), "edge list named in results.csv is missing")


@pytest.mark.parametrize("option, value, needle", [
    ("--seed", "-1", "--seed must be 0 or more"),
    ("--top-k", "0", "--top-k must be 1 or more"),
    ("--timeout", "-5", "--timeout must be a positive number"),
    ("--timeout", "psgrn=abc", "--timeout expects seconds"),
    ("--memory-limit", "lots", "--memory-limit expects a size"),
    ("--threads-per-worker", "0", "--threads-per-worker must be 1 or more"),
    ("--seeds", "-1", "--seeds must be 0 or more"),
    ("--timeout", "nosuch=5", "--timeout names nosuch, not a method of this run"),
    ("--force", "nosuch", "--force names nosuch, not a method of this run"),
    ("--memory-limit", "", "--memory-limit is empty"),
    ("--folds", "2", "--folds must be auto, 0"),
])
def test_bad_numbers_are_refused_before_anything_runs(tmp_path, capsys, option, value, needle):
    one_line_error(capsys, run(tmp_path / "out", "--methods", "random", option, value), needle)
    assert not (tmp_path / "out").exists()


def test_out_or_cache_that_is_a_file_or_unwritable_is_one_line(tmp_path, capsys):
    a_file = tmp_path / "file"
    a_file.write_text("x")
    one_line_error(capsys, run(a_file, "--methods", "random"), "--out", "not a folder")
    one_line_error(capsys, run(tmp_path / "ok", "--methods", "random", "--cache", str(a_file)), "--cache", "not a folder")
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        one_line_error(capsys, run(locked, "--methods", "random"), "cannot write here")


def test_a_missing_scheduler_file_fails_at_once_in_one_line(tmp_path, capsys):
    started = time.monotonic()
    code = run(tmp_path, "--methods", "random", "--scheduler-file", str(tmp_path / "nope.json"))
    one_line_error(capsys, code, "no such file", "dask scheduler --scheduler-file")
    assert time.monotonic() - started < 30


@pytest.mark.parametrize("content", ["", "{}", "not json"])
def test_an_empty_scheduler_file_is_one_line_and_writes_no_row(tmp_path, capsys, content):
    scheduler_file = tmp_path / "scheduler.json"
    scheduler_file.write_text(content)
    one_line_error(capsys, run(tmp_path / "out", "--methods", "random", "--scheduler-file", str(scheduler_file)),
                   "names no scheduler address")
    assert not (tmp_path / "out" / "results.csv").exists()


@pytest.mark.parametrize("limit", ["100MB", "10B"])
def test_a_memory_limit_a_dask_worker_cannot_start_under_is_refused(tmp_path, capsys, limit):
    """A LocalCluster worker under ~250 MB pauses for ever; refused before the cluster starts."""
    started = time.monotonic()
    one_line_error(capsys, run(tmp_path / "out", "--methods", "random", "--workers", "1", "--memory-limit", limit),
                   "below the ~300 MB a Dask worker needs")
    assert time.monotonic() - started < 30 and not (tmp_path / "out").exists()


def test_an_unwritable_results_file_is_refused_before_the_run(tmp_path, capsys):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "results.csv").mkdir()  # cannot be written as a file, even by root
    one_line_error(capsys, run(tmp_path / "out", "--methods", "random"), "results.csv is a folder where grnbench writes a file")
    assert not (tmp_path / "out" / "edges").exists()
    assert not list((tmp_path / "out").glob(".results.csv.*.tmp"))
