"""PSGRN's model code also runs on Keras's JAX backend (for GPU machines without TensorFlow).

Keras picks its backend once per process, so the JAX run happens in a subprocess. Skipped
where JAX is not installed (it is not a grnbench dependency; the default CI has no JAX).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="JAX is not installed")

SCRIPT = r"""
import json, sys
import numpy as np
sys.path.insert(0, sys.argv[1])
from conftest import make_lagged_dataset, standard_training_data
import keras
from grnbench.evaluation.metrics import evaluate
from grnbench.methods.psgrn import PSGRN, PSGRN_FM_GRU

assert keras.backend.backend() == "jax"
dataset = make_lagged_dataset(n_tfs=6, n_targets=40, n_times=60, lag=2, seed=1)
universe, split, data = standard_training_data(dataset, seed=0)
params = dict(hidden=16, dn_blocks=2, dn_layers=2, dn_growth=8, dense_units=16, epochs=30,
              patience=30, batch_size=64, learning_rate=3e-3, execution="graph")
out = {}
for run in ("a", "b"):
    method = PSGRN(**params)
    method.fit(data)
    out[run] = method.score_edges(universe.pairs.subset(split.test)).tolist()
    val = method.score_edges(data.validation.pairs)
    out["val_restored_" + run] = float(evaluate(np.asarray(data.validation.labels), val).aupr)
    out["val_best_" + run] = float(method.best_validation_aupr_)
out["test_aupr"] = evaluate(universe.labels[split.test], np.asarray(out["a"])).aupr
out["positive_rate"] = float(np.mean(universe.labels[split.test]))
fm = PSGRN_FM_GRU(**{**params, "epochs": 1})
fm.fit(data)
out["fm_gru_finite"] = bool(np.all(np.isfinite(fm.score_edges(universe.pairs.subset(split.test)))))
print("RESULT " + json.dumps(out))
"""


def test_psgrn_trains_deterministically_on_the_jax_backend_and_restores_its_best_epoch():
    tests_dir = Path(__file__).parent
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(tests_dir)], env=env,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT "))
    out = json.loads(line[len("RESULT "):])
    assert out["a"] == out["b"]  # same seed, same scores
    assert out["val_restored_a"] == pytest.approx(out["val_best_a"])  # best epoch's weights kept
    assert out["test_aupr"] > max(0.5, 3 * out["positive_rate"])
    assert out["fm_gru_finite"]
