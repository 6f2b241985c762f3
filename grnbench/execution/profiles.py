"""Run profiles: ``reference`` (every method's own settings) and ``quick`` (capped schedules).

``--profile quick`` exists so a first run finishes in minutes on a laptop with every method
taking part. It caps epochs and trees; it is *not* the reference schedule, and its numbers
are not the methods' published behaviour. The caps are ordinary method parameters, so they
appear in each result's ``parameters``, in the method label (``cnnc:epochs=3,...``), in the
cache key and in the manifest, and every record carries ``profile = quick``. A parameter the
user sets on the command line always wins over a cap.
"""

from __future__ import annotations

from typing import Any

from grnbench.errors import UserError
from grnbench.registry import MethodSpec, Registry

PROFILES = ("reference", "quick")

def quick_caps(cls: type) -> dict[str, Any]:
    """The quick caps of one method (its declared ``quick_parameters``, on parameters it has)."""
    return {k: v for k, v in cls.quick_parameters.items() if k in cls.parameters}


def apply_profile(specs: list[MethodSpec], profile: str, registry: Registry) -> list[MethodSpec]:
    """The method specs of a run under ``profile`` (user-set parameters win over caps)."""
    if profile not in PROFILES:
        raise UserError(f"--profile must be one of {', '.join(PROFILES)}, got {profile!r}")
    if profile == "reference":
        return specs
    out = []
    for spec in specs:
        caps = quick_caps(registry.get(spec.name))
        params = {**caps, **dict(spec.params)}
        out.append(MethodSpec(spec.name, tuple(sorted(params.items()))))
    return out


def capped_values(specs: list[MethodSpec], profile: str, registry: Registry) -> dict[str, dict[str, Any]]:
    """Per method label, the caps that took effect (for the manifest and the run's first lines)."""
    if profile == "reference":
        return {}
    result = {}
    for spec in specs:
        caps = quick_caps(registry.get(spec.name))
        user = dict(spec.params)
        taken = {k: v for k, v in caps.items() if user.get(k, v) == v}
        if taken:
            result[spec.label] = taken
    return result
