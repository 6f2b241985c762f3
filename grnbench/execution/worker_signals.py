"""Dask worker preload: a LocalCluster worker ignores Ctrl-C (SIGINT).

Why: the terminal sends Ctrl-C to every process of its foreground group, LocalCluster's
worker processes included. Each would end with a ``KeyboardInterrupt`` traceback on the
console while grnbench itself already stops the run cleanly (it closes the cluster, which
ends the workers, and says how to resume). The workers are ended by that close, not by the
signal, so they ignore it.
"""

from __future__ import annotations

import signal
import threading


def dask_setup(worker: object) -> None:  # the name Dask looks up in a preload module
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
