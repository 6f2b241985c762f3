"""Plugin methods that `grnbench check` must fail, each for one reason, in one clear line:
scores that change between two fits with the same seed, and a fit that ends its own process
(exit code, signal, ``sys.exit``). Shared by tests/test_check_messages.py and
benchmarks/failure_matrix.py; select one with ``grnbench check --plugin THIS_FILE NAME``."""

from __future__ import annotations

import os
import signal
import sys

import numpy as np

from grnbench.api import Method


class Noisy(Method):
    name = "noisy"
    description = "unseeded random scores"

    def fit(self, data):
        self.fitted_ = True

    def score_edges(self, pairs):
        return np.random.default_rng().random(len(pairs))


class ExitsInFit(Method):
    name = "exits_in_fit"
    description = "os._exit in fit"

    def fit(self, data):
        os._exit(7)

    def score_edges(self, pairs):
        return np.zeros(len(pairs))


class KilledInFit(ExitsInFit):
    name = "killed_in_fit"
    description = "SIGKILL to itself in fit"

    def fit(self, data):
        os.kill(os.getpid(), signal.SIGKILL)


class SysExitInFit(ExitsInFit):
    name = "sys_exit_in_fit"
    description = "sys.exit(0) in fit"

    def fit(self, data):
        sys.exit(0)
