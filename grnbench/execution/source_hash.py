"""What identifies the code behind a result: the hash of a method's source, and the versions
of the packages it ran on (both parts of every cache key, and of the manifest).

Kept beside the cache's concerns, not in the plugin contract: a method author never calls
it. It covers the module defining the class, the modules of its base classes, and every
grnbench module (or module of the method's own package) they import — at the top or lazily
inside a function, found by parsing the source — so editing a shared helper invalidates the
cached results that depend on it.
"""

from __future__ import annotations

import functools
import hashlib
import platform
from importlib.metadata import PackageNotFoundError, version


def source_hash(cls: type) -> str:
    """16 hex digits of SHA-256 over the source of ``cls``'s code closure."""
    h = hashlib.sha256()
    for name, source in sorted(code_sources(cls).items()):
        h.update(name.encode() + b"\0" + source.encode())
    return h.hexdigest()[:16]


def code_sources(cls: type) -> dict[str, str]:
    """Module name → source text for ``cls``'s code closure within grnbench (and its own package)."""
    roots = [k.__module__ for k in cls.__mro__ if k.__module__ not in ("builtins", "abc", "grnbench.api")]
    prefixes = ("grnbench",) + tuple(r.split(".")[0] for r in roots)
    sources: dict[str, str] = {}
    stack = list(roots)
    while stack:
        name = stack.pop()
        if name in sources or name == "grnbench.api":
            continue
        text, imported = _module_imports(name)
        sources[name] = text
        for module, names in imported:
            found = [module]
            if module.startswith(prefixes) and _is_package(module):  # "from pkg import module"
                found += [f"{module}.{n}" for n in names]
            stack += [m for m in found if m.startswith(prefixes) and _is_module(m)]
    return sources


@functools.cache
def _module_imports(name: str) -> tuple[str, tuple[tuple[str, tuple[str, ...]], ...]]:
    """A module's source and what it imports, (module, names) per import statement, at the top
    or inside functions (never executing it). Read once per process: every method of a run
    shares most of its closure."""
    import ast
    import importlib.util

    try:
        spec = importlib.util.find_spec(name)
        origin = spec.origin if spec else None
        text = open(origin, encoding="utf-8").read() if origin and origin.endswith(".py") else ""
    except (ImportError, OSError, ValueError):
        return "", ()
    package = name if origin and origin.endswith("__init__.py") else name.rpartition(".")[0]
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return text, ()
    imported: list[tuple[str, tuple[str, ...]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported += [(alias.name, ()) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            try:
                base = (importlib.util.resolve_name("." * node.level + (node.module or ""), package)
                        if node.level else node.module or "")
            except ImportError:
                continue
            imported.append((base, tuple(alias.name for alias in node.names)))
    return text, tuple(imported)


@functools.cache
def _is_module(name: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


@functools.cache
def _is_package(name: str) -> bool:
    import importlib.util

    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return False
    return bool(spec and spec.submodule_search_locations is not None)


PACKAGES = ("numpy", "pandas", "scipy", "scikit-learn", "dask", "distributed", "arboreto",
            "tensorflow", "tensorflow-cpu", "keras", "xgboost", "matplotlib", "seaborn", "jinja2")


def package_versions() -> dict[str, str]:
    """Versions of grnbench, Python and the numerical packages (a copy: callers may add to it)."""
    return dict(_package_versions())


@functools.lru_cache(maxsize=1)
def _package_versions() -> dict[str, str]:
    from grnbench import __version__

    found = {"grnbench": __version__, "python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            pass
    return found


