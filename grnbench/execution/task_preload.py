"""Imported once by the forkserver that forks task processes (``grnbench.execution.task_process``).

Importing grnbench's task code, the method registry and the libraries every task needs
(scikit-learn's metrics, scipy's statistics, arboreto for the per-target methods) takes
seconds; doing it here, before the server forks, gives every task process those imports for
free, and keeps them out of the task's running time, which its time limit counts.
Loading the registry alone no longer imports them (it must stay cheap for the parent), so
they are named here. TensorFlow is imported lazily by the deep methods and so never here:
the server stays safe to fork.
"""

import arboreto.core  # noqa: F401
import scipy.stats  # noqa: F401
import sklearn.metrics  # noqa: F401

from grnbench.execution import task_process  # noqa: F401
from grnbench.registry import load_registry

load_registry(())
