"""The tail of a run: how long its last task runs after the one before it has ended.

Usage: python benchmarks/rethread_tail.py OUT.json LABEL -- grnbench run ... --out DIR

Runs the command, stamps every console line as it arrives, and takes each task's end from
its result line (``  ok TASK: ...``, ``  failed TASK ...``). The tail is the time from the
second-to-last task's end to the last task's end: while it lasts, the run has one task left
and any core that task does not use idles. Writes OUT.json (one entry per LABEL, so a
before and an after run sit side by side) with the command, the machine's ``uptime`` at
start and end, the run's wall time, every task's end (seconds from start), the tail, and
from DIR/results.csv each row's method, status, fit time, threads and thread history.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

#: a task's result line on a console that is not a terminal (grnbench.execution.progress)
RESULT_LINE = re.compile(r"^  (ok|failed|timeout|oom|skipped) (.+?)(?::| after )")


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def main(argv: list[str]) -> int:
    out, label, sep, *command = argv
    if sep != "--" or not command:
        raise SystemExit(__doc__)
    entry: dict[str, object] = {"command": " ".join(command), "uptime_start": uptime()}
    started = time.monotonic()
    ends: list[dict[str, object]] = []
    log: list[str] = []
    proc = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, bufsize=1)
    assert proc.stderr is not None
    for line in proc.stderr:
        at = round(time.monotonic() - started, 1)
        sys.stderr.write(line)
        log.append(f"{at:8.1f} {line.rstrip()}")
        match = RESULT_LINE.match(line)
        if match:
            ends.append({"task": match.group(2), "status": match.group(1), "end_s": at})
    proc.wait()
    entry.update({"exit_status": proc.returncode, "wall_s": round(time.monotonic() - started, 1),
                  "uptime_end": uptime(), "task_ends": ends})
    if len(ends) >= 2:
        last, before = ends[-1], ends[-2]
        entry["tail_s"] = round(float(last["end_s"]) - float(before["end_s"]), 1)
        entry["last_task"] = last["task"]
    if "--out" in command:
        import pandas as pd

        frame = pd.read_csv(Path(command[command.index("--out") + 1]) / "results.csv", keep_default_na=False)
        columns = [c for c in ("method", "status", "fit_wall_s", "fit_cpu_s", "aupr", "threads", "thread_history")
                   if c in frame.columns]
        entry["rows"] = frame[columns].to_dict("records")
    entry["console"] = log
    path = Path(out)
    results = json.loads(path.read_text()) if path.is_file() else {}
    results[label] = entry
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(json.dumps({k: v for k, v in entry.items() if k != "console"}, indent=2, default=str))
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
