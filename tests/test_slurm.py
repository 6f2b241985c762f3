"""grnbench on a real single-node SLURM cluster, with its Dask workers as batch jobs.

The fixture starts munged, slurmctld and slurmd (Debian's ``munge`` and ``slurm-wlm``) with a
minimal configuration in a temporary folder and stops them afterwards; where that cannot be
done (not root, packages missing, a daemon that does not come up) the test is skipped with
the reason. The test runs the HPC recipe of docs/running.md: a scheduler with a scheduler
file, ``hpc/dask-workers.sbatch`` submitted with ``sbatch``, ``grnbench run --scheduler-file``.
The worker job is cancelled with ``scancel`` after CNNC's first epoch; a second job takes the task
over and the fit goes on from the checkpoint of its last finished epoch.
"""

from __future__ import annotations

import glob
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import pytest

from grnbench import checkpoint
from grnbench.results.curves import read_curves

REPO = Path(__file__).resolve().parent.parent
WORKER_JOB = REPO / "hpc" / "dask-workers.sbatch"
CNNC = "cnnc:filters=4,dense_units=16,epochs=4,batch_size=256"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(predicate, timeout: float, step: float = 0.2):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return None


class Slurm:
    """The running cluster: its environment and the commands the test uses."""

    def __init__(self, folder: Path, env: dict[str, str]):
        self.folder = folder
        self.env = env
        self.log: list[str] = []

    def __call__(self, *command: str, check: bool = True) -> str:
        done = subprocess.run(command, env=self.env, capture_output=True, text=True, timeout=60)
        if check and done.returncode:
            raise AssertionError(f"{' '.join(command)}: exit {done.returncode}: {done.stderr.strip()}")
        return done.stdout

    def record(self, *command: str) -> str:
        """Run a query command and keep its output for the test's log."""
        out = self(*command, check=False)
        self.log.append(f"$ {' '.join(command)}\n{out.rstrip()}")
        return out

    def jobs(self) -> list[str]:
        return self("squeue", "--noheader", "--format=%i").split()


def _start_daemons(folder: Path, munge_dir: Path, env: dict[str, str],
                   procs: list[subprocess.Popen]) -> str | None:
    """Start munged (as user munge), slurmctld and slurmd in the foreground, appending them
    to ``procs``, and wait for the node to be idle; why not, where they cannot start."""
    import psutil

    os.chmod(munge_dir, 0o755)
    shutil.chown(munge_dir, "munge", "munge")
    key = munge_dir / "munge.key"
    key.write_bytes(os.urandom(1024))
    os.chmod(key, 0o400)
    shutil.chown(key, "munge", "munge")
    socket_path = munge_dir / "munge.socket"
    procs.append(subprocess.Popen(
        ["munged", "--foreground", f"--socket={socket_path}", f"--key-file={key}",
         f"--pid-file={munge_dir / 'munged.pid'}", f"--log-file={munge_dir / 'munged.log'}",
         f"--seed-file={munge_dir / 'munged.seed'}"],
        user="munge", stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
    if not _wait(socket_path.exists, 20):
        procs[0].terminate()
        return f"munged did not start: {(procs[0].communicate(timeout=30)[1] or '').strip()[:200]}"
    memory_mb = int(psutil.virtual_memory().total / 2**20 * 0.9)
    (folder / "state").mkdir()
    (folder / "spool").mkdir()
    conf = folder / "slurm.conf"
    conf.write_text("\n".join([
        "ClusterName=grnbench-ci",
        "SlurmctldHost=localhost",
        f"SlurmctldPort={_free_port()}",
        f"SlurmdPort={_free_port()}",
        "SlurmUser=root",
        "AuthType=auth/munge",
        "CredType=cred/munge",
        f"AuthInfo=socket={socket_path}",
        "MpiDefault=none",
        "ProctrackType=proctrack/linuxproc",
        "TaskPlugin=task/none",
        "SelectType=select/cons_tres",
        "SelectTypeParameters=CR_Core_Memory",
        f"StateSaveLocation={folder / 'state'}",
        f"SlurmdSpoolDir={folder / 'spool'}",
        f"SlurmctldPidFile={folder / 'slurmctld.pid'}",
        f"SlurmdPidFile={folder / 'slurmd.pid'}",
        f"SlurmctldLogFile={folder / 'slurmctld.log'}",
        f"SlurmdLogFile={folder / 'slurmd.log'}",
        "SlurmdParameters=config_overrides",  # the node as written, whatever the hardware says
        "ReturnToService=2",
        "KillWait=5",
        f"NodeName=localhost CPUs=2 RealMemory={memory_mb} State=UNKNOWN",
        "PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP",
    ]) + "\n")
    env["SLURM_CONF"] = str(conf)
    procs.append(subprocess.Popen(["slurmctld", "-D", "-i"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    procs.append(subprocess.Popen(["slurmd", "-D", "-N", "localhost"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

    def idle():
        out = subprocess.run(["sinfo", "--noheader", "--format=%T"], env=env, capture_output=True, text=True)
        return out.returncode == 0 and out.stdout.strip() == "idle"

    if not _wait(idle, 60, 0.5):
        logs = folder / "slurmd.log", folder / "slurmctld.log"
        last = [line for f in logs if f.exists() for line in f.read_text().splitlines() if "error" in line]
        return f"the SLURM node did not become idle in 60 s ({last[-1] if last else 'no error logged'})"
    return None


def _stop(procs: list[subprocess.Popen]) -> None:
    for proc in reversed(procs):
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def slurm(tmp_path):
    """A single-node SLURM cluster (munge, slurmctld, slurmd) for this test only."""
    if os.geteuid() != 0:
        pytest.skip("SLURM test: needs root to start munged, slurmctld and slurmd")
    missing = [cmd for cmd in ("munged", "slurmctld", "slurmd", "sbatch", "scancel", "sinfo", "squeue")
               if shutil.which(cmd) is None]
    try:
        pwd.getpwnam("munge")
    except KeyError:
        missing.append("the munge user")
    if missing:
        pytest.skip(f"SLURM test: {', '.join(missing)} not installed (apt-get install slurm-wlm munge)")
    folder = tmp_path / "slurm"
    folder.mkdir()
    env = dict(os.environ)
    # sbatch passes this environment to the job: the job's `python` is this interpreter
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    # munged wants a folder it owns that every user can enter; pytest's tmp_path is root's only
    munge_dir = Path(tempfile.mkdtemp(prefix="grnbench-munge-"))
    procs: list[subprocess.Popen] = []
    try:
        why_not = _start_daemons(folder, munge_dir, env, procs)
        if why_not:
            pytest.skip(f"SLURM test: {why_not}")
        cluster = Slurm(folder, env)
        yield cluster
        for job in cluster.jobs():
            cluster("scancel", job, check=False)
        _wait(lambda: not cluster.jobs(), 30)
    finally:
        _stop(procs)
        shutil.rmtree(munge_dir, ignore_errors=True)


def _checkpoints(cache: Path) -> dict[str, tuple[float, int]]:
    """{checkpoint file: (mtime, last finished epoch, 0-based)} of every fit under way."""
    found = {}
    for path in glob.glob(str(cache / "checkpoints" / "**" / checkpoint.FILE_NAME), recursive=True):
        try:
            mtime = os.path.getmtime(path)
        except OSError:
            continue  # removed: its task has finished
        state = checkpoint.load(Path(path))  # written atomically: whole, or gone
        if state is not None:
            found[path] = (mtime, int(state["epoch"]))
    return found


@pytest.mark.slow
def test_worker_job_cancelled_mid_fit_resumes_on_a_new_job(slurm, tmp_path):
    sched_file = tmp_path / "scheduler.json"
    cache, out, job_out = tmp_path / "cache", tmp_path / "run", tmp_path / "jobs"
    job_out.mkdir()
    scheduler = subprocess.Popen([sys.executable, "-m", "dask", "scheduler", "--scheduler-file", str(sched_file),
                                  "--port", "0", "--no-dashboard"], env=slurm.env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    run_proc = None
    try:
        assert _wait(lambda: sched_file.is_file() and sched_file.stat().st_size, 60), "no scheduler file"

        def submit() -> str:
            # the job script's own resources fit a cluster node, not this test machine
            return slurm("sbatch", "--parsable", "--cpus-per-task=1", "--mem=3G", "--time=10",
                         f"--output={job_out}/%j.out", f"--export=ALL,TMPDIR={job_out}",
                         str(WORKER_JOB), str(sched_file)).strip()

        first = submit()
        slurm.record("sinfo")
        run_proc = subprocess.Popen(
            [sys.executable, "-m", "grnbench", "run", "--quiet", "--dataset", "dream4-10-1",
             "--methods", f"{CNNC},random", "--scheduler-file", str(sched_file), "--out", str(out),
             "--cache", str(cache)], env=slurm.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

        # cancel the job as soon as CNNC has checkpointed its first epoch: mid-fit (scancel
        # signals every process of the job, the task's own process too, so it stops at once)
        started = _wait(lambda: _checkpoints(cache) or run_proc.poll() is not None, 400, 0.02)
        assert started and run_proc.poll() is None, "the run ended before CNNC checkpointed an epoch"
        slurm.record("squeue")
        slurm("scancel", first)
        assert _wait(lambda: first not in slurm.jobs(), 60), "the cancelled job did not end"
        slurm.record("scontrol", "show", "job", first)
        at_cancel = _checkpoints(cache)
        assert run_proc.poll() is None, "the run did not wait for a worker"
        # the control ran first (Method.cheap); CNNC, cut off mid-fit, has no row yet
        done = set(pd.read_csv(out / "results.csv").method) if (out / "results.csv").exists() else set()
        assert done <= {"random"}, done

        second = submit()
        # record the first epoch each interrupted fold writes on the new job
        first_new: dict[str, int] = {}
        deadline = time.monotonic() + 600
        while run_proc.poll() is None and time.monotonic() < deadline:
            for path, (mtime, epoch) in _checkpoints(cache).items():
                if path in at_cancel and path not in first_new and mtime != at_cancel[path][0]:
                    first_new[path] = epoch
            time.sleep(0.01)
        _, err = run_proc.communicate(timeout=10)
        slurm.record("squeue")
        slurm.log.append(f"first job {first}:\n" + (job_out / f"{first}.out").read_text()[-1500:])
        slurm.log.append(f"checkpoints at the cancel (last finished epoch per fold, 0-based): "
                         f"{ {Path(p).parent.name: e for p, (_, e) in sorted(at_cancel.items())} }")
        slurm.log.append(f"first epoch written on job {second}: "
                         f"{ {Path(p).parent.name: e for p, e in sorted(first_new.items())} }")
        slurm.log.append("curves.csv, fold 0:\n" + read_curves(out).query("fold == 0")[
            ["fold", "epoch", "val_aupr", "wall_s"]].to_string(index=False))
        print("\n\n".join(slurm.log))

        assert run_proc.returncode == 0, err[-2000:]
        assert "Traceback" not in err
        frame = pd.read_csv(out / "results.csv")
        assert len(frame) == 2 and (frame["status"] == "ok").all(), frame[["method", "status", "error"]]
        assert json.loads((out / "manifest.json").read_text())["execution"]["backend"] == "dask"
        assert "CANCELLED" in (job_out / f"{first}.out").read_text()
        # every fold that had a checkpoint went on after it: a fold cut mid-way wrote epoch k+1
        # first, a finished fold was not trained again
        for path, (_, epoch) in at_cancel.items():
            if epoch < 3:
                assert first_new.get(path) == epoch + 1, (path, epoch, first_new.get(path))
            else:
                assert path not in first_new, (path, first_new[path])
        assert any(epoch < 3 for _, epoch in at_cancel.values()), "no fold was cut mid-way"
        assert not list((cache / "checkpoints").glob("*/*")), "checkpoints of the finished task are left"
        # the learning curve carries the epochs of the cancelled job through the checkpoint:
        # every epoch of every fold once, none trained twice
        curve = read_curves(out)
        assert sorted(zip(curve["fold"], curve["epoch"], strict=True)) == [(f, e) for f in range(5) for e in range(1, 5)]
    finally:
        if run_proc is not None and run_proc.poll() is None:
            run_proc.kill()
        scheduler.terminate()
        scheduler.wait(timeout=30)
