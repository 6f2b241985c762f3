"""Per-epoch checkpoints of a Keras fit, so an interrupted deep training resumes where it stopped.

Why: a CNNC or DGRNS fit on maize runs for hours; a Ctrl-C, ``--timeout``, a killed worker or
a batch job's walltime used to throw all its epochs away. After every epoch the full training
state is written atomically (temporary file + ``os.replace``, so a kill during the write
leaves the previous checkpoint whole): every model variable (weights and the dropout layers'
seed-generator states), every optimiser variable (moments, iteration count), the epoch, the
NumPy and Python RNG states, and for each callback the state it needs to go on — ``state()``
plus ``best_weights`` for a callback that has them (``grnbench.deep.epoch_selection``), the
counters of Keras's ``EarlyStopping``, and the learning curve so far
(``grnbench.learning_curve``). Started again with the same task, the fit restores all
of it and continues with ``initial_epoch``; training pairs are shuffled from (seed, epoch)
(``grnbench.deep.pair_batches``), so the resumed epochs see the same batches as an
uninterrupted run.

A checkpoint that cannot be read (truncated, another format) is ignored with a note on stderr
and the fit starts from epoch 0: a damaged file costs time, never a wrong result or a
traceback. The runner removes a task's checkpoints once its result is cached.
"""

from __future__ import annotations

import os
import pickle
import random
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

#: bump when the saved layout changes: older files are then ignored, not misread
FORMAT = 1
FILE_NAME = "training.ckpt"
#: attributes of callbacks without ``state()`` (Keras's EarlyStopping) saved as they are
_PLAIN_ATTRIBUTES = ("wait", "best", "best_epoch", "stopped_epoch", "best_weights")


def checkpoint_path(directory: Path | str | None) -> Path | None:
    """The checkpoint file of a fit whose ``TrainingData.checkpoint_dir`` is ``directory``."""
    return None if directory is None else Path(directory) / FILE_NAME


def _callback_state(callback) -> dict | None:
    if hasattr(callback, "state") and hasattr(callback, "restore_state"):
        return {"state": callback.state(), "best_weights": getattr(callback, "best_weights", None)}
    plain = {name: getattr(callback, name) for name in _PLAIN_ATTRIBUTES if hasattr(callback, name)}
    return {"plain": plain} if plain else None


def _restore_callback(callback, saved: dict | None) -> None:
    if saved is None:
        return
    if "state" in saved:
        callback.restore_state(saved["state"])
        callback.best_weights = saved["best_weights"]
    for name, value in saved.get("plain", {}).items():
        setattr(callback, name, value)


def save(path: Path, model, epoch: int, callbacks: list, extra: dict | None = None) -> None:
    """Write the state after ``epoch`` (0-based, finished) to ``path`` atomically."""
    state = {
        "format": FORMAT,
        "epoch": int(epoch),
        "model": [np.asarray(v.numpy()) for v in model.variables],
        "optimizer": [np.asarray(v.numpy()) for v in model.optimizer.variables],
        "callbacks": [_callback_state(c) for c in callbacks],
        "numpy_random": np.random.get_state(),
        "python_random": random.getstate(),
        "extra": extra or {},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + f".{os.getpid()}.tmp")
    with open(partial, "wb") as handle:
        pickle.dump(state, handle, protocol=pickle.HIGHEST_PROTOCOL)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)


def load(path: Path | None) -> dict | None:
    """The saved state, or None when there is none or it is damaged (with a one-line note)."""
    if path is None or not path.exists():
        return None
    try:
        with open(path, "rb") as handle:
            state = pickle.load(handle)
        if not isinstance(state, dict) or state.get("format") != FORMAT:
            raise ValueError("not a grnbench training checkpoint of this version")
        return state
    except Exception as exc:  # damaged or foreign file: start again, never fail the task
        print(f"note: ignoring unreadable training checkpoint {path} ({type(exc).__name__}: {exc}); "
              "training starts from epoch 1", file=sys.stderr, flush=True)
        return None


def restore(state: dict, model, callbacks: list, sample_input=None) -> int:
    """Put ``state`` back into ``model``, its optimiser and ``callbacks``; returns the epoch to
    continue with (Keras's ``initial_epoch``). A model whose layers create their variables on
    first call (subclassed models such as PSGRN's) is first called on ``sample_input`` in
    inference mode, which builds them without changing any state. Raises ValueError when the
    variables do not match (another architecture under the same key cannot happen, but a file
    can lie)."""
    if len(model.variables) != len(state["model"]) and sample_input is not None:
        model(sample_input, training=False)
    variables = model.variables
    if len(variables) != len(state["model"]) or len(callbacks) != len(state["callbacks"]):
        raise ValueError(f"checkpoint holds {len(state['model'])} variables and {len(state['callbacks'])} "
                         f"callbacks, this fit {len(variables)} and {len(callbacks)}")
    optimizer = model.optimizer
    if not optimizer.built:
        optimizer.build(model.trainable_variables)
    if len(optimizer.variables) != len(state["optimizer"]):
        raise ValueError("checkpoint does not match this optimiser")
    for variable, value in zip(variables, state["model"], strict=True):
        variable.assign(value)
    for variable, value in zip(optimizer.variables, state["optimizer"], strict=True):
        variable.assign(value)
    for callback, saved in zip(callbacks, state["callbacks"], strict=True):
        _restore_callback(callback, saved)
    np.random.set_state(state["numpy_random"])
    random.setstate(state["python_random"])
    return int(state["epoch"]) + 1


def epoch_checkpoint(keras, path: Path, callbacks: list, extra: Callable[[], dict] | None = None):
    """A callback that saves the state after each epoch; put it after ``callbacks`` (whose
    state it saves, and which may have asked to stop) in the fit's callback list. ``extra``
    returns more state to save under ``extra`` (the fit's learning curve so far)."""

    class EpochCheckpoint(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            more = extra() if extra is not None else {}
            save(path, self.model, epoch, callbacks, {**more, "stopped": bool(self.model.stop_training)})

    return EpochCheckpoint()


def remove(directory: Path | str | None) -> None:
    """Delete a finished task's checkpoint folder (nothing when there is none)."""
    if directory is None:
        return
    import shutil

    shutil.rmtree(directory, ignore_errors=True)

