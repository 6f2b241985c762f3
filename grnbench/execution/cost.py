"""Before a run starts: how long each deep method's training will take (an estimate), and
the arithmetic of one training epoch (for the FLOP accounting in docs/deep-methods.md).

The deep methods' schedules, not their code, set their CPU time: CNNC's reference schedule is
200 epochs, and at maize scale one epoch is minutes. The runner prints
this estimate first so the cost of the reference settings is visible before it is paid.

Estimate = the method's declared CPU seconds per training pair per epoch
(``Method.cpu_s_per_pair_epoch``: whole epochs of a real fit, one thread, validation pass
included, fitted by ``benchmarks/fit_cost_constants.py``), scaled by the dataset's feature size
(``Method.cost_size``) × training pairs × epochs ÷ threads, and by the speed of the machine at
hand against the machine the constants were measured on (``machine_speed``). Why the last
factor: the same cloud machine type ran a one-thread matmul at half the rate on one day that
it had on another, every epoch time moved with it, and constants without it printed half the
time the maize2-sim reference run then took (figures in docs/deep-methods.md). Any method, a plugin's too,
gets an estimate by declaring the constants; this module names no method. The epoch count is a
range: early stopping decides where in it a run ends.
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass
from typing import Any

#: standard protocol: train 3/5, validation 1/5 of the pairs
TRAIN_SHARE, VALIDATION_SHARE = 0.6, 0.2
#: share of each further thread that turns into speed (measured with DGRNS on maize2-sim:
#: docs/deep-methods.md)
THREAD_EFFICIENCY = 0.65
#: ``matmul_gflops()`` of the machine the methods' ``cpu_s_per_pair_epoch`` were measured on
#: (benchmarks/results/cost_constants.json)
REFERENCE_GFLOPS = 100.0
#: the probe: a float32 matmul of this order, best of this many tries
_PROBE_N, _PROBE_TRIES = 1024, 6


@functools.lru_cache(maxsize=1)
def matmul_gflops() -> float:
    """One thread's float32 matrix-multiply rate of this machine, in GFLOP per CPU second.

    NumPy's BLAS on one thread, timed in CPU seconds (what other jobs on the machine disturb
    least), best of a few tries: paid once per process, and only when a deep task is to run
    (a cached one needs no estimate). It stands for the dense arithmetic that dominates the deep methods' epochs."""
    import numpy as np
    from threadpoolctl import threadpool_limits

    a = np.random.default_rng(0).random((_PROBE_N, _PROBE_N), dtype=np.float32)
    best = 0.0
    with threadpool_limits(1):
        for _ in range(_PROBE_TRIES):
            start = time.process_time()
            a @ a
            best = max(best, 2 * _PROBE_N**3 / max(time.process_time() - start, 1e-6) / 1e9)
    return best


def machine_speed() -> float:
    """How many times faster than the constants' machine this one runs (``matmul_gflops`` ÷
    ``REFERENCE_GFLOPS``)."""
    return matmul_gflops() / REFERENCE_GFLOPS


@dataclass(frozen=True)
class FitEstimate:
    """Estimated training time of one task of one deep method."""

    method: str
    train_pairs: int
    epochs_low: int
    epochs_high: int
    seconds_per_epoch: float
    threads: int

    @property
    def low_s(self) -> float:
        return self.epochs_low * self.seconds_per_epoch

    @property
    def high_s(self) -> float:
        return self.epochs_high * self.seconds_per_epoch

    @property
    def expected_s(self) -> float:
        """The middle of the range: what the run's priorities order fits by."""
        return (self.low_s + self.high_s) / 2

    def line(self) -> str:
        per_epoch = f"{self.method:<8} ~{_fmt(self.seconds_per_epoch)} per epoch × "
        if self.epochs_low == self.epochs_high:
            return per_epoch + f"{self.epochs_high} epochs → {_fmt(self.high_s)}"
        return per_epoch + (f"{self.epochs_low}–{self.epochs_high} epochs → "
                            f"{_fmt(self.low_s)}–{_fmt(self.high_s)}")


def _fmt(seconds: float) -> str:
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 300:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def epoch_range(params: dict[str, Any]) -> tuple[int, int]:
    """Fewest and most epochs the method's early stopping allows (``patience`` ≤ 0: all of
    them; never fewer than ``min_epochs`` where the method has it)."""
    epochs = int(params["epochs"])
    patience = int(params.get("patience") or 0)
    low = epochs if patience <= 0 else min(epochs, patience + 1)
    low = min(epochs, max(low, int(params.get("min_epochs", 0) or 0)))
    return low, epochs


def training_pairs(dataset: Any, params: dict[str, Any]) -> int:
    """Pairs one epoch trains on under the standard protocol (``balance="subsample"``: the
    positives and as many negatives)."""
    from grnbench.data.universe import EdgeUniverse

    universe = EdgeUniverse.from_dataset(dataset)
    train = int(universe.n_pairs * TRAIN_SHARE)
    if params.get("balance") == "subsample":
        train = min(train, 2 * int(universe.n_positives * TRAIN_SHARE))
    return train


def estimate_fit(cls: type, params: dict[str, Any], dataset: Any, threads: int) -> FitEstimate | None:
    """Estimated fit time of one task, from the method's declared cost hooks
    (``Method.cpu_s_per_pair_epoch``, ``cost_size``), or None without a measured constant."""
    if cls.cpu_s_per_pair_epoch is None or "epochs" not in params:
        return None
    size = cls.cost_size(dataset, params)
    if size <= 0:
        return None
    train = training_pairs(dataset, params)
    speed = (1 + (max(1, threads) - 1) * THREAD_EFFICIENCY) * machine_speed()
    per_epoch = cls.cpu_s_per_pair_epoch * size / cls.cost_reference_size * train / speed
    low, high = epoch_range(params)
    return FitEstimate(cls.name, train, low, high, per_epoch, max(1, threads))


def expected_fit_s(cls: type, params: dict[str, Any], dataset: Any, threads: int = 1) -> float:
    """Middle of the estimated fit time in seconds; 0 for a method without a measured constant.

    The Dask runner starts the whole-model fits with the longest expected training first
    (longest-processing-time order): started last, a multi-hour fit would run alone on one
    core at the end of the run while the other cores sit idle.
    """
    estimate = estimate_fit(cls, params, dataset, threads)
    return 0.0 if estimate is None else estimate.expected_s


def estimate_lines(found: list[FitEstimate], dataset_name: str, tasks_per_method: int = 1) -> list[str]:
    """The lines the run plan prints for one dataset (empty when no deep method takes part)."""
    if not found:
        return []
    lines = [f"{dataset_name}: estimated training time per task on {found[0].threads} CPU thread(s) "
             f"(per-pair constants scaled to this machine: one-thread matmul {matmul_gflops():.0f} GFLOP/s, "
             f"{REFERENCE_GFLOPS:.0f} where they were measured; early stopping decides where in the range "
             "a run ends):"]
    lines += ["  " + e.line() for e in found]
    if tasks_per_method > 1:
        lines.append(f"  × {tasks_per_method} tasks per method (repeats, seeds)")
    return lines


# --- FLOP accounting -----------------------------------------------------------------------

def layer_flops(model: Any) -> float:
    """Forward floating-point operations of one example through a built Keras model
    (multiply-adds count 2; convolutions, dense and recurrent layers; element-wise work and
    pooling are left out, being a few per cent at most). Nested models are walked."""
    total = 0.0
    for layer in model._flatten_layers(include_self=False, recursive=True):
        kind = type(layer).__name__
        if kind in ("Conv1D", "Conv2D"):
            out = layer.output.shape if hasattr(layer, "output") else None
            if out is None:
                continue
            in_ch = layer.input.shape[-1]
            kernel = math.prod(layer.kernel_size)
            total += 2.0 * math.prod(d for d in out[1:]) * kernel * in_ch
        elif kind == "Dense":
            total += 2.0 * layer.kernel.shape[0] * layer.kernel.shape[1] * _dense_rows(layer)
        elif kind in ("GRU", "LSTM", "SimpleRNN"):
            steps, features = layer.input.shape[1], layer.input.shape[2]
            units = layer.units
            gates = {"GRU": 3, "LSTM": 4, "SimpleRNN": 1}[kind]
            total += 2.0 * steps * (features + units) * gates * units
    return total


def _dense_rows(layer: Any) -> int:
    shape = getattr(layer, "input", None)
    shape = shape.shape if shape is not None else (None, 1)
    return int(math.prod(d for d in shape[1:-1])) if len(shape) > 2 else 1


def training_flops(forward: float) -> float:
    """A training step's arithmetic: forward, plus gradients for inputs and weights (≈ 2×)."""
    return 3.0 * forward
