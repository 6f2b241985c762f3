"""--device: auto falls back to the CPU, gpu without a GPU or GPU backend is a one-line error,
the choice reaches workers through the environment, and GPU tasks split the memory."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from grnbench.errors import UserError
from grnbench.execution.device import DeviceChoice, apply_device, select_device


def test_auto_without_gpu_runs_on_cpu_with_tensorflow():
    choice = select_device("auto", gpus=(), backend=None)
    assert (choice.device, choice.keras_backend, choice.label) == ("cpu", "tensorflow", "cpu")


def test_auto_with_gpu_and_jax_cuda_takes_the_gpu():
    choice = select_device("auto", concurrent_tasks=3, gpus=("NVIDIA H100",), backend="jax")
    assert (choice.device, choice.keras_backend, choice.label) == ("gpu", "jax", "gpu:NVIDIA H100")
    assert choice.memory_fraction == pytest.approx(0.3)


def test_gpu_without_gpu_or_backend_is_a_user_error_saying_what_is_missing():
    with pytest.raises(UserError, match="no NVIDIA GPU is visible"):
        select_device("gpu", gpus=(), backend="jax")
    with pytest.raises(UserError, match=r"pip install -e '\.\[gpu\]'"):
        select_device("gpu", gpus=("NVIDIA H100",), backend=None)
    with pytest.raises(UserError, match="--device must be one of"):
        select_device("tpu")


def test_cpu_is_cpu_even_with_a_gpu():
    assert select_device("cpu", gpus=("NVIDIA H100",), backend="jax").device == "cpu"


def test_gpu_choice_sets_backend_and_memory_sharing_for_child_processes(monkeypatch):
    for key in ("KERAS_BACKEND", "XLA_PYTHON_CLIENT_PREALLOCATE", "XLA_PYTHON_CLIENT_MEM_FRACTION",
                "TF_FORCE_GPU_ALLOW_GROWTH", "JAX_PLATFORMS"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.delitem(sys.modules, "keras", raising=False)  # as in a fresh grnbench process
    apply_device(DeviceChoice("gpu", "gpu", "jax", ("NVIDIA H100",), concurrent_tasks=2))
    assert os.environ["KERAS_BACKEND"] == "jax"
    assert os.environ["XLA_PYTHON_CLIENT_PREALLOCATE"] == "false"
    assert os.environ["XLA_PYTHON_CLIENT_MEM_FRACTION"] == "0.450"
    assert os.environ["TF_FORCE_GPU_ALLOW_GROWTH"] == "true"
    # a spawned worker (Dask LocalCluster, multiprocessing) sees the same backend
    out = subprocess.run([sys.executable, "-c", "import os; print(os.environ['KERAS_BACKEND'])"],
                         capture_output=True, text=True, check=True).stdout.strip()
    assert out == "jax"


def test_cpu_choice_keeps_jax_off_the_gpu(monkeypatch):
    monkeypatch.delenv("JAX_PLATFORMS", raising=False)
    monkeypatch.setenv("KERAS_BACKEND", "tensorflow")
    apply_device(DeviceChoice("cpu", "cpu", "tensorflow"))
    assert os.environ["JAX_PLATFORMS"] == "cpu" and os.environ["KERAS_BACKEND"] == "tensorflow"


def test_cli_device_gpu_on_a_machine_without_gpu_exits_2_with_one_line(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "grnbench", "run", "--methods", "random", "--device", "gpu",
                           "--workers", "0", "--out", str(tmp_path)],
                          capture_output=True, text=True, env={**os.environ, "CUDA_VISIBLE_DEVICES": ""})
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "--device gpu" in proc.stderr


def test_a_serial_task_gets_every_core_and_a_dask_task_its_slot(monkeypatch):
    from grnbench import deep

    monkeypatch.setattr(deep, "available_cores", lambda: 16)
    assert deep.task_threads(None, serial=True) == 16
    assert deep.task_threads(None, serial=False) == 1
    assert deep.task_threads(4, serial=True) == 4 and deep.task_threads(4, serial=False) == 4
