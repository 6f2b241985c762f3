#!/usr/bin/env bash
# Deep-learning evidence runs on a GPU machine that has JAX but no TensorFlow (Keras 3's JAX
# backend runs grnbench's own model code unchanged). Used for what the 2-core CPU cannot fit:
# PSGRN and its seven ablations x DREAM4 size100 networks 1-3 x seeds 0-2 (72 fits), as
# SHARDS parallel processes of benchmarks/bench_psgrn_dream4.py. Fits already in
# benchmarks/results/psgrn_dream4_jax.jsonl are skipped; new ones are appended to
# $OUT/psgrn_dream4_jax.jsonl (one JSON line per fit; copy it back into benchmarks/results/).
# Needs, in .whl-psgrn/, the wheels of what the machine lacks (keras, namex, optree, dask,
# distributed, arboreto and their small deps).
#
#   SHARDS=12 bash benchmarks/gpu_jax_runs.sh
# (18 processes on one H100 ran out of GPU memory for CUDA graphs; command buffers are off.)
set -u
: "${OUT:?set OUT to the results folder}"
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl-psgrn/*.whl || exit 1
python3 -m pip install -q --no-index --no-deps --no-build-isolation --no-compile --target /tmp/grnbench . || exit 1
export PYTHONPATH=/tmp/grnbench:/tmp/site KERAS_BACKEND=jax XLA_PYTHON_CLIENT_PREALLOCATE=false PYTHONUNBUFFERED=1
export XLA_FLAGS="--xla_gpu_enable_command_buffer="
cp benchmarks/results/psgrn_dream4_jax.jsonl "$OUT/psgrn_dream4_jax.jsonl"
N=${SHARDS:-12}
for k in $(seq 0 $((N - 1))); do
  python3 benchmarks/bench_psgrn_dream4.py --models all --backend jax --shard "$k/$N" --threads 1 \
    --out "$OUT/psgrn_dream4_jax.jsonl" >> "$OUT/psgrn_log.txt" 2>&1 &
done
wait
