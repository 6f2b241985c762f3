"""A run's configuration as the user gave it (``grnbench run``'s options): methods, protocols,
split, folds, seeds, limits, output. One dataclass read by the runner, the manifest and the
report, so that what a run was asked to do is written down in one place.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

from grnbench.data.protocols import ProtocolSpec
from grnbench.errors import UserError
from grnbench.evaluation.metrics import DEFAULT_TOP_K
from grnbench.execution.device import DeviceChoice
from grnbench.registry import MethodSpec


@dataclass
class BackendOptions:
    workers: int | None = None  # None: one per core; 0: serial, in this process
    threads_per_worker: int | None = None  # None: 1 per Dask worker; every core when serial
    memory_limit: str = "auto"
    scheduler: str | None = None
    scheduler_file: str | None = None
    timeouts: dict[str, float] | None = None  # method name (or "*") → seconds
    #: running multithreaded fits take the cores finished tasks freed (``--use-freed-cores``)
    use_freed_cores: bool = False

    def timeout_for(self, method: str) -> float | None:
        if not self.timeouts:
            return None
        return self.timeouts.get(method, self.timeouts.get("*"))

    @property
    def serial(self) -> bool:
        return self.workers == 0 and not (self.scheduler or self.scheduler_file)

    def memory_bytes(self) -> int | None:
        """The explicit --memory-limit in bytes; None for 'auto' or no limit."""
        text = str(self.memory_limit).strip().lower()
        if text in ("auto", "", "none", "0"):
            return None
        from dask.utils import parse_bytes

        return int(parse_bytes(text))


@dataclass
class RunConfig:
    methods: list[MethodSpec]
    protocols: list[ProtocolSpec]
    seed: int = 0
    split: str = "stratified"
    top_k: int = DEFAULT_TOP_K
    plugins: tuple[str, ...] = ()
    #: let plugin-file methods replace installed methods of the same name (--plugin-override)
    plugin_override: bool = False
    out_dir: Path = Path("grnbench-results")
    quiet: bool = False
    command: list[str] = field(default_factory=lambda: list(sys.argv))
    #: the user's files when the dataset came from --expression/--gold-standard (a list of
    #: such mappings when a --config file lists several own datasets)
    dataset_files: dict[str, object] | list[dict[str, object]] | None = None
    backend: BackendOptions = field(default_factory=BackendOptions)
    cache_dir: Path | None = None  # default: OUT/cache
    use_cache: bool = True
    #: drop the rows an earlier run left in ``out_dir`` instead of refusing incomparable ones
    replace: bool = False
    force: tuple[str, ...] = ()  # method names to recompute even when cached
    #: cross-validation folds (``--folds``); 0: one split; None: auto per dataset
    #: (``grnbench.data.folds.resolve_folds``)
    folds: int | None = None
    #: model-initialisation seeds (``--seeds``): each method is fitted once per seed on the same
    #: split; None: one fit with the trial's own seed
    init_seeds: tuple[int, ...] | None = None
    #: where the deep methods run (grnbench.execution.device.DeviceChoice; None: CPU, TensorFlow)
    device: DeviceChoice | None = None
    #: "reference" (the methods' own settings) or "quick" (capped: grnbench.execution.profiles)
    profile: str = "reference"
    #: the caps the profile set, per method (for the manifest)
    profile_caps: dict[str, dict] = field(default_factory=dict)
    #: every option's final value in the --config schema (grnbench.execution.config_file), for
    #: the manifest: ``grnbench run --config RUN/manifest.json`` runs the same benchmark again
    resolved_config: dict | None = None


def parse_timeouts(text: str | None) -> dict[str, float] | None:
    """``--timeout`` as {method name or "*": seconds}; None when not given."""
    if not text:
        return None
    limits: dict[str, float] = {}
    for part in text.split(","):
        name, sep, value = part.rpartition("=")
        try:
            seconds = float(value)
        except ValueError:
            raise UserError(f"--timeout expects seconds or METHOD=SECONDS, got {part!r}") from None
        if not (seconds > 0 and math.isfinite(seconds)):
            raise UserError(f"--timeout must be a positive number of seconds, got {part!r}")
        limits[name.strip() if sep else "*"] = seconds
    return limits
