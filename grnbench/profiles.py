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

#: method name → parameter caps of the quick profile (why each: docs/deep-methods.md)
QUICK: dict[str, dict[str, Any]] = {
    # deep methods: a few epochs instead of early stopping over tens to hundreds
    "psgrn": {"epochs": 2, "min_epochs": 1, "patience": 2},
    "cnnc": {"epochs": 2, "patience": 2},
    "dgrns": {"epochs": 2, "patience": 2},
    # tree ensembles: a twentieth / a tenth of the trees; NODE keeps shrinkage × trees (5)
    "genie3": {"n_estimators": 50},
    "node": {"n_estimators": 50, "learning_rate": 0.1},
    "grnboost2": {"n_estimators": 500},
}


def quick_caps(name: str, cls: type) -> dict[str, Any]:
    """The quick caps of one method: the table above, or a plugin's own ``quick_parameters``."""
    caps = dict(getattr(cls, "quick_parameters", None) or QUICK.get(name, {}))
    return {k: v for k, v in caps.items() if k in getattr(cls, "parameters", {})}


def apply_profile(specs: list[MethodSpec], profile: str, registry: Registry) -> list[MethodSpec]:
    """The method specs of a run under ``profile`` (user-set parameters win over caps)."""
    if profile not in PROFILES:
        raise UserError(f"--profile must be one of {', '.join(PROFILES)}, got {profile!r}")
    if profile == "reference":
        return specs
    out = []
    for spec in specs:
        caps = quick_caps(spec.name, registry.get(spec.name))
        params = {**caps, **dict(spec.params)}
        out.append(MethodSpec(spec.name, tuple(sorted(params.items()))))
    return out


def capped_values(specs: list[MethodSpec], profile: str, registry: Registry) -> dict[str, dict[str, Any]]:
    """Per method label, the caps that took effect (for the manifest and the run's first lines)."""
    if profile == "reference":
        return {}
    result = {}
    for spec in specs:
        caps = quick_caps(spec.name, registry.get(spec.name))
        user = dict(spec.params)
        taken = {k: v for k, v in caps.items() if user.get(k, v) == v}
        if taken:
            result[spec.label] = taken
    return result
