"""A deep fit killed mid-training (SIGKILL, a real child process) and started again with the
same task resumes after its last completed epoch and ends with the scores of an uninterrupted
fit, with a learning curve that has every epoch once and continues the killed run's time, and
with a fit time that counts the killed run's training; a damaged checkpoint is ignored with a
note."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from grnbench import checkpoint

#: runs one task in a fresh process; kills itself (SIGKILL) when epoch ``kill`` starts reporting
CHILD = r"""
import json, os, signal, sys
import numpy as np
from grnbench.data.protocols import parse_protocols
from grnbench.datasets import load_dataset
from grnbench.execution.tasks import Task, execute_task
from grnbench.registry import load_registry, parse_method_specs

spec, folder, kill, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
epochs, notes = [], []

def on_progress(event):
    if event.unit == "epochs":
        epochs.append(event.done)
        notes.append(event.note)
        if event.done == kill:
            os.kill(os.getpid(), signal.SIGKILL)

registry = load_registry()
task = Task(parse_method_specs(spec, registry)[0], "dream4-10-1", parse_protocols("standard")[0], 0, 0,
            checkpoint_dir=folder)
output = execute_task(task, load_dataset("dream4-10-1"), on_progress=on_progress)
assert output.record.status == "ok", output.record.error
np.save(out, output.scores)
print(json.dumps({"curve": output.curve, "notes": notes, "fit_wall_s": output.record.fit_wall_s,
                  "fit_cpu_s": output.record.fit_cpu_s}))
print(json.dumps(epochs))
"""

SPECS = {
    "cnnc": "cnnc:filters=4,dense_units=16,epochs=4,batch_size=64,selection=shared,patience=0",
    "psgrn": "psgrn:epochs=4,min_epochs=1,patience=0,hidden=8,dn_blocks=1,dn_layers=1,dn_growth=4,dense_units=8",
}


def _child(spec: str, folder: Path, kill: int, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", CHILD, spec, str(folder), str(kill), str(out)],
                          capture_output=True, text=True, timeout=600)


@pytest.mark.slow
@pytest.mark.parametrize("method", sorted(SPECS))
def test_killed_fit_resumes_after_last_epoch_with_uninterrupted_scores(tmp_path, method):
    spec = SPECS[method]
    whole = _child(spec, tmp_path / "whole", 0, tmp_path / "whole.npy")
    assert whole.returncode == 0, whole.stderr[-2000:]
    assert json.loads(whole.stdout.strip().splitlines()[-1]) == [1, 2, 3, 4]

    killed = _child(spec, tmp_path / "resumed", 3, tmp_path / "never.npy")  # killed as epoch 3 ends
    assert killed.returncode == -9
    saved = checkpoint.load(checkpoint.checkpoint_path(tmp_path / "resumed"))
    assert saved is not None and saved["epoch"] == 1  # epochs 1 and 2 (0-based 0, 1) completed

    resumed = _child(spec, tmp_path / "resumed", 0, tmp_path / "resumed.npy")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert json.loads(resumed.stdout.strip().splitlines()[-1]) == [3, 4]  # continues at epoch 3
    np.testing.assert_array_equal(np.load(tmp_path / "resumed.npy"), np.load(tmp_path / "whole.npy"))

    # the learning curve: every epoch once; epochs 1-2 as the killed run saved them, its time carried on
    curve = json.loads(resumed.stdout.strip().splitlines()[-2])["curve"]
    assert [row["epoch"] for row in curve] == [1, 2, 3, 4]
    assert [{k: v for k, v in row.items() if k != "fold"} for row in curve[:2]] == saved["extra"]["curve"]["rows"]
    walls = [row["wall_s"] for row in curve]
    assert walls == sorted(walls) and walls[2] > walls[1] > 0
    # the row's fit time is the whole training's: the killed run's epochs (carried) and this run's
    report = json.loads(resumed.stdout.strip().splitlines()[-2])
    carried = saved["extra"]["curve"]["rows"][-1]
    assert report["fit_wall_s"] >= curve[-1]["wall_s"] > carried["wall_s"] > 0
    assert report["fit_cpu_s"] >= carried["cpu_s"] > 0
    whole_curve = json.loads(whole.stdout.strip().splitlines()[-2])["curve"]
    assert [row["val_aupr"] for row in curve] == [row["val_aupr"] for row in whole_curve]
    # the progress note: this epoch's value, the best so far and the time left (none after the last)
    notes = json.loads(resumed.stdout.strip().splitlines()[-2])["notes"]
    best = max(row["val_aupr"] for row in curve[:3])
    assert notes[0].startswith(f"val aupr {curve[2]['val_aupr']:.3f} (best {best:.3f}), ≤") and notes[0].endswith(" left")
    assert notes[1].endswith("≤0s left")


def test_damaged_checkpoint_is_ignored_with_a_note(tmp_path, capsys):
    path = checkpoint.checkpoint_path(tmp_path)
    path.write_bytes(b"\x80\x05 truncated")
    assert checkpoint.load(path) is None
    assert "ignoring unreadable training checkpoint" in capsys.readouterr().err
    path.write_bytes(pickle.dumps({"format": -1}))
    assert checkpoint.load(path) is None
    assert checkpoint.load(tmp_path / "absent.ckpt") is None
