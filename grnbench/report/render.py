"""The HTML report of a run: one self-contained file a biologist can open offline.

``write_report(run_dir)`` reads only what the run saved (``results.csv``, ``manifest.json``,
``edges/``, ``curves.csv``), so ``grnbench report RUN_DIR`` re-renders any past run without
running a method.
All CSS, JavaScript and figures are inlined (figures as SVG data URIs), so the file can be
mailed or archived and still opens with no network access.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from grnbench import __version__
from grnbench.report import sections
from grnbench.report.statistics import statistics_context

REPORT_NAME = "report.html"


def _environment() -> Environment:
    return Environment(loader=PackageLoader("grnbench.report", "templates"), undefined=StrictUndefined,
                       autoescape=select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True)


def render_report(run_dir: Path) -> str:
    """The report of ``run_dir`` as an HTML string."""
    html, _ = _render(Path(run_dir))
    return html


def _render(run_dir: Path) -> tuple[str, dict]:
    """The report and its statistics context (whose paired comparisons go to comparisons.csv)."""
    run = sections.RunData.load(Path(run_dir))
    statistics = statistics_context(run)
    accuracy, accuracy_notes = sections.accuracy_figures(run)
    context = {
        "run": sections.run_section(run),
        "comparison": sections.comparison_section(run),
        "accuracy": accuracy,
        "accuracy_notes": accuracy_notes,
        "controls": sections.controls_section(run),
        "time": sections.time_section(run),
        "learning": sections.learning_section(run),
        "robustness": sections.robustness_section(run),
        "ablations": sections.ablation_section(run),
        "network": sections.network_section(run),
        "failures": sections.failures_section(run),
        "statistics": statistics,
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "version": __version__,
        "run_dir": str(Path(run_dir).resolve()),
    }
    return _environment().get_template("report.html.j2").render(**context), statistics


def write_report(run_dir: Path) -> Path:
    """Write ``RUN_DIR/report.html`` from the run's saved results and return its path."""
    path = Path(run_dir) / REPORT_NAME
    html, statistics = _render(Path(run_dir))
    statistics["stats"].write_csv(Path(run_dir))
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)  # never leave a half-written report behind
    return path
