"""The run folder as a shared resource: who may write it, and what an earlier run left there.

- **One writer at a time.** Two runs writing one ``results.csv`` would each rewrite it from
  their own rows and lose the other's. A run therefore holds ``OUT/.grnbench.lock`` (PID, host,
  start time) from start to finish; a second run into the same folder stops with one line
  naming the first. A lock whose process is gone (same host, PID not alive) is stale and taken
  over, so a killed run never blocks the folder.
- **Earlier rows are kept.** Re-running a subset of methods into an existing folder replaces
  only the rows of the (method, dataset, protocol) combinations it runs; every other row (and
  its edge list) stays, so ``--methods psgrn`` after ``--methods all`` does not drop the rest.
- **A folder holds one comparable run.** Rows are comparable when they were split the same way
  (split kind, split seed, folds, top-k) and a dataset name means the same data (its content
  hash). A run whose rows would not be comparable with the folder's is refused with one line
  naming the difference, before anything runs; ``--replace`` drops the earlier rows instead.
  Every invocation that contributed is listed in the manifest (``invocations``).
- **Folders are checked up front**: an ``--out`` or ``--cache`` that is a file or cannot be
  written is a one-line error before any task runs.
"""

from __future__ import annotations

import json
import os
import platform
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields
from pathlib import Path

import psutil

from grnbench.errors import UserError
from grnbench.results.curves import CURVES_NAME
from grnbench.results.records import ResultRecord, read_results

LOCK_NAME = ".grnbench.lock"


def check_writable_dir(path: Path, option: str) -> Path:
    """Create ``path`` if needed and make sure files can be written in it; else UserError."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise UserError(f"{option} {path}: exists and is not a folder; give a folder path")
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".grnbench-write-test-{os.getpid()}"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise UserError(f"{option} {path}: cannot write here ({exc.strerror or exc}); choose a writable folder") from None
    for name in ("results.csv", CURVES_NAME, "edges", "beeline", "manifest.json"):  # what a run rewrites, checked before it starts
        target = path / name
        want_dir = name in ("edges", "beeline")
        if not target.exists():
            continue
        if target.is_dir() != want_dir:
            problem = "a file where grnbench writes a folder" if want_dir else "a folder where grnbench writes a file"
        elif not os.access(target, os.W_OK):
            problem = "not writable (permissions or an immutable flag)"
        else:
            continue
        raise UserError(f"{option} {path}: {target} is {problem}; make it writable (or remove it) or choose another "
                        f"{option}")
    return path


@contextmanager
def run_folder_lock(out_dir: Path) -> Iterator[Path]:
    """Hold ``OUT/.grnbench.lock`` for the duration; UserError if a live run holds it."""
    lock = Path(out_dir) / LOCK_NAME
    me = {"pid": os.getpid(), "host": platform.node(), "started": time.time()}
    for _ in range(3):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            holder = _read_lock(lock)
            if holder is not None and _alive(holder):
                since = time.strftime("%H:%M:%S", time.localtime(float(holder.get("started", 0))))
                raise UserError(f"{out_dir} is being written by another grnbench run (pid {holder.get('pid')} on "
                                f"{holder.get('host')}, since {since}); wait for it or choose another --out "
                                f"(if that run is gone, delete {lock})") from None
            try:
                lock.unlink()  # stale: its process is gone
            except FileNotFoundError:
                pass
            continue
        except OSError as exc:
            raise UserError(f"{out_dir}: cannot create {LOCK_NAME} ({exc.strerror or exc}); "
                            "give an existing, writable run folder") from None
        with os.fdopen(fd, "w") as handle:
            json.dump(me, handle)
        break
    else:
        raise UserError(f"cannot take the lock {lock}; delete it if no grnbench run uses {out_dir}")
    try:
        yield lock
    finally:
        holder = _read_lock(lock)
        if holder is not None and holder.get("pid") == me["pid"] and holder.get("host") == me["host"]:
            lock.unlink(missing_ok=True)


def _read_lock(lock: Path) -> dict | None:
    try:
        data = json.loads(lock.read_text())
    except (OSError, ValueError):
        # being written right now, or damaged: treat a fresh one as held, an old one as stale
        try:
            return {"pid": -1, "host": "?", "started": lock.stat().st_mtime} if time.time() - lock.stat().st_mtime < 10 else None
        except OSError:
            return None
    return data if isinstance(data, dict) else None


def _alive(holder: dict) -> bool:
    pid = holder.get("pid")
    if pid == -1:
        return True
    if holder.get("host") not in (platform.node(), socket.gethostname()):
        return True  # another machine's run on a shared file system: cannot check, assume alive
    try:
        return isinstance(pid, int) and psutil.pid_exists(pid) and pid != os.getpid()
    except psutil.Error:
        return False


def earlier_rows(out_dir: Path) -> list[ResultRecord]:
    """The rows an earlier run left in ``OUT/results.csv`` (none if there is no file).

    A damaged file is a UserError: rewriting it would silently drop what it held.
    """
    if not (Path(out_dir) / "results.csv").is_file():
        return []
    frame = read_results(out_dir)
    names = {f.name: f for f in fields(ResultRecord)}
    rows = []
    for row in frame.to_dict("records"):
        values = {k: v for k, v in row.items() if k in names}
        for key in ("error", "edges_file", "parameters"):
            if key in values and not isinstance(values[key], str):
                values[key] = "" if values[key] != values[key] else str(values[key])
        rows.append(ResultRecord(**values))
    return rows


def combination(record: ResultRecord) -> tuple[str, str, str]:
    """What a re-run replaces: one method on one dataset under one protocol (all repeats)."""
    return record.method, record.dataset, record.protocol


#: run settings under which two runs' rows can sit in one table
COMPARABLE = ("split", "seed", "folds", "top_k")


def earlier_manifest(out_dir: Path) -> dict:
    """The manifest an earlier run left in ``out_dir`` ({} if none or unreadable)."""
    try:
        data = json.loads((Path(out_dir) / "manifest.json").read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def check_comparable(out_dir: Path, settings: dict, hashes: dict[str, str], replace: bool) -> list[ResultRecord]:
    """The earlier rows this run keeps; UserError when they would not be comparable with it.

    ``settings`` holds this run's ``COMPARABLE`` values, ``hashes`` its dataset names → content
    hashes. With ``replace`` every earlier row is dropped instead of refused."""
    rows = earlier_rows(out_dir)
    if replace:
        _drop_outputs(Path(out_dir))
        return []
    if not rows:
        return rows
    before = earlier_manifest(out_dir)
    for key in COMPARABLE:
        if key in before and str(before[key]) != str(settings[key]):
            option = "--" + key.replace("_", "-")
            raise UserError(f"{out_dir} holds rows of a run with {option} {before[key]}; this run has {option} "
                            f"{settings[key]}, so their rows would not be comparable. Use another --out, or "
                            "--replace to drop the earlier rows")
    for row in rows:
        if row.dataset in hashes and row.dataset_hash and row.dataset_hash != hashes[row.dataset]:
            raise UserError(f"{out_dir} holds rows of a dataset named {row.dataset!r} with other data (hash "
                            f"{row.dataset_hash}, now {hashes[row.dataset]}). Use another --out, name this dataset "
                            "differently, or --replace to drop the earlier rows")
    return rows


def invocations(out_dir: Path, this_run: dict, replace: bool = False) -> list[dict]:
    """Every invocation that wrote this folder's rows, the earlier ones from its manifest (none
    after ``--replace``, which dropped their rows)."""
    if replace:
        return [this_run]
    before = earlier_manifest(out_dir)
    earlier = before.get("invocations")
    if earlier is None and before.get("command"):
        earlier = [{k: before.get(k) for k in ("command", "started", "finished", *COMPARABLE)}]
    return [*(earlier or []), this_run]


def _drop_outputs(out_dir: Path) -> None:
    """``--replace``: the earlier rows' edge lists and learning curves go with them (an edge
    list without its row would look like a results.csv that lost rows)."""
    import shutil

    for name in ("edges", "beeline"):
        shutil.rmtree(out_dir / name, ignore_errors=True)
    (out_dir / "results.csv").unlink(missing_ok=True)
    (out_dir / CURVES_NAME).unlink(missing_ok=True)
