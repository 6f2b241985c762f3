"""Issue 25 item 2 evidence: the learning-curve section of a real run's report, seen in a real
browser.

    python benchmarks/learning_curves_report.py [--run-dir DIR]

Runs small CNNC, PSGRN and DGRNS fits (10 epochs each, one split) on dream4-10-1 with
``grnbench run`` (or takes an existing run folder), renders the report, opens it in headless
Chromium (``tests/test_report_browser.py``'s DevTools-pipe driver) and saves:

- ``benchmarks/results/learning_curves_report.png``: a screenshot of the section;
- ``benchmarks/results/learning_curves_dream4-10-1.csv``: the run's curves.csv;
- ``benchmarks/results/learning_curves_report.json``: the command, the machine's load (the
  machine is shared), what the page showed and any console error or network request.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE.parent / "tests"))

METHODS = ",".join([
    "cnnc:filters=4,dense_units=16,epochs=10,batch_size=64,patience=0",
    "psgrn:hidden=8,dn_blocks=1,dn_layers=1,dn_growth=4,dense_units=8,epochs=10,batch_size=64,patience=0",
    "dgrns:gru_units=8,filters=4,dense_units=16,dense2_units=8,epochs=10,batch_size=64,micro_batch=64,patience=0",
])

SECTION = """(() => {
  const s = document.querySelector('#sec-learning');
  if (!s) return null;
  const r = s.getBoundingClientRect();
  const imgs = [...s.querySelectorAll('img')];
  return {x: r.left + window.scrollX, y: r.top + window.scrollY, width: r.width, height: r.height,
          figures: imgs.length, loaded: imgs.filter(i => i.complete && i.naturalWidth > 0).length,
          tableRows: s.querySelector('table') ? s.querySelector('table').tBodies[0].rows.length : 0,
          captions: [...s.querySelectorAll('figcaption, h3')].map(e => e.textContent.trim().slice(0, 80))};
})()"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run-dir", type=Path, help="an existing run folder with curves.csv (default: run one)")
    args = parser.parse_args()
    from test_report_browser import Chromium, find_browser

    from grnbench.report.render import write_report

    binary = find_browser()
    if binary is None:
        sys.exit("no Chromium/Chrome installed (apt-get install chromium)")
    command = None
    run_dir = args.run_dir
    if run_dir is None:
        run_dir = Path(tempfile.mkdtemp(prefix="grnbench-curves-")) / "run"
        command = [str(Path(sys.executable).parent / "grnbench"), "run", "--quiet", "--methods", METHODS,
                   "--dataset", "dream4-10-1", "--folds", "0", "--workers", "0", "--out", str(run_dir)]
        subprocess.run(command, check=True)
    # started before the report is drawn: the driver moves its pipes to fds 3 and 4, where
    # matplotlib, once it has drawn, keeps its font files open (the browser then fails, EBADF)
    browser = Chromium(binary)
    try:
        report = write_report(run_dir)
        for domain in ("Page", "Runtime", "Log", "Network"):
            browser.page(f"{domain}.enable")
        browser.page("Emulation.setDeviceMetricsOverride", width=1280, height=900, deviceScaleFactor=1, mobile=False)
        browser.page("Page.navigate", url=report.resolve().as_uri())
        browser.wait_for("Page.loadEventFired")
        section = browser.evaluate(SECTION)
        if section is None:
            sys.exit(f"{report}: no learning-curve section")
        clip = {k: section[k] for k in ("x", "y", "width", "height")} | {"scale": 1}
        shot = browser.page("Page.captureScreenshot", format="png", clip=clip, captureBeyondViewport=True)
        problems = [e for e in browser.events if e.get("method") in ("Runtime.exceptionThrown",)
                    or (e.get("method") == "Runtime.consoleAPICalled" and e["params"].get("type") == "error")
                    or (e.get("method") == "Network.requestWillBeSent"
                        and not e["params"]["request"]["url"].startswith(("file:", "data:", "about:")))]
    finally:
        browser.close()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "learning_curves_report.png").write_bytes(base64.b64decode(shot["data"]))
    shutil.copyfile(run_dir / "curves.csv", RESULTS / "learning_curves_dream4-10-1.csv")
    record = {"command": " ".join(command) if command else f"existing run {run_dir}", "browser": binary,
              "load_average": os.getloadavg(), "cores": os.cpu_count(), "section": section, "problems": problems}
    (RESULTS / "learning_curves_report.json").write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps({k: record[k] for k in ("load_average", "section", "problems")}, indent=2))


if __name__ == "__main__":
    main()
