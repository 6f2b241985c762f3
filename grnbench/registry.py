"""Method discovery: the ``grnbench.methods`` entry-point group plus local plugin files.

Built-in methods register through the same entry-point group as third-party packages, so
adding a method never means editing the core. ``--plugin path/to/file.py`` loads every
``Method`` subclass defined in a local file, for methods that are not packaged. A method is
known by its ``name``; two sources claiming one name is an error that names both, never a
silent replacement.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import inspect
import os
import re
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from grnbench.api import Method, parameter_problem
from grnbench.errors import UserError

GROUP = "grnbench.methods"


@dataclass(frozen=True)
class MethodSource:
    """Where a method came from: an entry point of an installed distribution, or a plugin
    file. Named in collision errors, shown by ``grnbench list`` and recorded in the manifest."""

    kind: str  # "entry point" or "plugin file"
    #: the entry-point key, or the class name inside a plugin file
    key: str
    #: ``module:attribute`` of an entry point, or the plugin file's absolute path
    target: str
    distribution: str | None = None
    version: str | None = None
    sha256: str | None = None

    def describe(self) -> str:
        if self.kind == "entry point":
            dist = f" from {self.distribution} {self.version}" if self.distribution else ""
            return f"entry point {self.key} = {self.target}{dist}"
        return f"plugin file {self.target} (class {self.key})"

    def provenance(self) -> dict[str, str | None]:
        """The manifest's record of this source."""
        if self.kind == "entry point":
            return {"kind": self.kind, "entry_point": f"{self.key} = {self.target}",
                    "distribution": self.distribution, "version": self.version}
        return {"kind": self.kind, "path": self.target, "sha256": self.sha256, "class": self.key}


@dataclass
class Registry:
    """The methods a run can use, each with its source, and every problem found loading them.

    Built once per process by ``load_registry`` and shared: do not modify it.
    """

    methods: dict[str, type[Method]] = field(default_factory=dict)
    sources: dict[str, MethodSource] = field(default_factory=dict)
    #: entry points that failed to load: name → one-line reason (shown by ``grnbench list``)
    broken: dict[str, str] = field(default_factory=dict)
    #: a method name two installed entry points both define → both sources (unusable until one goes)
    conflicts: dict[str, tuple[MethodSource, MethodSource]] = field(default_factory=dict)
    #: entry-point key → the ``name`` of the class it loads, where the two differ
    key_mismatches: dict[str, str] = field(default_factory=dict)
    #: method name → the installed source a plugin file replaced (``--plugin-override``)
    replaced: dict[str, MethodSource] = field(default_factory=dict)

    def add(self, cls: type[Method], source: MethodSource, override: bool = False) -> None:
        if not (inspect.isclass(cls) and issubclass(cls, Method)) or inspect.isabstract(cls):
            self.broken[source.key] = f"{source.describe()} is not a concrete grnbench Method"
            return
        name = getattr(cls, "name", None)
        if not isinstance(name, str) or not name:
            problem = f"{source.describe()} has no string `name`"
            if source.kind == "plugin file":  # the user passed this file: never ignore its class
                raise UserError(f"{problem}; add a class attribute such as name = \"my-method\" "
                                "(the name --methods and `grnbench check` use)")
            self.broken[source.key] = problem
            return
        if source.kind == "entry point" and source.key != name:
            self.key_mismatches[source.key] = name
        old = self.sources.get(name)
        if old is not None and self.methods[name] is not cls:
            if source.kind == "entry point":
                self.conflicts[name] = (old, source)
                return
            if old.kind == "plugin file" or not override:
                fix = ("rename one of them" if old.kind == "plugin file" else
                       "set another `name` on the plugin class, or pass --plugin-override to let the plugin file replace it")
                raise UserError(f"method name {name!r} is defined twice: by {old.describe()} and by "
                                f"{source.describe()}; {fix}")
            self.replaced[name] = old
            self.conflicts.pop(name, None)
        self.methods[name] = cls
        self.sources[name] = source

    def get(self, name: str) -> type[Method]:
        if name in self.conflicts:
            a, b = self.conflicts[name]
            raise UserError(f"method name {name!r} is defined twice: by {a.describe()} and by {b.describe()}; "
                            "uninstall one of the two packages (or replace the method with --plugin FILE --plugin-override)")
        if name not in self.methods and name in self.key_mismatches:
            real = self.key_mismatches[name]
            raise UserError(f"{name!r} is the entry-point key of a method whose name is {real!r} "
                            f"({self.sources[real].describe()}); use --methods {real} (the package should "
                            "make its entry-point key equal to the method's `name`)")
        if name not in self.methods:
            hint = f" (it failed to load: {self.broken[name]})" if name in self.broken else ""
            raise UserError(f"unknown method {name!r}{hint}; valid methods: {', '.join(sorted(self.methods))}")
        return self.methods[name]

    def names_in_all(self) -> list[str]:
        return sorted(n for n, c in self.methods.items() if c.in_all)

    def problems(self) -> list[str]:
        """One line per registry problem, for ``grnbench list`` and ``grnbench check``."""
        lines = [f"{key}: failed to load: {reason}" for key, reason in sorted(self.broken.items())]
        lines += [f"{name}: defined twice, by {a.describe()} and by {b.describe()}"
                  for name, (a, b) in sorted(self.conflicts.items())]
        lines += [f"{key}: entry-point key differs from the method's name {name!r} "
                  f"({self.sources[name].describe()}); it loads as {name!r}"
                  for key, name in sorted(self.key_mismatches.items())]
        return lines


_LOADED: dict[tuple[object, ...], Registry] = {}


def load_registry(plugin_files: list[str] | tuple[str, ...] = (), override: bool = False) -> Registry:
    """The methods of the ``grnbench.methods`` entry points plus ``plugin_files``.

    Loaded once per process for each set of plugin files (a file's path, size and
    modification time are its identity), so a run's tasks — in this process, in serial child
    processes or on Dask workers — execute each plugin file once per process, not per task.
    A plugin-file method whose name an installed method already has is an error naming both,
    unless ``override`` lets the file replace it.
    """
    # one file passed twice (``--plugin a.py --plugin ./a.py``) is loaded once, not "defined twice"
    unique: dict[Path, str] = {}
    for path in plugin_files:
        unique.setdefault(Path(path).resolve(), path)
    plugin_files = tuple(unique.values())
    key = (tuple(_file_identity(p) for p in plugin_files), bool(override))
    if key not in _LOADED:
        _LOADED[key] = _build_registry(plugin_files, override)
    return _LOADED[key]


def _file_identity(path: str | Path) -> tuple[str, int, int]:
    p = Path(path).resolve()
    try:
        stat = p.stat()
    except OSError:
        return str(p), -1, -1
    return str(p), stat.st_size, stat.st_mtime_ns


def _build_registry(plugin_files: list[str] | tuple[str, ...], override: bool) -> Registry:
    registry = Registry()
    for ep in entry_points(group=GROUP):
        dist = getattr(ep, "dist", None)
        source = MethodSource("entry point", ep.name, ep.value, dist.name if dist else None,
                              dist.version if dist else None)
        try:
            cls = ep.load()
        except Exception as exc:  # a broken third-party plugin must not break the others
            registry.broken[ep.name] = f"{type(exc).__name__}: {exc}"
            continue
        registry.add(cls, source)
    for path in plugin_files:
        resolved = Path(path).resolve()
        classes = load_plugin_file(path)
        digest = hashlib.sha256(resolved.read_bytes()).hexdigest()
        for cls in classes:
            registry.add(cls, MethodSource("plugin file", cls.__name__, str(resolved), sha256=digest),
                         override=override)
    return registry


class _PluginExit(BaseException):
    """``os._exit`` called by a plugin while it is imported (raised in its place)."""

    def __init__(self, code: object) -> None:
        super().__init__(code)
        self.code = code


@contextlib.contextmanager
def _os_exit_raises() -> Iterator[None]:
    """``os._exit`` ends the process at once, with no exception to catch and no word of why;
    while a plugin file is imported (module-level code only, never a fit) it raises instead."""
    real = os._exit
    importing = threading.get_ident()

    def refuse(code: int) -> None:
        if threading.get_ident() != importing:  # another thread's exit (a watchdog) still exits
            real(code)
        raise _PluginExit(code)

    os._exit = refuse  # type: ignore[assignment]
    try:
        yield
    finally:
        os._exit = real


def load_plugin_file(path: str | Path) -> list[type[Method]]:
    """Import a Python file and return the concrete Method subclasses it defines."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: plugin file not found; pass the path of a .py file defining a grnbench Method subclass")
    tag = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:8]
    module_name = f"grnbench_plugin_{re.sub(r'[^0-9A-Za-z_]', '_', path.stem)}_{tag}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        hint = "" if path.suffix == ".py" else f" (a plugin must be a .py file: rename it to {path.stem}.py)"
        raise UserError(f"{path}: cannot import this file as a Python module{hint}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        with _os_exit_raises():
            spec.loader.exec_module(module)
    except (SystemExit, _PluginExit) as exc:  # either would end grnbench with no word of why
        sys.modules.pop(module_name, None)
        call = "os._exit" if isinstance(exc, _PluginExit) else "sys.exit"
        raise UserError(f"{path}: the plugin called {call}({exc.code!r}) while being imported; a plugin file "
                        "must only define Method classes (move script code under `if __name__ == \"__main__\":`)") from None
    except Exception as exc:
        sys.modules.pop(module_name, None)
        raise UserError(f"{path}: importing the plugin failed: {type(exc).__name__}: {exc}") from None
    found = [obj for obj in vars(module).values()
             if inspect.isclass(obj) and issubclass(obj, Method) and not inspect.isabstract(obj)
             and obj.__module__ == module_name]
    if not found:
        abstract = [obj for obj in vars(module).values()
                    if inspect.isclass(obj) and issubclass(obj, Method) and obj.__module__ == module_name]
        if abstract:  # the likely mistake: a misspelt or missing fit/score_edges
            missing = "; ".join(f"class {c.__name__} lacks {' and '.join(sorted(c.__abstractmethods__))}"
                                for c in abstract)
            raise UserError(f"{path}: {missing}; a grnbench Method must define both fit(self, data) and "
                            "score_edges(self, pairs)")
        raise UserError(f"{path}: defines no concrete subclass of grnbench.api.Method")
    return found


@dataclass(frozen=True)
class MethodSpec:
    """A method name with the parameters the user set (the rest keep their defaults)."""

    name: str
    params: tuple[tuple[str, Any], ...] = ()

    def build(self, registry: Registry) -> Method:
        return registry.get(self.name)(**dict(self.params))

    @property
    def label(self) -> str:
        if not self.params:
            return self.name
        return self.name + ":" + ",".join(f"{k}={v}" for k, v in self.params)


def parse_method_specs(text: str, registry: Registry) -> list[MethodSpec]:
    """Parse ``all`` or ``m1,m2:key=value,key2=value,m3`` into method specs.

    A comma-separated token containing ``=`` but no ``:`` is another parameter of the
    preceding method, so ``psgrn:epochs=5,tl=8,genie3`` sets two PSGRN parameters.
    """
    specs: list[tuple[str, dict[str, Any]]] = []
    for token in (t.strip() for t in text.split(",")):
        if not token:
            continue
        if token == "all":
            for name in registry.names_in_all():
                registry.get(name)  # a name two installed packages claim is an error naming both
                specs.append((name, {}))
            continue
        if "=" in token and ":" not in token:
            if not specs:
                raise UserError(f"parameter {token!r} comes before any method name in --methods")
            specs[-1][1].update([_parse_assignment(token, registry.get(specs[-1][0]))])
            continue
        name, _, rest = token.partition(":")
        cls = registry.get(name)
        params = dict(_parse_assignment(rest, cls) for _ in [0] if rest)
        specs.append((name, params))
    if not specs:
        raise UserError(f"no method given; valid methods: all, {', '.join(sorted(registry.methods))}")
    result: list[MethodSpec] = []
    for name, params in specs:
        spec = MethodSpec(name, tuple(sorted(params.items())))
        if spec not in result:
            result.append(spec)
    return result


def _parse_assignment(text: str, cls: type[Method]) -> tuple[str, Any]:
    key, sep, value = text.partition("=")
    if not sep:
        raise UserError(f"expected key=value after {cls.name}:, got {text!r}")
    if key not in cls.parameters:
        valid = ", ".join(sorted(cls.parameters)) or "none"
        raise UserError(f"method {cls.name!r} has no parameter {key!r}; valid parameters: {valid}")
    try:
        parsed: Any = parse_parameter_value(value, cls.parameters[key])
    except UserError as exc:
        allowed = cls.allowed.get(key)
        if allowed is None or allowed.check is None:
            raise UserError(f"{cls.name}:{key}: {exc}") from None
        parsed = value  # a grammar of its own (max_features=sqrt where the default is a number)
    problem = parameter_problem(cls, key, parsed)
    if problem:  # before any task starts, not at fit time in every task
        raise UserError(problem)
    return key, parsed


def parse_parameter_value(text: str, default: Any) -> Any:
    """Coerce a command-line value to the type of the parameter's default."""
    if isinstance(default, bool):
        if text.lower() in ("1", "true", "yes", "on"):
            return True
        if text.lower() in ("0", "false", "no", "off"):
            return False
        raise UserError(f"expected true/false, got {text!r}")
    for kind, word in ((int, "a whole number"), (float, "a number")):
        if isinstance(default, kind):
            try:
                return kind(text)
            except ValueError:
                raise UserError(f"expected {word}, got {text!r}") from None
    if default is None:
        for kind in (int, float):
            try:
                return kind(text)
            except ValueError:
                pass
        return None if text.lower() == "none" else text
    return text
