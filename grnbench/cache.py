"""Content-addressed cache of finished tasks.

The key covers everything that changes a result: the method's name, full parameters and
source hash, the dataset's content hash, the protocol and its parameters, the repeat, the
run seed, the split kind, top-k and the versions of the packages that compute the numbers.
A finished task is never recomputed unless forced; failures are never cached, so a re-run
retries them. Entries are written atomically (temp file + rename), so a run killed at any
moment leaves only complete entries behind and a re-run resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import fields
from pathlib import Path

import numpy as np

from grnbench.manifest import package_versions
from grnbench.registry import Registry
from grnbench.results import ResultRecord
from grnbench.tasks import Task, TaskOutput

KEY_PACKAGES = ("grnbench", "python", "numpy", "scikit-learn", "arboreto", "xgboost", "tensorflow",
                "tensorflow-cpu", "keras")


def task_key(task: Task, registry: Registry, dataset_hash: str) -> str:
    cls = registry.get(task.method.name)
    versions = package_versions()
    payload = {
        "method": cls.name,
        "parameters": {**cls.parameters, **dict(task.method.params)},
        "source": cls.source_hash(),
        "dataset": dataset_hash,
        "protocol": [task.protocol.name, list(task.protocol.params)],
        "repeat": task.repeat,
        "seed": task.seed,
        "split": task.split,
        "top_k": task.top_k,
        "versions": {k: versions.get(k) for k in KEY_PACKAGES},
    }
    if task.init_seed is not None:  # only then: runs without --seeds keep their cache keys
        payload["init_seed"] = task.init_seed
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


class ResultCache:
    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    def _paths(self, key: str) -> tuple[Path, Path]:
        return self.directory / f"{key}.json", self.directory / f"{key}.npz"

    def get(self, key: str) -> TaskOutput | None:
        meta, arrays = self._paths(key)
        if not (meta.is_file() and arrays.is_file()):
            return None
        try:
            stored = json.loads(meta.read_text())
            with np.load(arrays) as npz:
                test_index, scores = npz["test_index"], npz["scores"]
        except (OSError, ValueError, KeyError):
            return None  # a damaged entry is recomputed, not trusted
        names = {f.name for f in fields(ResultRecord)}
        record = ResultRecord(**{k: v for k, v in stored.items() if k in names})
        record.cached = True
        return TaskOutput(record, test_index, scores)

    def put(self, key: str, output: TaskOutput) -> None:
        if output.record.status != "ok" or output.scores is None:
            return  # failures are never cached
        meta, arrays = self._paths(key)
        tmp_arrays = arrays.with_suffix(f".{os.getpid()}.tmp.npz")
        np.savez(tmp_arrays, test_index=output.test_index, scores=output.scores)
        os.replace(tmp_arrays, arrays)
        tmp_meta = meta.with_suffix(f".{os.getpid()}.tmp")
        tmp_meta.write_text(json.dumps(output.record.as_dict(), default=float))
        os.replace(tmp_meta, meta)  # the .json appears last: its presence means complete
