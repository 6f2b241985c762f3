"""Imported once by the forkserver that forks task processes (``grnbench.execution.task_process``).

Importing grnbench's task code and loading the method registry takes seconds (scikit-learn,
pandas, every method module); doing it here, before the server forks, gives every task
process those imports for free. TensorFlow is imported lazily by the deep methods and so
never here: the server stays safe to fork.
"""

from grnbench.execution import task_process  # noqa: F401
from grnbench.registry import load_registry

load_registry(())
