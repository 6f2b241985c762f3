"""Shared TensorFlow/Keras set-up for the deep-learning methods (PSGRN, CNNC, DGRNS).

One place decides determinism and thread use, so every deep method is seeded the same way
and none oversubscribes the cores it was given by the runner:
- ``keras.utils.set_random_seed`` seeds Python, NumPy and TensorFlow;
- TensorFlow op determinism makes reductions order-stable (same seed → same scores);
- intra/inter-op thread pools are set from the task's share of the cores. TensorFlow allows
  this only before its runtime starts, so the first call in a process wins; later calls with
  a different count are ignored (documented, not an error).
"""

from __future__ import annotations

import os

import numpy as np

_threads_set: int | None = None


def configure_tensorflow(seed: int, n_threads: int = 1):
    """Seed everything and fix thread pools; returns the imported ``keras`` module."""
    global _threads_set
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_DETERMINISTIC_OPS", "1")
    import keras
    import tensorflow as tf

    if _threads_set is None:
        try:
            tf.config.threading.set_intra_op_parallelism_threads(max(1, int(n_threads)))
            tf.config.threading.set_inter_op_parallelism_threads(1)
            _threads_set = int(n_threads)
        except RuntimeError:  # runtime already initialised in this process
            _threads_set = -1
    keras.utils.set_random_seed(int(seed) % (2**32 - 1))
    tf.config.experimental.enable_op_determinism()
    return keras


def balanced_class_weight(labels: np.ndarray) -> dict[int, float]:
    """Weights that give both classes equal total weight (sklearn's 'balanced').

    Gold standards are heavily imbalanced (DREAM4 size100: 1.8% positives); without
    re-weighting a classifier can reach low loss by predicting 0 everywhere.
    """
    labels = np.asarray(labels).astype(int)
    n, pos = len(labels), int(labels.sum())
    if pos == 0 or pos == n:
        return {0: 1.0, 1: 1.0}
    return {0: n / (2.0 * (n - pos)), 1: n / (2.0 * pos)}
