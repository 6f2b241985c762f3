"""Same seed, same scores — even when other threads of the process draw Python random numbers,
as a Dask worker's event loop and seceded per-target tasks do beside a deep-learning task."""

from __future__ import annotations

import random
import threading

import numpy as np

from grnbench.data.protocols import parse_protocols
from grnbench.execution.tasks import Task, execute_task
from grnbench.registry import load_registry, parse_method_specs


def _scores(dataset, spec: str) -> np.ndarray:
    registry = load_registry()
    task = Task(parse_method_specs(spec, registry)[0], dataset.name, parse_protocols("standard")[0], 0, 0)
    output = execute_task(task, dataset)
    assert output.record.status == "ok", output.record.error
    return output.scores


def test_keras_models_ignore_other_threads_drawing_from_python_random(dream4_small):
    spec = "psgrn:epochs=2,min_epochs=1,hidden=8,dn_blocks=1,dn_layers=1,dn_growth=4,dense_units=8"
    quiet = _scores(dream4_small, spec)
    stop = threading.Event()

    def draw() -> None:
        while not stop.is_set():
            random.random()

    thread = threading.Thread(target=draw, daemon=True)
    thread.start()
    try:
        busy = _scores(dream4_small, spec)
    finally:
        stop.set()
        thread.join()
    np.testing.assert_array_equal(busy, quiet)
