"""Method discovery: the ``grnbench.methods`` entry-point group plus local plugin files.

Built-in methods register through the same entry-point group as third-party packages, so
adding a method never means editing the core. ``--plugin path/to/file.py`` loads every
``Method`` subclass defined in a local file, for methods that are not packaged.
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from grnbench.api import Method, parse_parameter_value
from grnbench.errors import UserError

GROUP = "grnbench.methods"


@dataclass
class Registry:
    methods: dict[str, type[Method]] = field(default_factory=dict)
    #: entry points that failed to load: name → one-line reason (shown by ``grnbench list``)
    broken: dict[str, str] = field(default_factory=dict)

    def add(self, cls: type[Method], origin: str) -> None:
        if not (inspect.isclass(cls) and issubclass(cls, Method)) or inspect.isabstract(cls):
            self.broken[getattr(cls, "__name__", str(cls))] = f"{origin} is not a concrete grnbench Method"
            return
        self.methods[cls.name] = cls

    def get(self, name: str) -> type[Method]:
        if name not in self.methods:
            hint = f" (it failed to load: {self.broken[name]})" if name in self.broken else ""
            raise UserError(f"unknown method {name!r}{hint}; valid methods: {', '.join(sorted(self.methods))}")
        return self.methods[name]

    def names_in_all(self) -> list[str]:
        return sorted(n for n, c in self.methods.items() if c.in_all)


def load_registry(plugin_files: list[str] | tuple[str, ...] = ()) -> Registry:
    registry = Registry()
    for ep in entry_points(group=GROUP):
        try:
            registry.add(ep.load(), f"entry point {ep.name} = {ep.value}")
        except Exception as exc:  # a broken third-party plugin must not break the others
            registry.broken[ep.name] = f"{type(exc).__name__}: {exc}"
    for path in plugin_files:
        for cls in load_plugin_file(path):
            registry.add(cls, path)
    return registry


def load_plugin_file(path: str | Path) -> list[type[Method]]:
    """Import a Python file and return the concrete Method subclasses it defines."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: plugin file not found; pass the path of a .py file defining a grnbench Method subclass")
    module_name = f"grnbench_plugin_{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise UserError(f"{path}: cannot import this file as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise UserError(f"{path}: importing the plugin failed: {type(exc).__name__}: {exc}") from None
    found = [obj for obj in vars(module).values()
             if inspect.isclass(obj) and issubclass(obj, Method) and not inspect.isabstract(obj)
             and obj.__module__ == module_name]
    if not found:
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
            specs.extend((n, {}) for n in registry.names_in_all())
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
        return key, parse_parameter_value(value, cls.parameters[key])
    except UserError as exc:
        raise UserError(f"{cls.name}:{key}: {exc}") from None
