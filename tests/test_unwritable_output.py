"""An output of the run folder that cannot be written (results.csv, edges/, beeline/, one edge
list): one line naming the path and the fix, exit 2, no traceback, no leftover temp file, the
earlier rows untouched, and the same message serially and on a LocalCluster.

Root ignores permission bits, so the outputs are made unwritable with the immutable flag
(``chattr +i``) as root and with ``chmod a-w`` otherwise."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

PLUGIN = str(Path(__file__).with_name("plugins_for_tests.py"))


def grnbench(out: Path, methods: str, workers: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grnbench", "run", "--quiet", "--dataset", "dream4-10-1",
                           "--out", str(out), "--plugin", PLUGIN, "--methods", methods, "--workers", workers,
                           "--no-cache"], capture_output=True, text=True, timeout=300)


@contextmanager
def unwritable(path: Path):
    if os.geteuid() == 0:
        if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
            pytest.skip("running as root on a file system without the immutable flag")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(path)], check=True)
    else:
        mode = path.stat().st_mode
        path.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
        try:
            yield
        finally:
            path.chmod(mode)


@pytest.fixture(scope="module")
def earlier_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("earlier") / "run"
    done = grnbench(out, "correlation", "0")
    assert done.returncode == 0, done.stderr
    return out


def one_line(done: subprocess.CompletedProcess, *needles: str) -> None:
    err = done.stderr.strip()
    assert done.returncode == 2, err
    assert "\n" not in err and "Traceback" not in err and "cluster failed" not in err, err
    for needle in needles:
        assert needle in err, err


@pytest.mark.parametrize("name, workers", [("results.csv", "0"), ("edges", "0"), ("beeline", "0"),
                                           ("results.csv", "2")])
def test_an_unwritable_output_is_refused_before_the_run(earlier_run, tmp_path, name, workers):
    out = tmp_path / "run"
    subprocess.run(["cp", "-a", str(earlier_run), str(out)], check=True)
    before = (out / "results.csv").read_bytes()
    with unwritable(out / name):
        done = grnbench(out, "correlation,random", workers)
    one_line(done, f"{out / name} is not writable", "choose another --out")
    assert (out / "results.csv").read_bytes() == before
    assert not list(out.glob(".*.tmp"))


@pytest.mark.parametrize("workers", ["0", "2"])
def test_an_edge_list_that_cannot_be_rewritten_stops_the_run_in_one_line(earlier_run, tmp_path, workers):
    out = tmp_path / "run"
    subprocess.run(["cp", "-a", str(earlier_run), str(out)], check=True)
    (edge_list,) = (out / "edges").glob("correlation*.csv")
    with unwritable(edge_list):
        done = grnbench(out, "correlation", workers)
    one_line(done, f"cannot write {edge_list}", "choose another --out")
    assert not list(out.glob(".*.tmp"))
    assert "ok" in (out / "results.csv").read_text()  # the earlier row is not replaced by a failure
