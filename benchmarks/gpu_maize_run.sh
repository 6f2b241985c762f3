#!/usr/bin/env bash
# Issue 16's GPU evidence in one call: `grnbench run --methods all --dataset maize2-sim
# --device gpu` end to end (goal ≤ 10 min), with wall time, the largest process's peak RSS and the
# GPU's memory use. For a GPU machine with JAX + CUDA but no TensorFlow (as the lent H100/H200
# machines are): like gpu_jax_runs.sh it needs, in .whl-psgrn/, the wheels the machine lacks
# (keras, namex, optree, dask, distributed, arboreto and their small deps).
#
#   OUT=/path/to/results bash benchmarks/gpu_maize_run.sh
set -u
: "${OUT:?set OUT to the results folder}"
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl-psgrn/*.whl || exit 1
python3 -m pip install -q --no-index --no-deps --no-build-isolation --no-compile --target /tmp/grnbench . || exit 1
export PYTHONPATH=/tmp/grnbench:/tmp/site PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total --format=csv > "$OUT/gpu.txt"
( while sleep 5; do nvidia-smi --query-gpu=memory.used --format=csv,noheader >> "$OUT/gpu_memory_used.txt"; done ) &
WATCH=$!
/usr/bin/time -v python3 -m grnbench run --methods all --dataset maize2-sim --device gpu \
  --out "$OUT/maize2-sim-gpu" --no-cache > "$OUT/run_log.txt" 2>&1
echo "exit $?" >> "$OUT/run_log.txt"
kill "$WATCH"
