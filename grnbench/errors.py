"""User-facing errors.

Anything a user can cause (a missing file, an unknown method, a malformed matrix) raises
``UserError``. The CLI prints its message as one line and exits with status 2, so a user
never sees a traceback for their own mistake; any other exception is a bug in grnbench.
"""


class UserError(Exception):
    """An error caused by input the user controls; its message says what and how to fix."""


class DataError(UserError):
    """A data file is missing, unreadable or malformed. The message names the file."""

    def __init__(self, path: object, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


def cannot_write(path: object, exc: OSError) -> UserError:
    """The one message for an output of a run that cannot be written (permissions, an
    immutable flag, a full disk): the path, why, and the fix."""
    return UserError(f"cannot write {exc.filename or path} ({exc.strerror or exc}); make it writable "
                     "(or remove it) or choose another --out")
