"""Content-addressed cache of finished tasks.

The key covers everything that changes a result: the method's name, full parameters and
source hash, the dataset's content hash, the protocol and its parameters, the repeat, the
run seed, the split kind, top-k and the versions of the packages that compute the numbers.
Each entry stores that payload and a checksum over key, record and arrays, so what a hit
returns is checked against the key it was asked for (see ``ResultCache``).
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

from grnbench.evaluation.catalogue import score_columns
from grnbench.execution.source_hash import package_versions
from grnbench.execution.tasks import Task, TaskOutput
from grnbench.registry import Registry
from grnbench.results.records import ResultRecord

KEY_PACKAGES = ("grnbench", "python", "numpy", "scikit-learn", "arboreto", "xgboost", "tensorflow",
                "tensorflow-cpu", "keras")


def task_key_payload(task: Task, registry: Registry, dataset_hash: str, source_hash: str | None = None) -> dict:
    """Everything that changes a task's result; its hash is the cache key.

    ``source_hash``: the method's ``source_hash()`` when the caller already has it — a run
    computes it once per method (an AST walk over its code), not once per task.
    """
    cls = registry.get(task.method.name)
    versions = package_versions()
    payload = {
        "method": cls.name,
        "parameters": {**cls.parameters, **dict(task.method.params)},
        "source": source_hash or cls.source_hash(),
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
    if task.folds:
        payload["folds"] = task.folds
    return payload


def _canonical(payload: object) -> str:
    return json.dumps(payload, sort_keys=True, default=str)


def key_of(payload: dict) -> str:
    return hashlib.sha256(_canonical(payload).encode()).hexdigest()[:24]


def _checksum(key: str, record: dict, test_index: np.ndarray, scores: np.ndarray, curve: list | None = None) -> str:
    """Binds an entry's record, learning curve and arrays to its key: a copied or edited entry
    fails it. An entry without a curve hashes as entries did before curves existed."""
    h = hashlib.sha256()
    h.update(key.encode() + b"\0" + _canonical(record).encode())
    if curve:
        h.update(b"\0curve" + _canonical(curve).encode())
    for array in (test_index, scores):
        array = np.ascontiguousarray(array)
        h.update(f"{array.dtype.str}{array.shape}".encode())
        h.update(array.tobytes())
    return h.hexdigest()


class ResultCache:
    """Entries ``KEY.json`` (format, key, key payload, record, a deep fit's learning curve,
    checksum) + ``KEY.npz``.

    ``get`` trusts an entry only if it parses, is of this format, names its own key, and its
    checksum over key, record and arrays matches; anything else (a truncated ``.npz``, JSON
    of the wrong shape, an entry copied under another key or edited by hand, an entry of an
    older grnbench) is treated as missing and recomputed, then overwritten.
    """

    FORMAT = 2

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        #: keys whose entry was present but refused (for the manifest and tests)
        self.refused: list[str] = []

    def _paths(self, key: str) -> tuple[Path, Path]:
        return self.directory / f"{key}.json", self.directory / f"{key}.npz"

    def get(self, key: str) -> TaskOutput | None:
        meta, arrays = self._paths(key)
        if not (meta.is_file() and arrays.is_file()):
            return None
        output = self._load(key, meta, arrays)
        if output is None:
            self.refused.append(key)
        return output

    def _load(self, key: str, meta: Path, arrays: Path) -> TaskOutput | None:
        try:
            entry = json.loads(meta.read_text())
            with np.load(arrays, allow_pickle=False) as npz:
                test_index, scores = np.array(npz["test_index"]), np.array(npz["scores"])
        except Exception:  # noqa: BLE001 - any unreadable entry (zip, JSON, dtype errors) is recomputed
            return None
        if not (isinstance(entry, dict) and entry.get("format") == self.FORMAT and entry.get("key") == key
                and isinstance(entry.get("payload"), dict) and key_of(entry["payload"]) == key
                and isinstance(entry.get("record"), dict)):
            return None
        curve = entry.get("curve", [])
        if not (isinstance(curve, list) and all(isinstance(row, dict) for row in curve)):
            return None
        if entry.get("checksum") != _checksum(key, entry["record"], test_index, scores, curve):
            return None
        if test_index.ndim != 1 or scores.shape != test_index.shape:
            return None
        names = {f.name for f in fields(ResultRecord)}
        try:
            record = ResultRecord(**{k: v for k, v in entry["record"].items() if k in names})
        except TypeError:
            return None
        record.cached = True
        stale = any(c.name not in entry["record"] for c in score_columns())
        return TaskOutput(record, test_index, scores, metrics_stale=stale, curve=curve)

    def put(self, key: str, output: TaskOutput, payload: dict | None = None) -> None:
        """Store a finished task; ``payload`` is the key's payload (``task_key_payload``)."""
        if output.record.status != "ok" or output.scores is None or output.test_index is None:
            return  # failures are never cached
        meta, arrays = self._paths(key)
        record = json.loads(json.dumps(output.record.as_dict(), default=float))
        curve = json.loads(json.dumps(output.curve, default=float))
        entry = {"format": self.FORMAT, "key": key, "payload": payload, "record": record,
                 "checksum": _checksum(key, record, np.asarray(output.test_index), np.asarray(output.scores), curve)}
        if curve:  # a deep fit's learning curve, so a cached task still has it
            entry["curve"] = curve
        if payload is None or key_of(payload) != key:
            raise ValueError("ResultCache.put needs the payload whose hash is the key")
        tmp_arrays = arrays.with_suffix(f".{os.getpid()}.tmp.npz")
        np.savez(tmp_arrays, test_index=output.test_index, scores=output.scores)
        os.replace(tmp_arrays, arrays)
        tmp_meta = meta.with_suffix(f".{os.getpid()}.tmp")
        tmp_meta.write_text(json.dumps(entry, default=str))
        os.replace(tmp_meta, meta)  # the .json appears last: its presence means complete
