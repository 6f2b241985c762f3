"""A method's faithfulness to its authors, printed from what the method class declares.

``grnbench show METHOD`` and the tables in docs/methods/ come from ``Method.references`` and
``Method.deviations``, so the documentation cannot drift from the code; a test pins every
default to its reference value or to a named deviation (``check_faithfulness``).
"""

from __future__ import annotations

from typing import Any

from grnbench.api import Method


def check_faithfulness(cls: type[Method]) -> list[str]:
    """Problems with ``cls``'s declaration: a default that differs from the authors' value with
    no deviation naming that parameter, or a reference for a parameter the method lacks."""
    problems = []
    named = {d.aspect for d in cls.deviations}
    for key, ref in cls.references.items():
        if key not in cls.parameters:
            problems.append(f"{cls.name}: reference for unknown parameter {key!r}")
        elif cls.parameters[key] != ref.value and key not in named:
            problems.append(f"{cls.name}: {key} = {cls.parameters[key]!r}, the authors use {ref.value!r} "
                            f"({ref.source}), and no deviation names it")
    return problems


def parameter_rows(cls: type[Method], quick_caps: dict[str, Any] | None = None) -> list[tuple[str, ...]]:
    """One row per parameter: name, default, type, the values it accepts (``Method.allowed``,
    the same rule ``--methods`` enforces), the authors' value and source, quick cap."""
    rows = []
    caps = quick_caps or {}
    for key, default in cls.parameters.items():
        ref = cls.references.get(key)
        allowed = cls.allowed.get(key)
        accepts = allowed.describe() if allowed else "true/false" if isinstance(default, bool) else "–"
        rows.append((key, repr(default), type(default).__name__, accepts,
                     "–" if ref is None else repr(ref.value), "–" if ref is None else ref.source,
                     repr(caps[key]) if key in caps else "–"))
    return rows


def show_lines(cls: type[Method], quick_caps: dict[str, Any] | None = None) -> list[str]:
    """``grnbench show METHOD``: what it is, every parameter, and every deviation."""
    kind = "supervised" if cls.supervised else "unsupervised"
    lines = [f"{cls.name}: {cls.description}", f"kind: {kind}" + (", deterministic" if cls.deterministic else ""),
             f"reference: {cls.reference_source or 'grnbench (no external reference)'}", "", "parameters:"]
    rows = [("parameter", "default", "type", "accepts", "authors", "source", "quick cap"),
            *parameter_rows(cls, quick_caps)]
    widths = [max(len(r[i]) for r in rows) for i in range(6)]
    for r in rows:
        lines.append("  " + "  ".join(r[i].ljust(widths[i]) for i in range(6)) + "  " + r[6])
    lines += ["", "deviations from the authors:" if cls.deviations else "deviations from the authors: none declared"]
    for d in cls.deviations:
        lines.append(f"  - {d.aspect}: authors {d.reference}; grnbench {d.grnbench}. Why: {d.why}. Effect: {d.effect}.")
    return lines


def markdown_table(cls: type[Method]) -> str:
    """The faithfulness table of docs/methods/ (aspect | reference with source | grnbench |
    deviation and why | measured effect)."""
    out = [f"### {cls.name}", "", f"Reference: {cls.reference_source or 'grnbench (no external reference)'}", "",
           "| aspect | reference (source) | grnbench | deviation and why | measured effect |",
           "|---|---|---|---|---|"]
    deviations = {d.aspect: d for d in cls.deviations}
    for key, ref in cls.references.items():
        d = deviations.pop(key, None)
        out.append(f"| {key} | {ref.value!r} ({ref.source}) | {cls.parameters.get(key)!r} | "
                   f"{'same' if d is None else d.why} | {'–' if d is None else d.effect} |")
    for d in deviations.values():
        out.append(f"| {d.aspect} | {d.reference} | {d.grnbench} | {d.why} | {d.effect} |")
    return "\n".join(out) + "\n"
