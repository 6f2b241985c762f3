"""Methods used only by the runner tests (loaded with --plugin): they compute real scores
(correlation of the series) but can be told to sleep or to fail, to exercise timeouts,
failure isolation and resume."""

import os
import time

import numpy as np

from grnbench.api import Method


class SlowCorrelation(Method):
    name = "slowcorr"
    description = "test method: |correlation| after sleeping"
    parameters = {"sleep": 1.0}

    def fit(self, data):
        time.sleep(self.params["sleep"])
        x = data.dataset.expression
        x = x - x.mean(axis=1, keepdims=True)
        self._z = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)

    def score_edges(self, pairs):
        return np.abs((self._z[pairs.regulators] * self._z[pairs.targets]).sum(axis=1))


class Failing(Method):
    name = "failing"
    description = "test method: raises in fit unless GRNBENCH_TEST_HEAL is set"

    def fit(self, data):
        if not os.environ.get("GRNBENCH_TEST_HEAL"):
            raise RuntimeError("deliberate failure")
        self._n = data.dataset.n_genes

    def score_edges(self, pairs):
        return pairs.targets.astype(float) / self._n


class Crashing(Method):
    name = "crashing"
    description = "test method: its process exits in fit (os._exit), like a native crash"

    def fit(self, data):
        os._exit(1)

    def score_edges(self, pairs):
        raise AssertionError("never reached")


class MemoryHog(Method):
    name = "memoryhog"
    description = "test method: allocates 50 MB at a time up to `mb` MB, then fits like correlation"
    parameters = {"mb": 3000}

    def fit(self, data):
        blocks = []
        for _ in range(int(self.params["mb"]) // 50):
            blocks.append(np.ones(50 * 2**20 // 8))
            time.sleep(0.02)
        self._n = data.dataset.n_genes

    def score_edges(self, pairs):
        return pairs.targets.astype(float) / self._n


class Chatty(Method):
    name = "chatty"
    description = "test method: reports `steps` progress events, one every `every` seconds"
    parameters = {"steps": 3, "every": 0.5}

    def fit(self, data):
        for step in range(int(self.params["steps"])):
            time.sleep(float(self.params["every"]))
            if data.on_progress is not None:
                from grnbench.execution.task_progress import ProgressEvent

                data.on_progress(ProgressEvent(step + 1, int(self.params["steps"]), "steps", "note"))
        self._n = data.dataset.n_genes

    def score_edges(self, pairs):
        return pairs.targets.astype(float) / self._n


class ThreadCount(Method):
    name = "threadcount"
    description = "test method: multithreaded (uses_threads); reports the threads it was given"
    uses_threads = True

    def fit(self, data):
        if data.on_progress is not None:
            from grnbench.execution.task_progress import ProgressEvent

            data.on_progress(ProgressEvent(1, 1, "steps", f"n_threads={data.n_threads}"))
        self._n = data.dataset.n_genes

    def score_edges(self, pairs):
        return pairs.targets.astype(float) / self._n


class SteppedFit(Method):
    name = "steppedfit"
    description = ("test method: multithreaded, trains `epochs` steps of `step_s` seconds with a checkpoint "
                   "after each, and takes offered threads between steps; appends each step to `log`")
    uses_threads = True
    parameters = {"epochs": 6, "step_s": 1.0, "log": ""}

    def fit(self, data):
        import json
        from pathlib import Path

        from grnbench.execution.task_process import rethread_for_freed_cores

        epochs, state = int(self.params["epochs"]), None
        saved = Path(data.checkpoint_dir) / "steps.json" if data.checkpoint_dir else None
        done = json.loads(saved.read_text()) if saved is not None and saved.exists() else 0
        for epoch in range(done, epochs):
            time.sleep(float(self.params["step_s"]))
            state = {"epoch": epoch + 1, "threads": data.n_threads, "pid": os.getpid()}
            with open(self.params["log"], "a") as log:
                log.write(json.dumps(state) + "\n")
            if saved is not None:
                saved.parent.mkdir(parents=True, exist_ok=True)
                saved.write_text(json.dumps(epoch + 1))
            if data.on_progress is not None:
                from grnbench.execution.task_progress import ProgressEvent

                data.on_progress(ProgressEvent(epoch + 1, epochs, "epochs"))
            if epoch + 1 < epochs:
                rethread_for_freed_cores()
        self._n = data.dataset.n_genes

    def score_edges(self, pairs):
        return pairs.targets.astype(float) / self._n
