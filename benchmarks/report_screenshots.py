"""Screenshots of a run's report in headless Chromium, and how its tables fit a 1,200 px window.

    python benchmarks/report_screenshots.py RUN_DIR OUT_DIR [--width 1200]

Renders ``RUN_DIR/report.html`` afresh (``grnbench report``), opens it at the given window width and saves
``report_top.png`` (the first screen), ``report_heatmap.png`` and ``report_cd.png`` (the
figures, found by their captions), ``report_comparison.png`` and ``report_time.png`` (those
sections) to OUT_DIR, plus ``report_layout.json``: the page's width
against the window's and, per table, whether it is wider than its box and whether that box
scrolls (``overflow-x``) instead of pushing the page wider. The DevTools client is the
browser test's (tests/test_report_browser.py), so both look at the report the same way.
"""

from __future__ import annotations

import argparse
import base64
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from test_report_browser import Chromium, find_browser  # noqa: E402

LAYOUT = """(() => {
  const page = document.documentElement;
  const tables = [...document.querySelectorAll('table')].map(t => {
    const box = t.parentElement, style = getComputedStyle(box);
    return {id: t.id || '', table: Math.round(t.scrollWidth), box: Math.round(box.clientWidth),
            scrolls: ['auto', 'scroll'].includes(style.overflowX),
            right: Math.round(box.getBoundingClientRect().right)};
  });
  return {window: window.innerWidth, page: page.scrollWidth, tables,
          details: document.querySelectorAll('details').length,
          height: page.scrollHeight};
})()"""

FIND = """(caption => {
  const f = caption.startsWith('#') ? document.querySelector(caption) : [...document.querySelectorAll('figure')].find(
      f => f.querySelector('figcaption b').textContent.startsWith(caption));
  if (!f) return null;
  f.scrollIntoView();
  const r = f.getBoundingClientRect();
  return {x: r.x + window.scrollX, y: r.y + window.scrollY, width: r.width, height: r.height};
})"""

#: file → a figure's caption, or ``#id`` of a section
SHOTS = {"report_heatmap.png": "AUPR over the expected random AUPR", "report_cd.png": "Critical-difference diagram",
         "report_comparison.png": "#sec-comparison", "report_time.png": "#sec-time"}


def capture(browser: Chromium, path: Path, clip: dict) -> None:
    shot = browser.page("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                        clip={**clip, "scale": 1})
    path.write_bytes(base64.b64decode(shot["data"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--width", type=int, default=1200)
    args = parser.parse_args()
    binary = find_browser()
    if binary is None:
        sys.exit("no Chromium installed: apt-get install chromium")
    # rendered by the CLI in its own process, as a user would; it also keeps matplotlib's open
    # font files out of this process, whose descriptors 3 and 4 the browser pipe needs
    subprocess.run([sys.executable, "-m", "grnbench", "report", str(args.run_dir)], check=True)
    report = args.run_dir / "report.html"
    args.out_dir.mkdir(parents=True, exist_ok=True)
    browser = Chromium(binary)
    try:
        browser.page("Page.enable")
        browser.page("Emulation.setDeviceMetricsOverride", width=args.width, height=900, deviceScaleFactor=1,
                     mobile=False)
        browser.page("Page.navigate", url=report.resolve().as_uri())
        browser.wait_for("Page.loadEventFired")
        layout = browser.evaluate(LAYOUT)
        capture(browser, args.out_dir / "report_top.png", {"x": 0, "y": 0, "width": args.width, "height": 900})
        for name, caption in SHOTS.items():
            box = browser.evaluate(f"{FIND}({json.dumps(caption)})")
            if box is None:
                print(f"{name}: no figure captioned {caption!r}")
                continue
            capture(browser, args.out_dir / name, box)
    finally:
        browser.close()
    layout["report"] = str(report)
    (args.out_dir / "report_layout.json").write_text(json.dumps(layout, indent=1) + "\n")
    wide = [t for t in layout["tables"] if t["table"] > t["box"]]
    print(f"window {layout['window']} px, page {layout['page']} px wide; {len(layout['tables'])} tables, "
          f"{len(wide)} wider than their box ({sum(t['scrolls'] for t in wide)} of those scroll in it); "
          f"{layout['details']} folded blocks; page {layout['height']} px high")


if __name__ == "__main__":
    main()
