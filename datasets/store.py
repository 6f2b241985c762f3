"""Where grnbench keeps data a user imports or that is generated at first use.

``$GRNBENCH_DATA`` when set; otherwise ``$XDG_DATA_HOME/grnbench`` (default
``~/.local/share/grnbench``). Imported maize datasets live in ``maize/``, cached simulated
datasets in ``simulated/``.
"""

from __future__ import annotations

import os
from pathlib import Path

from grnbench.errors import UserError


def user_data_dir() -> Path:
    """The per-user data directory (not created here)."""
    explicit = os.environ.get("GRNBENCH_DATA")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share"
    return base / "grnbench"


def ensure_dir(path: Path) -> Path:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create the data directory {path} ({exc.strerror}); "
                        "set GRNBENCH_DATA to a writable folder") from None
    return path
