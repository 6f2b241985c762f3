"""Where the deep methods (PSGRN, CNNC, DGRNS) run: CPU or GPU, and on which Keras backend.

Keras fixes its backend when it is first imported, and TensorFlow / JAX fix their device
and memory settings when their runtime starts. So the choice is made once, in the ``grnbench``
process, before anything imports Keras, and written into environment variables
(``KERAS_BACKEND``, ``XLA_PYTHON_CLIENT_*``, ``TF_FORCE_GPU_ALLOW_GROWTH``, ``JAX_PLATFORMS``).
Serial runs read them in this process; Dask LocalCluster workers and any child process
inherit them when they are spawned, so a worker imports Keras on the right backend without
any code of its own. A cluster started elsewhere (``--scheduler``) has its own environment:
set the same variables where its workers start.

GPU path: Keras 3 on JAX with CUDA (``pip install -e '.[gpu]'`` adds ``jax[cuda12]``); the CPU
default stays TensorFlow (``tensorflow-cpu``), which is what CI tests. A TensorFlow build with
CUDA is used when it is what is installed (the user's own ``tensorflow[and-cuda]``).
Detection reads installed distributions and ``nvidia-smi``; it imports neither JAX nor
TensorFlow, because starting their runtime here would hold GPU memory in the parent process.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

from grnbench.errors import UserError

DEVICES = ("auto", "cpu", "gpu")
#: share of one GPU's memory that all concurrent deep tasks together may take
GPU_MEMORY_SHARE = 0.9
#: distributions that give JAX a CUDA backend (``jax[cuda12]`` / ``jax[cuda13]``)
_JAX_CUDA = ("jax-cuda12-plugin", "jax-cuda13-plugin")
#: a TensorFlow with CUDA comes with NVIDIA's cuDNN wheel (``tensorflow[and-cuda]``)
_TF_CUDA = ("nvidia-cudnn-cu12",)


@dataclass(frozen=True)
class DeviceChoice:
    """The resolved device of a run's deep methods, as recorded in results and manifest."""

    requested: str          # what the user asked: auto, cpu or gpu
    device: str             # cpu or gpu
    keras_backend: str      # tensorflow or jax
    gpus: tuple[str, ...] = ()  # names of the visible GPUs (empty on cpu)
    concurrent_tasks: int = 1   # deep tasks that may share the GPU at once

    @property
    def label(self) -> str:
        """Short form for results.csv: ``cpu`` or ``gpu:<name>``."""
        return self.device if self.device == "cpu" else f"gpu:{self.gpus[0] if self.gpus else 'unknown'}"

    def as_dict(self) -> dict[str, object]:
        return {"requested": self.requested, "device": self.device, "keras_backend": self.keras_backend,
                "gpus": list(self.gpus), "concurrent_tasks": self.concurrent_tasks,
                "gpu_memory_fraction_per_task": self.memory_fraction if self.device == "gpu" else None}

    @property
    def memory_fraction(self) -> float:
        """GPU memory each deep task may take, so that all concurrent ones fit together."""
        return round(GPU_MEMORY_SHARE / max(1, self.concurrent_tasks), 3)


def _installed(names: tuple[str, ...]) -> bool:
    for name in names:
        try:
            version(name)
            return True
        except PackageNotFoundError:
            continue
    return False


def gpu_backend() -> str | None:
    """The installed Keras backend that can use an NVIDIA GPU (``jax`` first), or None."""
    if _installed(_JAX_CUDA):
        return "jax"
    if _installed(("tensorflow",)) and _installed(_TF_CUDA):
        return "tensorflow"
    return None


def visible_gpus() -> tuple[str, ...]:
    """Names of the NVIDIA GPUs this process may use (honours ``CUDA_VISIBLE_DEVICES``)."""
    hidden = os.environ.get("CUDA_VISIBLE_DEVICES")
    if hidden is not None and hidden.strip() in ("", "-1"):
        return ()
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return ()
    try:
        out = subprocess.run([smi, "--query-gpu=name", "--format=csv,noheader"], capture_output=True,
                             text=True, timeout=20, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    names = tuple(line.strip() for line in out.splitlines() if line.strip())
    if hidden:
        wanted = [int(i) for i in hidden.split(",") if i.strip().isdigit()]
        names = tuple(names[i] for i in wanted if i < len(names)) if wanted else names
    return names


def select_device(requested: str, concurrent_tasks: int = 1, *, gpus: tuple[str, ...] | None = None,
                  backend: str | None = "detect") -> DeviceChoice:
    """Resolve ``--device``: auto takes the GPU when one is visible and a GPU backend is
    installed; gpu without either is a one-line user error saying what is missing.

    ``gpus`` and ``backend`` are for tests (default: detect on this machine).
    """
    requested = str(requested).lower()
    if requested not in DEVICES:
        raise UserError(f"--device must be one of {', '.join(DEVICES)}, got {requested!r}")
    if requested == "cpu":
        return DeviceChoice("cpu", "cpu", "tensorflow")
    found = visible_gpus() if gpus is None else tuple(gpus)
    kind = gpu_backend() if backend == "detect" else backend
    if found and kind:
        return DeviceChoice(requested, "gpu", kind, found, max(1, int(concurrent_tasks)))
    if requested == "gpu":
        if not found:
            raise UserError("--device gpu: no NVIDIA GPU is visible (nvidia-smi finds none or "
                            "CUDA_VISIBLE_DEVICES hides them); use --device cpu or auto")
        raise UserError("--device gpu: no GPU-capable Keras backend is installed; "
                        "run `pip install -e '.[gpu]'` (Keras on JAX with CUDA 12)")
    return DeviceChoice("auto", "cpu", "tensorflow")


def apply_device(choice: DeviceChoice) -> None:
    """Write the choice into this process's environment, for it and every worker it spawns.

    Raises ``UserError`` when Keras was already imported on another backend (the choice
    could no longer take effect in this process).
    """
    if "keras" in sys.modules:
        import keras

        if keras.backend.backend() != choice.keras_backend:
            raise UserError(f"Keras was imported on {keras.backend.backend()} before --device "
                            f"{choice.requested} chose {choice.keras_backend}; start a fresh process")
    os.environ["KERAS_BACKEND"] = choice.keras_backend
    if choice.device == "gpu":
        # several deep tasks (Dask workers) share one GPU: none preallocates, each is capped
        os.environ["XLA_PYTHON_CLIENT_PREALLOCATE"] = "false"
        os.environ["XLA_PYTHON_CLIENT_MEM_FRACTION"] = f"{choice.memory_fraction:.3f}"
        os.environ["TF_FORCE_GPU_ALLOW_GROWTH"] = "true"
        os.environ.pop("JAX_PLATFORMS", None)
        # CUDA graphs hold memory per process: with many processes on one GPU they ran it out
        # of memory (benchmarks/gpu_jax_runs.sh, 18 processes on one H100)
        flags = os.environ.get("XLA_FLAGS", "")
        if "xla_gpu_enable_command_buffer" not in flags:
            os.environ["XLA_FLAGS"] = (flags + " --xla_gpu_enable_command_buffer=").strip()
    else:
        # a JAX with CUDA installed must not grab the GPU for a CPU run
        os.environ["JAX_PLATFORMS"] = "cpu"
