"""Provenance of a run: versions, machine, seeds, parameters and dataset hash, and for each
method where it came from (the distribution and version that installed it, or the plugin
file's path and SHA-256) beside the hash of its source code."""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psutil

from grnbench import __version__
from grnbench.data.dataset import Dataset
from grnbench.data.universe import dataset_summary
from grnbench.execution.source_hash import package_versions

if TYPE_CHECKING:
    from grnbench.execution.run_config import RunConfig

def machine() -> dict[str, Any]:
    return {
        "platform": platform.platform(), "processor": platform.machine(),
        "cpu_count": os.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "hostname": platform.node(),
    }


def build_manifest(config: RunConfig, dataset: Dataset, started: float, finished: float,
                   extra: dict[str, Any] | None = None,
                   source_hashes: dict[str, str] | None = None) -> dict[str, Any]:
    """The run's manifest; ``source_hashes`` (method name → hash) the run already computed."""
    from grnbench.registry import load_registry

    registry = load_registry(config.plugins, override=config.plugin_override)
    methods = {}
    for spec in config.methods:
        try:
            cls = registry.get(spec.name)
            methods[spec.label] = {"name": spec.name, "parameters": {**cls.parameters, **dict(spec.params)},
                                   "supervised": cls.supervised, "ablation_of": cls.ablation_of,
                                   "source_hash": (source_hashes or {}).get(spec.name) or cls.source_hash(),
                                   "source": registry.sources[spec.name].provenance()}
            if spec.name in registry.replaced:  # --plugin-override: say what the plugin file replaced
                methods[spec.label]["replaces"] = registry.replaced[spec.name].provenance()
        except Exception as exc:  # the manifest must still be written
            methods[spec.label] = {"error": str(exc)}
    payload = {
        "grnbench_version": __version__,
        "command": " ".join(config.command),
        "seed": config.seed,
        "split": config.split,
        "folds": "auto" if config.folds is None else config.folds,
        "top_k": config.top_k,
        "protocols": [{"name": p.name, **dict(p.params)} for p in config.protocols],
        "methods": methods,
        "config": config.resolved_config,
        "dataset": dataset_summary(dataset),
        "started": datetime.fromtimestamp(started, UTC).isoformat(timespec="seconds"),
        "finished": datetime.fromtimestamp(finished, UTC).isoformat(timespec="seconds"),
        "duration_s": round(finished - started, 3),
        "versions": package_versions(),
        "machine": machine(),
    }
    payload.update(extra or {})
    return payload


#: a run folder's provenance file (written last, so an interrupted run may have none)
MANIFEST_NAME = "manifest.json"


def read_manifest(run_dir: Path) -> dict[str, Any]:
    """``RUN_DIR/manifest.json`` as a mapping; ``{}`` when there is none (a run interrupted
    before its end writes none, and its results are still readable).

    A manifest that is there but damaged is a ``DataError``, never ``{}``: the commands that
    read it (``evaluate``, ``report``) take the run's seed, folds and dataset files from it,
    and reading half a manifest as none would check, or describe, a different run."""
    import json

    from grnbench.errors import DataError

    path = Path(run_dir) / MANIFEST_NAME
    if not path.is_file():
        return {}
    fix = "restore it from a backup copy, or re-run the benchmark into this folder (--replace)"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataError(path, f"not valid JSON (line {exc.lineno}: {exc.msg}); {fix}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(path, f"unreadable ({type(exc).__name__}); {fix}") from None
    if not isinstance(data, dict):
        raise DataError(path, f"not a grnbench manifest (a JSON {type(data).__name__}, not an object); {fix}")
    return data
