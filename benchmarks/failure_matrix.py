"""The runner's failure matrix, run as a user would (the `grnbench` CLI in a subprocess).

Usage: python benchmarks/failure_matrix.py [--out benchmarks/results/failure_matrix.txt]

Cases: a task that crashes its process (os._exit), one that allocates past --memory-limit,
one that overruns --timeout — serially and on a 2-worker LocalCluster —; a queue of tasks
longer than the time limit (queueing must not count); a Dask worker killed while it runs a
task (external `dask scheduler` + two `dask worker`, 127.0.0.1 only); damaged cache entries;
two concurrent runs into one folder; a missing --scheduler-file; and the second matrix's
(issue 23) inputs that must be refused in one line before anything runs or is rewritten: a
--memory-limit a worker cannot start under (the forever-pause), names in --timeout/--force not
in the run, --seeds -1, an infeasible split, empty scheduler files, runs into a folder of
another split/seed or other data, a plugin calling sys.exit at import, a file named .xz that is
not xz, evaluate on a results.csv that lost rows; and Ctrl-C sent to a LocalCluster run's
process group (then the same command resumes), results.csv / edges/ / an edge list that
cannot be written (immutable flag as root), `grnbench check` on a method that calls os._exit
in fit or gives unseeded scores, and a plugin calling os._exit(5) / sys.exit(3) at import under
run, check and list. Every case uses tiny
`--plugin` methods (tests/plugins_for_tests.py) on dream4-10-1 with `correlation` and
`random` as the innocent tasks, and prints one line: PASS/FAIL, the case, what was seen.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import psutil

ROOT = Path(__file__).resolve().parents[1]
PLUGIN = str(ROOT / "tests" / "plugins_for_tests.py")
# `python -m dask`: a venv with --system-site-packages has no `dask` script of its own
DASK = [sys.executable, "-m", "dask"]


def grnbench(out: Path, *args: str, wait: bool = True):
    cmd = [sys.executable, "-m", "grnbench", "run", "--quiet", "--dataset", "dream4-10-1", "--out", str(out),
           "--plugin", PLUGIN, *args]
    if not wait:
        return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=900)


def rows(out: Path) -> dict[str, tuple[str, str]]:
    frame = pd.read_csv(out / "results.csv", keep_default_na=False)
    return {f"{r.method}#{r.repeat}" if r.protocol != "standard" else r.method: (r.status, r.error)
            for r in frame.itertuples()}


def finished(out: Path) -> bool:
    return (out / "manifest.json").is_file() and (out / "report.html").is_file()


def innocent_ok(found: dict, names=("correlation", "random")) -> bool:
    return all(found.get(n, ("missing",))[0] == "ok" for n in names)


class Matrix:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def verdict(self, ok: bool, case: str, seen: str, seconds: float) -> None:
        line = f"{'PASS' if ok else 'FAIL'}  {case:<34} {seen}  ({seconds:.0f} s)"
        print(line, flush=True)
        self.lines.append(line)


def task_failures(m: Matrix, tmp: Path, workers: str) -> None:
    out = tmp / f"failures-{workers}"
    t = time.monotonic()
    proc = grnbench(out, "--methods", "crashing,memoryhog:mb=4000,slowcorr:sleep=600,correlation,random",
                    "--workers", workers, "--memory-limit", "400MB", "--timeout", "slowcorr=10", "--no-cache")
    took = time.monotonic() - t
    found = rows(out) if (out / "results.csv").is_file() else {}
    where = "serial" if workers == "0" else "dask 2 workers"
    # exit 1: some task failed, timed out or ran out of memory, every result still written
    clean = "Traceback" not in proc.stderr and finished(out) and innocent_ok(found) and proc.returncode == 1
    tail = f"others ok, manifest+report, exit {proc.returncode}" if clean else f"stderr: {proc.stderr[-300:]!r}"
    for case, name, status in (("crash (os._exit)", "crashing", "failed"),
                               ("memory limit 400MB", "memoryhog:mb=4000", "oom"),
                               ("timeout 10 s", "slowcorr:sleep=600.0", "timeout")):
        got = found.get(name, ("missing", ""))
        m.verdict(clean and got[0] == status, f"{case} / {where}", f"{got[0]}: {got[1][:70]}; {tail}", took)


def queued_time(m: Matrix, tmp: Path) -> None:
    out = tmp / "queued"
    t = time.monotonic()
    proc = grnbench(out, "--methods", "slowcorr:sleep=2", "--protocol", "noise:repeats=4", "--workers", "1",
                    "--timeout", "7", "--no-cache")
    found = rows(out) if (out / "results.csv").is_file() else {}
    statuses = sorted(s for s, _ in found.values())
    m.verdict(statuses == ["ok"] * 4 and finished(out), "queue time not counted / dask 1",
              f"4 tasks of 2 s behind each other under --timeout 7: {statuses}, exit {proc.returncode}"
              + (f" ({proc.stderr.strip().splitlines()[-1][:100]!r})" if proc.returncode and proc.stderr.strip() else ""),
              time.monotonic() - t)


def worker_killed(m: Matrix, tmp: Path) -> None:
    sched = tmp / "scheduler.json"
    procs = [subprocess.Popen([*DASK, "scheduler", "--host", "127.0.0.1", "--port", "0",
                               "--no-dashboard", "--scheduler-file", str(sched)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    t = time.monotonic()
    seen = "no task process found to kill"
    ok = False
    try:
        while not (sched.is_file() and sched.stat().st_size):
            time.sleep(0.2)
        for _ in range(2):
            procs.append(subprocess.Popen([*DASK, "worker", "--scheduler-file", str(sched), "--nthreads", "1",
                                           "--no-dashboard", "--host", "127.0.0.1"],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        out = tmp / "worker-killed"
        run = grnbench(out, "--methods", "slowcorr:sleep=20,correlation,random", "--scheduler-file", str(sched),
                       "--no-cache", wait=False)
        victim = None
        deadline = time.monotonic() + 300
        while victim is None and time.monotonic() < deadline and run.poll() is None:
            for p in psutil.process_iter(["cmdline"]):
                if "grnbench.execution.task_process" in " ".join(p.info["cmdline"] or []):
                    try:  # only a worker of this case's cluster (its nanny names our scheduler file)
                        worker = p.parent()
                        if str(sched) in " ".join(worker.parent().cmdline()):
                            victim = worker
                            break
                    except (psutil.Error, AttributeError):
                        continue
            time.sleep(0.3)
        if victim is not None:
            victim.send_signal(signal.SIGKILL)  # the worker process; its nanny starts a new one
        _, err = run.communicate(timeout=900)
        found = rows(out) if (out / "results.csv").is_file() else {}
        ok = (victim is not None and finished(out) and "Traceback" not in err
              and all(s == "ok" for s, _ in found.values()) and len(found) == 3)
        seen = (f"killed worker pid {victim.pid if victim else '-'} mid-task; rows "
                f"{ {k: v[0] for k, v in found.items()} }, exit {run.returncode}")
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
    m.verdict(ok, "worker killed mid-run / external", seen, time.monotonic() - t)


def damaged_cache(m: Matrix, tmp: Path) -> None:
    out = tmp / "cache"
    t = time.monotonic()
    grnbench(out, "--methods", "correlation,random", "--workers", "0")
    entries = sorted((out / "cache").glob("*.json"))
    npz = entries[0].with_suffix(".npz")
    npz.write_bytes(npz.read_bytes()[:100])  # truncated arrays
    entries[1].write_text(json.dumps({"format": 2, "record": [1]}))  # JSON of the wrong shape
    proc = grnbench(out, "--methods", "correlation,random", "--workers", "0")
    info = json.loads((out / "manifest.json").read_text())["cache"]
    ok = proc.returncode == 0 and info.get("computed") == 2 and info.get("refused_entries") == 2 and \
        innocent_ok(rows(out))
    m.verdict(ok, "damaged cache entries", f"truncated .npz + wrong-shape JSON: {info}, exit {proc.returncode}",
              time.monotonic() - t)


def concurrent_runs(m: Matrix, tmp: Path) -> None:
    out = tmp / "concurrent"
    t = time.monotonic()
    first = grnbench(out, "--methods", "slowcorr:sleep=15,correlation", "--workers", "0", "--no-cache", wait=False)
    while not (out / ".grnbench.lock").is_file() and first.poll() is None:
        time.sleep(0.1)
    second = grnbench(out, "--methods", "random", "--workers", "0", "--no-cache")
    first.communicate(timeout=600)
    third = grnbench(out, "--methods", "random", "--workers", "0", "--no-cache")
    found = rows(out)
    err = second.stderr.strip()
    ok = (second.returncode == 2 and "being written by another grnbench run" in err and "\n" not in err
          and third.returncode == 0 and len(found) == 3 and all(s == "ok" for s, _ in found.values()))
    m.verdict(ok, "two runs into one --out", f"second: exit {second.returncode} {err[:90]!r}; after: "
              f"{sorted(found)} all ok", time.monotonic() - t)


def missing_scheduler_file(m: Matrix, tmp: Path) -> None:
    t = time.monotonic()
    proc = grnbench(tmp / "nofile", "--methods", "random", "--scheduler-file", str(tmp / "missing.json"))
    err = proc.stderr.strip()
    took = time.monotonic() - t
    m.verdict(proc.returncode == 2 and "\n" not in err and took < 60, "missing --scheduler-file",
              f"exit {proc.returncode}: {err[:100]!r}", took)


def one_line_refusals(m: Matrix, tmp: Path) -> None:
    """Bad inputs refused before the run: exit 2, one line, no traceback, nothing written."""
    base = tmp / "refusals"
    grnbench(base, "--methods", "correlation", "--workers", "0")  # an earlier run to refuse against
    before = (base / "results.csv").read_bytes()
    empty = tmp / "empty-scheduler.json"
    empty.write_text("")
    braces = tmp / "braces-scheduler.json"
    braces.write_text("{}")
    exiting = tmp / "exiting_plugin.py"
    exiting.write_text("import sys\nsys.exit(0)\n")
    not_xz = tmp / "expr.tsv.xz"
    not_xz.write_text("not xz at all")
    cut = tmp / "cut"
    grnbench(cut, "--methods", "correlation,random", "--workers", "0")
    lines = (cut / "results.csv").read_text().splitlines(keepends=True)
    (cut / "results.csv").write_text("".join(lines[:2]))
    fresh = tmp / "fresh"
    cases = [
        ("--memory-limit 100MB, 2 workers", ["--methods", "random", "--workers", "2", "--memory-limit", "100MB"], fresh),
        ("--memory-limit 10B, 2 workers", ["--methods", "random", "--workers", "2", "--memory-limit", "10B"], fresh),
        ("--memory-limit ''", ["--methods", "random", "--memory-limit", ""], fresh),
        ("--timeout nosuch=5", ["--methods", "random", "--timeout", "nosuch=5"], fresh),
        ("--force nosuch", ["--methods", "random", "--force", "nosuch"], fresh),
        ("--seeds -1", ["--methods", "random", "--seeds", "-1"], fresh),
        ("infeasible --folds 40", ["--methods", "random", "--folds", "40"], fresh),
        ("empty --scheduler-file", ["--methods", "random", "--scheduler-file", str(empty)], fresh),
        ("{} --scheduler-file", ["--methods", "random", "--scheduler-file", str(braces)], fresh),
        ("rerun into --out, other --seed", ["--methods", "random", "--seed", "1", "--workers", "0"], base),
        ("rerun into --out, other --split", ["--methods", "random", "--split", "tf-disjoint", "--workers", "0"], base),
        ("plugin sys.exit(0) at import", ["--methods", "random", "--plugin", str(exiting)], fresh),
    ]
    for case, args, out in cases:
        t = time.monotonic()
        proc = grnbench(out, *args)
        err = proc.stderr.strip()
        untouched = (not (fresh / "results.csv").exists()) and (base / "results.csv").read_bytes() == before
        ok = proc.returncode == 2 and "\n" not in err and "Traceback" not in err and untouched
        m.verdict(ok, case, f"exit {proc.returncode}: {err[:110]!r}", time.monotonic() - t)
    for case, cmd in (("a .xz that is not xz", ["run", "--quiet", "--expression", str(not_xz), "--gold-standard",
                                                 str(ROOT / "tests/data/inputs/replicates/gold.tsv"),
                                                 "--out", str(fresh)]),
                      ("evaluate: results.csv lost rows", ["evaluate", str(cut)])):
        t = time.monotonic()
        proc = subprocess.run([sys.executable, "-m", "grnbench", *cmd], capture_output=True, text=True, timeout=300)
        err = proc.stderr.strip()
        ok = proc.returncode == 2 and "\n" not in err and "Traceback" not in err
        if case.startswith("evaluate"):
            ok = ok and (cut / "results.csv").read_text() == "".join(lines[:2])
        m.verdict(ok, case, f"exit {proc.returncode}: {err[:110]!r}", time.monotonic() - t)


def ctrl_c(m: Matrix, tmp: Path) -> None:
    """SIGINT to the run's whole process group, as a terminal sends Ctrl-C, then the same command."""
    out = tmp / "interrupted"
    args = ["--methods", "correlation,random,slowcorr:sleep=30", "--workers", "2"]
    cmd = [sys.executable, "-m", "grnbench", "run", "--dataset", "dream4-10-1", "--out", str(out), "--plugin", PLUGIN,
           *args]
    t = time.monotonic()
    # A terminal's foreground job has SIGINT at its default; a matrix started with `&` from a
    # script inherits it ignored (POSIX), and so would the run: restore the terminal's case.
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    while time.monotonic() - t < 300 and proc.poll() is None:
        if (out / "results.csv").is_file() and len(pd.read_csv(out / "results.csv")) >= 2:
            break
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    kept = sorted(pd.read_csv(out / "results.csv").method) if (out / "results.csv").is_file() else []
    rerun = grnbench(out, *args)
    resumed = (out / "results.csv").is_file() and len(pd.read_csv(out / "results.csv")) == 3
    lines = err.strip().splitlines()
    ok = (proc.returncode == 130 and "Traceback" not in err and "KeyboardInterrupt" not in err
          and lines and "interrupted; finished tasks are saved" in lines[-1] and kept == ["correlation", "random"]
          and rerun.returncode == 0 and resumed)
    m.verdict(ok, "Ctrl-C (SIGINT to the group) / dask 2", f"exit {proc.returncode}, last line {lines[-1][:60]!r}, "
              f"kept {kept}; re-run exit {rerun.returncode}, {'resumed' if resumed else 'NOT resumed'}",
              time.monotonic() - t)


def _immutable(path: Path, on: bool) -> bool:
    """Unwritable even by root: the immutable flag (chmod as another user)."""
    if os.geteuid() != 0:
        path.chmod(path.stat().st_mode & ~0o222 if on else path.stat().st_mode | 0o200)
        return True
    return subprocess.run(["chattr", "+i" if on else "-i", str(path)], capture_output=True).returncode == 0


def unwritable_outputs(m: Matrix, tmp: Path) -> None:
    """results.csv, edges/ or one edge list that cannot be written: one line naming the path, exit 2."""
    earlier = tmp / "writable"
    grnbench(earlier, "--methods", "correlation", "--workers", "0")
    for target, workers in (("results.csv", "0"), ("edges", "0"), ("edges", "2"), ("edge list", "0"),
                            ("edge list", "2")):
        out = tmp / f"unwritable-{target.replace(' ', '-')}-{workers}"
        shutil.copytree(earlier, out)
        path = next((out / "edges").glob("correlation*.csv")) if target == "edge list" else out / target
        before = (out / "results.csv").read_bytes()
        if not _immutable(path, True):
            m.verdict(False, f"unwritable {target} / w{workers}", "could not make it unwritable here", 0)
            continue
        t = time.monotonic()
        try:
            proc = grnbench(out, "--methods", "correlation,random", "--workers", workers, "--force", "correlation")
        finally:
            _immutable(path, False)
        err = proc.stderr.strip()
        leftovers = list(out.glob(".*.tmp"))
        ok = (proc.returncode == 2 and "\n" not in err and "Traceback" not in err and "cluster failed" not in err
              and str(path) in err and not leftovers and (target == "edge list" or
                                                          (out / "results.csv").read_bytes() == before))
        where = "serial" if workers == "0" else "dask 2 workers"
        m.verdict(ok, f"unwritable {target} / {where}", f"exit {proc.returncode}: {err[:110]!r}",
                  time.monotonic() - t)


def check_and_plugin_exits(m: Matrix, tmp: Path) -> None:
    """grnbench check on a method that ends its process or is not deterministic; a plugin that
    ends the process at import, under run, check and list."""
    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "grnbench", *args], capture_output=True, text=True, timeout=300)

    failing = str(ROOT / "tests" / "plugins_failing_checks.py")
    for case, name, needle, wrong in (("check: os._exit(7) in fit", "exits_in_fit", "it exited with code 7", None),
                                      ("check: unseeded scores", "noisy", "same seed changed the scores", "must not see")):
        t = time.monotonic()
        proc = cli("check", "--plugin", failing, name)
        said = [line.strip() for line in proc.stdout.splitlines() if "FAIL" in line]
        ok = (proc.returncode == 1 and any(needle in line for line in said) and "Traceback" not in proc.stderr
              and (wrong is None or wrong not in proc.stdout))
        m.verdict(ok, case, f"exit {proc.returncode}: {(said or [''])[0][:110]!r}", time.monotonic() - t)
    for call in ("import os\nos._exit(5)\n", "import sys\nsys.exit(3)\n"):
        plugin = tmp / "ends_at_import.py"
        plugin.write_text(call)
        for command in (["list"], ["check"], ["run", "--methods", "random", "--out", str(tmp / "never")]):
            t = time.monotonic()
            proc = cli(*command, "--plugin", str(plugin))
            err = proc.stderr.strip()
            ok = (proc.returncode == 2 and "\n" not in err and "while being imported" in err
                  and not (tmp / "never").exists())
            m.verdict(ok, f"plugin {call.split(chr(10))[1]} at import / {command[0]}",
                      f"exit {proc.returncode}: {err[-100:]!r}", time.monotonic() - t)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "failure_matrix.txt"))
    args = parser.parse_args()
    m = Matrix()
    header = (f"# failure matrix, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores, "
              f"load average at start {os.getloadavg()[0]:.1f}")
    print(header, flush=True)
    with tempfile.TemporaryDirectory(prefix="grnbench-failures-") as tmp:
        tmp_path = Path(tmp)
        for case in (lambda: task_failures(m, tmp_path, "0"), lambda: task_failures(m, tmp_path, "2"),
                     lambda: queued_time(m, tmp_path), lambda: worker_killed(m, tmp_path),
                     lambda: damaged_cache(m, tmp_path), lambda: concurrent_runs(m, tmp_path),
                     lambda: missing_scheduler_file(m, tmp_path), lambda: one_line_refusals(m, tmp_path),
                     lambda: ctrl_c(m, tmp_path), lambda: unwritable_outputs(m, tmp_path),
                     lambda: check_and_plugin_exits(m, tmp_path)):
            case()
    footer = f"# load average at end {os.getloadavg()[0]:.1f}"
    print(footer)
    Path(args.out).write_text("\n".join([header, *m.lines, footer]) + "\n")
    return 0 if all(line.startswith("PASS") for line in m.lines) else 1


if __name__ == "__main__":
    sys.exit(main())
